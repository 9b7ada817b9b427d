// A secret named by a --*-file flag: the file's first line, without its line
// break (what ipmitool -f reads). Read through one bounded read so a huge or
// endless file (a FIFO, /dev/zero) cannot stall or flood the agent. The
// secret never appears in an error message, only the path and why.

import { closeSync, openSync, readSync } from 'node:fs';
import { UsageError } from './exit.ts';

const MAX_SECRET_BYTES = 4096;

export function readSecretFile(command: string, flag: string, path: string): Buffer {
  const buf = Buffer.alloc(MAX_SECRET_BYTES + 1);
  let got = 0;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new UsageError(`${command}: --${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  try {
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > MAX_SECRET_BYTES) throw new UsageError(`${command}: --${flag} ${path} is larger than ${MAX_SECRET_BYTES} bytes`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${command}: --${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  } finally {
    closeSync(fd);
  }
  const text = buf.subarray(0, got);
  const nl = text.indexOf(0x0a);
  let line = text.subarray(0, nl === -1 ? got : nl);
  if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
  if (line.length === 0) throw new UsageError(`${command}: --${flag} ${path} is empty`);
  const out = Buffer.from(line);
  buf.fill(0);
  return out;
}
