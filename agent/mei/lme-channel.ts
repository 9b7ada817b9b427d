// One APF channel as a Node Duplex, so node:http and node:tls use it as they
// use a TCP socket. Backpressure crosses both ways: a write completes when the
// session has sent its bytes inside the firmware's window, and our window is
// given back only as the reader takes data. APF has no half-close: ending the
// writable side does nothing; destroying the stream closes the channel.

import { Duplex } from 'node:stream';
import type { MeiError } from './types.ts';

export interface ChannelOps {
  write(id: number, data: Uint8Array): void;
  consumed(id: number, n: number): void;
  close(id: number): void;
}

/** A channel error carries the MEI code (MEI_RESET, MEI_TIMEOUT, ...) where a socket error carries its errno name. */
export class LmeChannelError extends Error {
  readonly code: string;
  constructor(readonly mei: MeiError) {
    super(mei.message);
    this.name = 'LmeChannelError';
    this.code = `MEI_${mei.code}`;
  }
}

export class LmeChannel extends Duplex {
  private id: number | null = null;
  private waitingWrite: ((err?: Error | null) => void) | null = null;
  private unconsumed = 0;
  private peerDone = false;

  constructor(private readonly ops: ChannelOps) {
    super({ allowHalfOpen: false });
  }

  attach(id: number): void {
    this.id = id;
  }

  fail(error: MeiError): void {
    this.peerDone = true;
    // Deferred: a refusal found while the caller is still building the stream must reach its 'error' listener.
    process.nextTick(() => this.destroy(new LmeChannelError(error)));
  }

  deliver(data: Uint8Array): void {
    if (this.id === null) return;
    if (this.push(Buffer.from(data.buffer, data.byteOffset, data.length))) this.ops.consumed(this.id, data.length);
    else this.unconsumed += data.length;
  }

  drained(): void {
    const cb = this.waitingWrite;
    this.waitingWrite = null;
    cb?.();
  }

  /** The firmware closed the channel: the reader sees the end; if the whole session ended, that is an error. */
  peerClosed(sessionError: MeiError | null): void {
    if (this.destroyed) return;
    this.peerDone = true;
    if (sessionError) return this.fail(sessionError);
    const cb = this.waitingWrite;
    this.waitingWrite = null;
    cb?.(new LmeChannelError({ code: 'RESET', message: 'the firmware closed the channel during a write' }));
    this.push(null);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.id === null || this.peerDone) return cb(new LmeChannelError({ code: 'RESET', message: 'the channel is closed' }));
    // Set before the write: an open channel with window sends (and drains) synchronously.
    this.waitingWrite = cb;
    this.ops.write(this.id, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
  }

  override _read(): void {
    if (this.id !== null && this.unconsumed > 0) {
      const n = this.unconsumed;
      this.unconsumed = 0;
      this.ops.consumed(this.id, n);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.id !== null && !this.peerDone) this.ops.close(this.id);
    this.peerDone = true;
    const w = this.waitingWrite;
    this.waitingWrite = null;
    w?.(err ?? new LmeChannelError({ code: 'RESET', message: 'the channel was closed' }));
    cb(err);
  }
}
