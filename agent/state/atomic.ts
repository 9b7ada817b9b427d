// Crash-safe file replacement: write a temp file in the same directory, fsync
// it, rename it over the target, fsync the directory. A kill -9 or power cut
// at any point leaves the target either as it was or as it is now; what may be
// left is a temp file, which is named so that it is never taken for a record
// and is removed by the next writer (removeLeftovers).
//
// The temp name carries the pid and random bytes: two writers (the daemon and
// a CLI run) never collide, and a leftover from a killed run never blocks the
// next write the way a fixed name opened with O_EXCL would.

import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const TEMP = /^\..+\.(\d+)\.[0-9a-f]{16}\.tmp$/;

export const isTempName = (name: string): boolean => TEMP.test(name);

export function tempName(target: string): string {
  return `.${target}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Throws the errno error of the step that failed; the temp file is removed on a failure we live through. */
export function writeAtomic(dir: string, name: string, data: Uint8Array, mode: number): void {
  const tmp = join(dir, tempName(name));
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, join(dir, name));
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
  fsyncDir(dir);
}

function alive(pid: number): boolean {
  if (pid === process.pid) return false; // ours from before: at open no write of ours is under way
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files whose writer is gone; a live writer's file is left to it. Returns the names removed. */
export function removeLeftovers(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = TEMP.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  if (removed.length > 0) fsyncDir(dir);
  return removed;
}
