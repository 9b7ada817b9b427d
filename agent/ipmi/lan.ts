// The thin UDP driver under the pure machines: one socket per client, one
// exchange at a time, retransmission bounded in count and by the deadline.
// Packets that fail a machine's checks are dropped and remembered, so a BMC
// answering garbage ends as PROTOCOL and a silent one as TIMEOUT.

import { createSocket, type Socket } from 'node:dgram';
import { cerr, cok, remainingMs, type ChannelResult, type Deadline } from '../channels/types.ts';
import type { Exchange } from './session.ts';

export interface LanTiming {
  /** Silence after which the current packet is sent again (ipmitool lanplus: 1 s). */
  retransmitMs: number;
  /** Retransmissions per packet before giving up (ipmitool: 4). */
  retries: number;
}

export const DEFAULT_LAN_TIMING: LanTiming = { retransmitMs: 1000, retries: 4 };

export class LanTransport {
  private socket: Socket | null = null;
  private onPacket: ((b: Buffer) => void) | null = null;
  private onError: ((e: NodeJS.ErrnoException) => void) | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timing: LanTiming = DEFAULT_LAN_TIMING,
  ) {}

  private open(): Socket {
    if (this.socket) return this.socket;
    const s = createSocket(this.host.includes(':') ? 'udp6' : 'udp4');
    s.on('message', (msg, rinfo) => {
      // Only the BMC's own address and port may answer.
      if (rinfo.port === this.port) this.onPacket?.(msg);
    });
    s.on('error', (e: NodeJS.ErrnoException) => this.onError?.(e));
    s.unref();
    this.socket = s;
    return s;
  }

  run<T>(ex: Exchange<T>, d: Deadline): Promise<ChannelResult<T>> {
    const s = this.open();
    return new Promise((resolve) => {
      let sent = 0;
      let rejected: string | null = null;
      let timer: NodeJS.Timeout | null = null;
      const finish = (r: ChannelResult<T>): void => {
        if (timer) clearTimeout(timer);
        this.onPacket = null;
        this.onError = null;
        resolve(r);
      };
      const expire = (): void => {
        if (rejected !== null) finish(cerr('PROTOCOL', `no valid reply from ${this.target()}; last packet dropped: ${rejected}`));
        else finish(cerr('TIMEOUT', `no reply from ${this.target()} after ${sent} transmissions`));
      };
      const send = (bytes: Buffer, fresh: boolean): void => {
        if (fresh) sent = 0;
        const left = remainingMs(d);
        if (left <= 0 || sent > this.timing.retries) return expire();
        sent++;
        s.send(bytes, this.port, this.host, (err) => {
          if (err) finish(cerr('UNREACHABLE', `cannot send to ${this.target()}: ${err.message}`));
        });
        if (timer) clearTimeout(timer);
        // A wait cut short by the deadline ends the exchange when it fires: timers run on the loop's
        // cached clock, so one may fire a hair before the deadline by ours, and a packet sent then
        // could not be answered in time anyway.
        const last = left <= this.timing.retransmitMs;
        timer = setTimeout(() => (last ? expire() : send(ex.transmit(), false)), Math.max(1, Math.min(this.timing.retransmitMs, left)));
      };
      this.onPacket = (b) => {
        const r = ex.receive(b);
        // A late reply to an earlier request says the BMC is alive and honest; only garbage makes a timeout PROTOCOL.
        if (r.kind === 'ignore') rejected = r.stale ? rejected : r.reason;
        else if (r.kind === 'send') send(r.bytes, true);
        else if (r.kind === 'done') finish(cok(r.value));
        else finish({ ok: false, error: r.error });
      };
      // Loopback turns a closed port into ECONNREFUSED on the next receive: the BMC is not there (yet).
      this.onError = (e) => finish(cerr('UNREACHABLE', `${this.target()}: ${e.code ?? e.message}`));
      send(ex.transmit(), true);
    });
  }

  private target(): string {
    return `${this.host}:${this.port}`;
  }

  close(): void {
    const s = this.socket;
    this.socket = null;
    if (s) {
      try {
        s.close();
      } catch {
        // Already closed: nothing to release.
      }
    }
  }
}
