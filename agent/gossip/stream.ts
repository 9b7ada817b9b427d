// The gossip core's streams (push-pull state exchange, records too large for a
// datagram) over TCP on the same address as the datagrams. A stream is a few
// request/reply rounds of length-prefixed frames. Every limit is here because
// the other end may be anyone: frame size, connect and idle time, rounds per
// connection, connections at once.

import { createServer, Socket, type Server } from 'node:net';
import type { Logger } from 'pino';
import { formatHostPort } from '../daemon/config-gossip.ts';
import type { Addr } from './types.ts';
import { splitAddr, TransportError } from './udp.ts';

export const STREAM_LIMITS = {
  maxFrameBytes: 8 * 1024 * 1024,
  connectTimeoutMs: 2000,
  idleTimeoutMs: 5000,
  maxRounds: 8,
  maxInbound: 64,
  maxOutbound: 64,
};
export type StreamLimits = typeof STREAM_LIMITS;

export type StreamErrorCode = 'FRAME_TOO_LARGE' | 'CONNECT_TIMEOUT' | 'IDLE_TIMEOUT' | 'TOO_MANY_ROUNDS' | 'TOO_MANY_STREAMS' | 'CLOSED' | 'SOCKET';

export class StreamError extends Error {
  constructor(
    readonly code: StreamErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StreamError';
  }
}

/** What the transport calls; the driver binds these to the core with the current time. */
export interface StreamHandler {
  /** Server side: a request frame; the reply frame, or null to close. */
  request(from: Addr, bytes: Uint8Array): Uint8Array | null;
  /** Client side: a reply frame; the next request frame on the same stream, or null to close. */
  reply(to: Addr, bytes: Uint8Array): Uint8Array | null;
  /** Client side: the stream to `to` ended before the exchange finished. */
  failed(to: Addr, error: StreamError): void;
}

export interface StreamStats {
  accepted: number;
  refused: number;
  opened: number;
  failed: number;
  bytesIn: number;
  bytesOut: number;
}

export function encodeFrame(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  out.set(bytes, 4);
  return out;
}

/**
 * Splits a byte stream into frames. A length above the limit is reported as
 * soon as its 4 bytes arrive, so a peer cannot make us buffer it.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** The complete frames in what has arrived so far, or the error that ends the stream. */
  push(chunk: Buffer): Uint8Array[] | StreamError {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.buffered < 4) return frames;
      const head = this.take(4, false);
      const len = head.readUInt32BE(0);
      if (len > this.maxFrameBytes) return new StreamError('FRAME_TOO_LARGE', `frame of ${len} bytes, limit ${this.maxFrameBytes}`);
      if (this.buffered < 4 + len) return frames;
      this.take(4, true);
      frames.push(new Uint8Array(this.take(len, true)));
    }
  }

  private take(n: number, consume: boolean): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
    const out = all.subarray(0, n);
    if (consume) {
      const rest = all.subarray(n);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
    } else this.chunks = [all];
    return out;
  }
}

export interface StreamOptions {
  bind: Addr;
  log: Logger;
  handler: StreamHandler;
  limits?: Partial<StreamLimits>;
}

export class StreamTransport {
  readonly stats: StreamStats = { accepted: 0, refused: 0, opened: 0, failed: 0, bytesIn: 0, bytesOut: 0 };
  private readonly sockets = new Set<Socket>();
  private outbound = 0;
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly localHost: string | null,
    private readonly limits: StreamLimits,
    private readonly log: Logger,
    private readonly handler: StreamHandler,
    /** The address actually bound (port 0 resolved). */
    readonly addr: Addr,
  ) {}

  static async listen(opts: StreamOptions): Promise<StreamTransport> {
    const limits = { ...STREAM_LIMITS, ...opts.limits };
    const { host, port, family } = splitAddr(opts.bind);
    const server = createServer({ pauseOnConnect: false });
    server.maxConnections = limits.maxInbound;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(new TransportError('BIND_FAILED', `tcp ${opts.bind}: ${e.message}`));
      server.once('error', onError);
      server.listen({ host, port, ipv6Only: family === 6, exclusive: true }, () => {
        server.removeListener('error', onError);
        resolve();
      });
    });
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new TransportError('BIND_FAILED', `tcp ${opts.bind}: no address after listen`);
    // Outbound streams leave from the bound address, so peers see the node where it said it is.
    const wildcard = host === '0.0.0.0' || host === '::';
    const t = new StreamTransport(server, wildcard ? null : host, limits, opts.log, opts.handler, formatHostPort(bound.address, bound.port));
    server.on('connection', (s) => t.serve(s));
    server.on('drop', () => {
      t.stats.refused++;
    });
    server.on('error', (e) => opts.log.warn({ err: e.message }, 'gossip tcp server error'));
    return t;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private serve(s: Socket): void {
    this.stats.accepted++;
    this.track(s);
    const from = formatHostPort(s.remoteAddress ?? '?', s.remotePort ?? 0);
    const reader = new FrameReader(this.limits.maxFrameBytes);
    let rounds = 0;
    s.setTimeout(this.limits.idleTimeoutMs, () => s.destroy());
    s.on('error', (e) => this.log.debug({ from, err: e.message }, 'gossip stream in: socket error'));
    s.on('data', (chunk: Buffer) => {
      this.stats.bytesIn += chunk.length;
      const frames = reader.push(chunk);
      if (frames instanceof StreamError) {
        this.log.debug({ from, code: frames.code, err: frames.message }, 'gossip stream in: closed');
        s.destroy();
        return;
      }
      for (const f of frames) {
        if (s.destroyed || s.writableEnded) return;
        if (++rounds > this.limits.maxRounds) {
          s.destroy();
          return;
        }
        const reply = this.handler.request(from, f);
        if (reply === null || reply.length > this.limits.maxFrameBytes) {
          s.end();
          return;
        }
        this.write(s, reply);
        if (rounds === this.limits.maxRounds) s.end();
      }
    });
  }

  private write(s: Socket, bytes: Uint8Array): void {
    const frame = encodeFrame(bytes);
    this.stats.bytesOut += frame.length;
    s.write(frame);
  }

  /** Opens a stream to `to` with `bytes` as its first frame; the exchange continues through the handler. */
  open(to: Addr, bytes: Uint8Array): void {
    const fail = (e: StreamError): void => {
      this.stats.failed++;
      this.log.debug({ to, code: e.code, err: e.message }, 'gossip stream out failed');
      this.handler.failed(to, e);
    };
    if (this.closed) return fail(new StreamError('CLOSED', 'transport closed'));
    if (bytes.length > this.limits.maxFrameBytes) return fail(new StreamError('FRAME_TOO_LARGE', `frame of ${bytes.length} bytes, limit ${this.limits.maxFrameBytes}`));
    if (this.outbound >= this.limits.maxOutbound) return fail(new StreamError('TOO_MANY_STREAMS', `${this.outbound} streams already open`));
    let hp;
    try {
      hp = splitAddr(to);
    } catch (e) {
      return fail(new StreamError('SOCKET', (e as Error).message));
    }
    this.outbound++;
    this.stats.opened++;
    const s = new Socket();
    this.track(s);
    let settled = false;
    // Exactly one of: the exchange ended by our null (success) or a failure.
    const finish = (e: StreamError | null): void => {
      if (settled) return;
      settled = true;
      this.outbound--;
      clearTimeout(connectTimer);
      if (e) {
        s.destroy();
        fail(e);
      } else s.end();
    };
    const connectTimer = setTimeout(() => finish(new StreamError('CONNECT_TIMEOUT', `no connection within ${this.limits.connectTimeoutMs} ms`)), this.limits.connectTimeoutMs);
    const reader = new FrameReader(this.limits.maxFrameBytes);
    let rounds = 1;
    s.on('error', (e) => finish(new StreamError('SOCKET', e.message)));
    s.on('close', () => finish(new StreamError('CLOSED', 'closed by the peer before the exchange finished')));
    s.on('data', (chunk: Buffer) => {
      this.stats.bytesIn += chunk.length;
      const frames = reader.push(chunk);
      if (frames instanceof StreamError) return finish(frames);
      for (const f of frames) {
        if (settled) return;
        const next = this.handler.reply(to, f);
        if (next === null) return finish(null);
        if (++rounds > this.limits.maxRounds) return finish(new StreamError('TOO_MANY_ROUNDS', `more than ${this.limits.maxRounds} rounds`));
        if (next.length > this.limits.maxFrameBytes) return finish(new StreamError('FRAME_TOO_LARGE', `frame of ${next.length} bytes, limit ${this.limits.maxFrameBytes}`));
        this.write(s, next);
      }
    });
    s.connect({ host: hp.host, port: hp.port, family: hp.family, ...(this.localHost && splitAddr(this.addr).family === hp.family ? { localAddress: this.localHost } : {}) }, () => {
      clearTimeout(connectTimer);
      s.setTimeout(this.limits.idleTimeoutMs, () => finish(new StreamError('IDLE_TIMEOUT', `no reply within ${this.limits.idleTimeoutMs} ms`)));
      this.write(s, bytes);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
