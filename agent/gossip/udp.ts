// The gossip core's datagrams on a real socket. One socket per node, bound to
// one address, so the source address peers see is the one the node announces.
// Nothing that arrives or fails here may throw into the daemon: a datagram is
// bytes from anyone, and a send to an unreachable peer is the normal case
// SWIM exists to detect.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { formatHostPort, parseHostPort } from '../daemon/config-gossip.ts';
import type { Addr } from './types.ts';

export class TransportError extends Error {
  constructor(
    readonly code: 'BAD_ADDRESS' | 'BIND_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface UdpOptions {
  bind: Addr;
  /** Larger datagrams are dropped on receipt, before the core sees them. */
  maxPacketBytes: number;
  log: Logger;
  onMessage(from: Addr, bytes: Uint8Array): void;
}

export interface UdpStats {
  received: number;
  sent: number;
  oversize: number;
  sendErrors: number;
}

/** Parses "host:port" or throws a TransportError naming what was given. Port 0 (bind: any free port) is allowed. */
export function splitAddr(addr: Addr): { host: string; port: number; family: 4 | 6 } {
  // parseHostPort refuses port 0, which only a bind address may carry.
  const any = addr.endsWith(':0');
  const hp = parseHostPort(any ? `${addr.slice(0, -1)}1` : addr);
  if (hp && any) hp.port = 0;
  if (!hp) throw new TransportError('BAD_ADDRESS', `'${addr}' is not IPv4:port or [IPv6]:port`);
  return { ...hp, family: isIP(hp.host) === 6 ? 6 : 4 };
}

export class UdpTransport {
  readonly stats: UdpStats = { received: 0, sent: 0, oversize: 0, sendErrors: 0 };
  private pending = 0;
  private idle: (() => void)[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly family: 4 | 6,
    private readonly log: Logger,
    /** The address actually bound (port 0 resolved). */
    readonly addr: Addr,
  ) {}

  static async open(opts: UdpOptions): Promise<UdpTransport> {
    const { host, port, family } = splitAddr(opts.bind);
    // ipv6Only: a [::] bind must not also take IPv4 datagrams, whose sources would arrive as ::ffff:a.b.c.d
    // and match no member's address.
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6 });
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(new TransportError('BIND_FAILED', `udp ${opts.bind}: ${e.message}`));
      socket.once('error', onError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.removeListener('error', onError);
        resolve();
      });
    });
    const bound = socket.address();
    const t = new UdpTransport(socket, family, opts.log, formatHostPort(bound.address, bound.port));
    socket.on('error', (e) => opts.log.warn({ err: e.message }, 'gossip udp socket error'));
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (msg.length > opts.maxPacketBytes) {
        t.stats.oversize++;
        return;
      }
      t.stats.received++;
      opts.onMessage(formatHostPort(rinfo.address, rinfo.port), new Uint8Array(msg.buffer, msg.byteOffset, msg.length));
    });
    return t;
  }

  /** Best effort, like the network under it: failures are counted and logged at debug. */
  send(to: Addr, bytes: Uint8Array): void {
    const hp = parseHostPort(to);
    if (!hp || (isIP(hp.host) === 6 ? 6 : 4) !== this.family) {
      this.stats.sendErrors++;
      this.log.debug({ to }, 'gossip udp: no route from this socket to that address');
      return;
    }
    this.pending++;
    const done = (e: Error | null): void => {
      if (e) {
        this.stats.sendErrors++;
        this.log.debug({ to, err: e.message }, 'gossip udp send failed');
      } else this.stats.sent++;
      if (--this.pending === 0) for (const f of this.idle.splice(0)) f();
    };
    try {
      this.socket.send(bytes, hp.port, hp.host, done);
    } catch (e) {
      // A closed socket throws synchronously (ERR_SOCKET_DGRAM_NOT_RUNNING).
      done(e as Error);
    }
  }

  /** Resolves when every send handed to the kernel has completed, or after `ms`. */
  flushed(ms: number): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
