// The LME driver: one MEI connection to the LME client carrying one APF
// session (lme-session.ts), pumped until its deadline. Channels come out as
// Node Duplex streams (lme-channel.ts), so HTTP, TLS and the WS-MAN client run
// over them as over a TCP socket, without Intel's LMS service.

import { remainingMs, type Deadline } from '../channels/types.ts';
import { monotonicMs } from '../clock.ts';
import { MEI_GUID } from './guid.ts';
import { LmeChannel } from './lme-channel.ts';
import { LmeSession, type LmeEvent, type Step } from './lme-session.ts';
import { merr, mok, type MeiBus, type MeiConnection, type MeiError, type MeiResult } from './types.ts';

export const LME_GUID = MEI_GUID.LME;
/** AMT's local WS-MAN ports: HTTP, and HTTPS where AMT enforces TLS on local ports. */
export const AMT_HTTP_PORT = 16992;
export const AMT_HTTPS_PORT = 16993;
const TICK_MS = 100;

export interface LmeOptions {
  openTimeoutMs?: number;
  closeTimeoutMs?: number;
  /**
   * How long the session outlives the deadline it was opened with (default
   * 1 s): requests bounded by that same deadline then end on their own timers
   * (a TIMEOUT of the request), not on the session's last receive.
   */
  graceMs?: number;
}

export class Lme {
  private readonly session: LmeSession;
  private readonly channels = new Map<number, LmeChannel>();
  private sending: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(
    private readonly conn: MeiConnection,
    private readonly life: Deadline,
    o: LmeOptions,
  ) {
    this.session = new LmeSession({ maxMessageLength: conn.maxMessageLength, ...o });
    this.timer = setInterval(() => this.apply(this.session.tick(monotonicMs())), TICK_MS);
    this.timer.unref();
  }

  /**
   * Connects the LME client and waits, within `d`, for the firmware's
   * protocol version and its tcpip-forward of a WS-MAN port (16992 or 16993;
   * 623/664 may come first and are not enough). The session lives until
   * `d` plus the grace (every receive is bounded by it) or until close().
   */
  static async open(bus: MeiBus, d: Deadline, o: LmeOptions = {}): Promise<MeiResult<Lme>> {
    const c = await bus.connect(LME_GUID, d);
    if (!c.ok) return c;
    const lme = new Lme(c.value, { at: d.at + (o.graceMs ?? 1000) }, o);
    lme.apply(lme.session.start());
    void lme.pump();
    const ready = await lme.until(() => lme.session.ready && lme.wsmanPort().ok, d);
    if (!ready.ok) {
      await lme.close();
      return ready.error.code === 'TIMEOUT' ? merr('TIMEOUT', 'the LME client did not send its protocol version and a WS-MAN port forward in time') : ready;
    }
    return mok(lme);
  }

  ports(): number[] {
    return this.session.ports();
  }

  /** Where AMT's WS-MAN listens locally: 16992, or 16993 (TLS) when that is all the firmware forwards. */
  wsmanPort(): MeiResult<{ port: number; tls: boolean }> {
    const p = this.ports();
    if (p.includes(AMT_HTTP_PORT)) return mok({ port: AMT_HTTP_PORT, tls: false });
    if (p.includes(AMT_HTTPS_PORT)) return mok({ port: AMT_HTTPS_PORT, tls: true });
    return merr('NO_CLIENT', `the firmware forwards no WS-MAN port (it forwards ${p.join(', ') || 'none'})`);
  }

  /** Channels still holding or awaiting a firmware slot. */
  get liveChannels(): number {
    return this.session.live;
  }

  get ended(): MeiError | null {
    return this.session.ended;
  }

  /**
   * A channel to `port` as a Duplex. Writes wait for the firmware's
   * confirmation; a refusal or the session's end destroys the stream with an
   * error. Destroying the stream closes the channel.
   */
  channel(port: number): LmeChannel {
    const ch = new LmeChannel({
      write: (id, data) => this.apply(this.session.write(id, data)),
      consumed: (id, n) => this.apply(this.session.consumed(id, n)),
      close: (id) => {
        this.apply(this.session.close(id, monotonicMs()));
      },
    });
    const r = this.session.open(port, monotonicMs());
    if (!r.ok) {
      ch.fail(r.error);
      return ch;
    }
    this.channels.set(r.value.channel, ch);
    ch.attach(r.value.channel);
    this.apply(r.value.step);
    return ch;
  }

  /** Closes every channel (waiting for the firmware's CLOSE until `d`), then the MEI connection. */
  async close(d?: Deadline): Promise<void> {
    if (this.closed) return;
    for (const ch of this.channels.values()) ch.destroy();
    if (d !== undefined && !this.session.ended) await this.until(() => this.session.live === 0, d);
    this.closed = true;
    this.apply(this.session.shutdown());
    clearInterval(this.timer);
    // Let the CLOSE/DISCONNECT messages reach the device before the descriptor goes.
    await this.sending;
    this.conn.close();
  }

  private async pump(): Promise<void> {
    while (!this.session.ended) {
      const r = await this.conn.receive(this.life);
      if (this.session.ended) return;
      if (!r.ok) {
        this.apply(this.session.lost(r.error));
        return;
      }
      this.apply(this.session.receive(r.value, monotonicMs()));
    }
  }

  /** Sends in order; a failed send ends the session. */
  private apply(step: Step): void {
    for (const msg of step.send) {
      this.sending = this.sending.then(async () => {
        const r = await this.conn.send(msg, this.life);
        if (!r.ok && !this.session.ended) this.apply(this.session.lost(r.error));
      });
    }
    for (const e of step.events) this.dispatch(e);
    // Every step may have changed what a waiter waits for (a channel let go silently, too).
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private dispatch(e: LmeEvent): void {
    switch (e.type) {
      case 'opened':
        // Nothing to tell the stream: writes made while opening were queued and now flow.
        return;
      case 'open-failed':
        this.channels.get(e.channel)?.fail(e.error);
        this.channels.delete(e.channel);
        return;
      case 'data':
        return this.channels.get(e.channel)?.deliver(e.data);
      case 'drained':
        return this.channels.get(e.channel)?.drained();
      case 'closed':
        this.channels.get(e.channel)?.peerClosed(this.session.ended);
        this.channels.delete(e.channel);
        return;
      case 'ended':
        for (const ch of this.channels.values()) ch.fail(e.error);
        this.channels.clear();
        clearInterval(this.timer);
        // The session is over whoever ended it: the device connection goes once the last message (DISCONNECT) is out.
        void this.sending.then(() => this.conn.close());
        return;
      default:
        return;
    }
  }

  /** Resolves when `cond` holds (checked after every event), the session ends, or `d` passes. */
  private until(cond: () => boolean, d: Deadline): Promise<MeiResult<void>> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const ended = this.session.ended;
        if (cond()) resolve(mok(undefined));
        else if (ended) resolve({ ok: false, error: ended });
        else return false;
        clearTimeout(t);
        return true;
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wait);
        resolve(merr('TIMEOUT', 'the LME session did not get there in time'));
      }, remainingMs(d));
      const wait = (): void => {
        if (!check()) this.waiters.push(wait);
      };
      wait();
    });
  }
}
