// Byte transports to a TPM: the kernel character device (/dev/tpmrm0, /dev/tpm0: write one
// command, read one whole response) and swtpm's raw TCP command channel (the same bytes on a
// stream; the response header's size field says where it ends). One command at a time, each
// bounded by a deadline.

import { open, type FileHandle } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { MAX_RESPONSE } from './constants.ts';
import { terr, tok, type Tpm, type TpmResult } from './types.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Serialises calls so a second command never interleaves with a response in flight. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(f: () => Promise<T>): Promise<T> {
    const next = this.tail.then(f, f);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function withTimeout<T>(p: Promise<TpmResult<T>>, ms: number, what: string, onTimeout: () => void): Promise<TpmResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<TpmResult<T>>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve(terr('TIMEOUT', `${what}: no response within ${ms} ms`));
    }, ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const ioError = (what: string, e: unknown): TpmResult<never> => terr('IO', `${what}: ${(e as Error).message ?? String(e)}`);

export async function openDevice(path: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<TpmResult<Tpm>> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (e) {
    return ioError(`open ${path}`, e);
  }
  const q = new Queue();
  let closed = false;
  const transmit = (cmd: Uint8Array): Promise<TpmResult<Buffer>> =>
    q.run(() => {
      if (closed) return Promise.resolve(terr('IO', `${path} is closed`));
      const io = (async (): Promise<TpmResult<Buffer>> => {
        try {
          await fh.write(cmd, 0, cmd.length);
          const buf = Buffer.alloc(MAX_RESPONSE);
          // The driver hands back the whole response to one read (drivers/char/tpm/tpm-dev-common.c).
          const { bytesRead } = await fh.read(buf, 0, buf.length, null);
          return tok(buf.subarray(0, bytesRead));
        } catch (e) {
          return ioError(path, e);
        }
      })();
      return withTimeout(io, timeoutMs, path, () => {
        closed = true;
        void fh.close().catch(() => undefined);
      });
    });
  return tok({
    uri: path,
    transmit,
    close: async () => {
      if (closed) return;
      closed = true;
      await fh.close().catch(() => undefined);
    },
  });
}

export function openSwtpm(host: string, port: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<TpmResult<Tpm>> {
  const uri = `swtpm:${host}:${port}`;
  return new Promise((resolve) => {
    const sock: Socket = connect({ host, port });
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      sock.destroy();
      resolve(terr('TIMEOUT', `${uri}: connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(ioError(`connect ${uri}`, e));
    });
    sock.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(tok(socketTpm(uri, sock, timeoutMs)));
    });
  });
}

function socketTpm(uri: string, sock: Socket, timeoutMs: number): Tpm {
  const q = new Queue();
  let chunks: Buffer[] = [];
  let have = 0;
  let waiter: ((r: TpmResult<Buffer>) => void) | undefined;
  let dead: string | undefined;

  const check = (): void => {
    if (!waiter) return;
    if (have >= 6) {
      const all = Buffer.concat(chunks);
      const size = all.readUInt32BE(2);
      if (size < 10 || size > MAX_RESPONSE) return finish(terr('MALFORMED', `${uri}: response size field ${size} out of range`));
      if (have >= size) {
        chunks = have > size ? [all.subarray(size)] : [];
        have -= size;
        return finish(tok(Buffer.from(all.subarray(0, size))));
      }
    }
    if (dead) finish(terr('IO', `${uri}: ${dead}`));
  };
  const finish = (r: TpmResult<Buffer>): void => {
    const w = waiter;
    waiter = undefined;
    w?.(r);
  };
  sock.on('data', (d: Buffer) => {
    chunks.push(d);
    have += d.length;
    check();
  });
  sock.on('error', (e) => {
    dead = e.message;
    check();
  });
  sock.on('close', () => {
    dead ??= 'connection closed';
    check();
  });

  const transmit = (cmd: Uint8Array): Promise<TpmResult<Buffer>> =>
    q.run(() => {
      if (dead) return Promise.resolve(terr('IO', `${uri}: ${dead}`));
      chunks = [];
      have = 0;
      const p = new Promise<TpmResult<Buffer>>((resolve) => {
        waiter = resolve;
      });
      sock.write(cmd);
      // A stream desynchronised by a timeout can't be trusted again: drop the connection.
      return withTimeout(p, timeoutMs, uri, () => {
        waiter = undefined;
        dead = 'timed out earlier';
        sock.destroy();
      });
    });
  return {
    uri,
    transmit,
    close: () =>
      new Promise<void>((resolve) => {
        if (sock.destroyed) return resolve();
        dead ??= 'closed';
        sock.once('close', () => resolve());
        sock.end();
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 1000).unref();
      }),
  };
}
