// One firmware client over a MeiBus, used request/reply: at most one request in
// flight (the ME answers in order and PTHI replies carry no request id, so a
// second concurrent request could take the first one's answer), connect on first
// use, close when idle. After a timeout, a reset or an answer that breaks the
// protocol the connection is closed, so a late reply to a dropped request can
// never be read as the answer to the next one.

import { remainingMs, type Deadline } from '../channels/types.ts';
import { merr, type MeiBus, type MeiConnection, type MeiResult } from './types.ts';

const RESEND_ATTEMPTS = 2;

export class MeiClient {
  private conn: MeiConnection | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private holds = 0;

  constructor(private readonly bus: MeiBus, readonly guid: string, readonly label: string) {}

  /** Sends `request`, reads one reply, decodes it; queued behind earlier calls. */
  call<T>(request: Uint8Array, d: Deadline, decode: (reply: Uint8Array) => MeiResult<T>): Promise<MeiResult<T>> {
    this.pending++;
    const run = this.tail.then(() => this.exchange(request, d, decode));
    this.tail = run.catch(() => undefined);
    return run.finally(() => {
      this.pending--;
      this.closeIfIdle();
    });
  }

  /** Keeps the connection open across the calls `fn` makes (amtinfo asks a dozen questions). */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      return await fn();
    } finally {
      this.holds--;
      this.closeIfIdle();
    }
  }

  close(): void {
    this.conn?.close();
    this.conn = null;
  }

  private async exchange<T>(request: Uint8Array, d: Deadline, decode: (reply: Uint8Array) => MeiResult<T>): Promise<MeiResult<T>> {
    let conn: MeiConnection | undefined;
    // A write refused with RESET (ENODEV, a hang-up) delivered nothing, so it is safe to
    // reconnect and write again (rpc-go reinitialises the same way); bounded in count and
    // by the deadline. After a write succeeds nothing is ever sent twice.
    for (let attempt = 0; ; attempt++) {
      if (!this.conn) {
        const c = await this.bus.connect(this.guid, d);
        if (!c.ok) return c;
        this.conn = c.value;
      }
      conn = this.conn;
      if (request.length > conn.maxMessageLength) {
        return merr('PROTOCOL', `${this.label}: request of ${request.length} bytes exceeds max_msg_length ${conn.maxMessageLength}`);
      }
      const sent = await conn.send(request, d);
      if (sent.ok) break;
      this.close();
      if (sent.error.code !== 'RESET' || attempt >= RESEND_ATTEMPTS || remainingMs(d) === 0) return sent;
    }
    const reply = await conn.receive(d);
    if (!reply.ok) return this.failed(reply);
    const out = decode(reply.value);
    return out.ok || out.error.code === 'STATUS' ? out : this.failed(out);
  }

  private failed<T>(r: MeiResult<T>): MeiResult<T> {
    this.close();
    return r;
  }

  private closeIfIdle(): void {
    if (this.pending === 0 && this.holds === 0) this.close();
  }
}
