// The file system a probe reads: `/` on a live machine, a fixture tree in tests
// (`agent report --root DIR`). Every read is bounded and returns a Result, so a
// garbage or unreadable sysfs file becomes a report error, never an exception.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail, ok, type ProbeErrorCode, type Result } from './errors.ts';

/** sysfs attributes are one page; firmware tables are the only big reads. */
export const TEXT_CAP = 64 * 1024;
export const BLOB_CAP = 4 * 1024 * 1024;

export class SysRoot {
  constructor(readonly root: string = '/') {}

  /** Absolute path of a machine path such as `/sys/class/mei` under this root. */
  resolve(p: string): string {
    return path.join(this.root, p);
  }

  readBytes(p: string, cap: number = BLOB_CAP): Result<Buffer> {
    const abs = this.resolve(p);
    let fd: number;
    try {
      fd = fs.openSync(abs, 'r');
    } catch (e) {
      return fsFail(p, e);
    }
    try {
      // sysfs reports st_size 4096 for every attribute, so read until EOF.
      const chunks: Buffer[] = [];
      let total = 0;
      const buf = Buffer.allocUnsafe(Math.min(cap + 1, 65536));
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        total += n;
        if (total > cap) return fail('TOO_LARGE', `${p}: more than ${cap} bytes`);
        chunks.push(Buffer.from(buf.subarray(0, n)));
      }
      return ok(Buffer.concat(chunks, total));
    } catch (e) {
      return fsFail(p, e);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** A text attribute with trailing whitespace removed. */
  readText(p: string, cap: number = TEXT_CAP): Result<string> {
    const r = this.readBytes(p, cap);
    if (!r.ok) return r;
    if (r.value.includes(0)) return fail('MALFORMED', `${p}: binary data in a text attribute`);
    return ok(r.value.toString('utf8').replace(/\s+$/, ''));
  }

  /** Optional attribute: undefined when absent or unreadable, never an error. */
  textOr(p: string): string | undefined {
    const r = this.readText(p);
    return r.ok ? r.value : undefined;
  }

  /** Sorted entry names; an absent directory is an empty list. */
  list(p: string): Result<string[]> {
    try {
      return ok(fs.readdirSync(this.resolve(p)).sort());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return ok([]);
      return fsFail(p, e);
    }
  }

  /** Last path component of a symlink's target (sysfs `driver`, `device`, `subsystem` links). */
  linkName(p: string): string | undefined {
    try {
      return path.basename(fs.readlinkSync(this.resolve(p)));
    } catch {
      return undefined;
    }
  }

  exists(p: string): boolean {
    try {
      fs.lstatSync(this.resolve(p));
      return true;
    } catch {
      return false;
    }
  }
}

function fsFail(p: string, e: unknown): Result<never> {
  const err = e as NodeJS.ErrnoException;
  const code: ProbeErrorCode =
    err.code === 'ENOENT' || err.code === 'ENOTDIR'
      ? 'ENOENT'
      : err.code === 'EACCES' || err.code === 'EPERM'
        ? 'EACCES'
        : 'EIO';
  return fail(code, `${p}: ${err.code ?? 'error'}${err.message ? ` (${err.message.replace(/^[A-Z]+: /, '')})` : ''}`);
}
