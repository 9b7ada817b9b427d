// The host side of an APF session over the LME client, as a pure state
// machine: fed the firmware's messages and the time, it returns the messages
// to send and what happened. No I/O and no timers (lme.ts drives it), so
// every window, timeout and close rule is tested without a device.
//
// Rules it keeps: the firmware's tcpip-forward requests are answered and
// remembered (a channel opens only to a port the firmware forwards); a
// channel never sends past the firmware's window and adjusts ours as the
// consumer takes data; and every channel the firmware confirmed is closed,
// also one whose opener gave up waiting (the ME has about eight channel
// slots, and an abandoned channel holds one until it is closed).

import { CANCEL_TCPIP_FORWARD, DATA_HEADER_LENGTH, DISCONNECT_REASON, OPEN_FAILURE_REASON, SERVICE_AUTH, SERVICE_PFWD, TCPIP_FORWARD, decodeApf, encodeApf, type ApfMessage } from './apf.ts';
import { merr, mok, type MeiError, type MeiErrorCode, type MeiResult } from './types.ts';

/** Our receive window per channel, as Intel's LMS advertises it (LME_RX_WINDOW_SIZE). */
export const RX_WINDOW = 4096;
/** Channels we hold at once: well under the ME's slots, so another LME user is not starved. */
export const MAX_CHANNELS = 4;
const DEFAULT_OPEN_TIMEOUT_MS = 5000;
const DEFAULT_CLOSE_TIMEOUT_MS = 2000;
/** rpc-go opens its channels as forwarded-tcpip to "::1" from port 123. */
const LOCAL_ADDRESS = '::1';
const ORIGINATOR_PORT = 123;

export interface LmeSessionOptions {
  /** From the MEI connect: no message, ours or the firmware's, may be longer. */
  maxMessageLength: number;
  openTimeoutMs?: number;
  closeTimeoutMs?: number;
}

export type LmeEvent =
  | { type: 'version'; major: number; minor: number }
  | { type: 'forward'; port: number }
  | { type: 'opened'; channel: number }
  | { type: 'open-failed'; channel: number; error: MeiError }
  | { type: 'data'; channel: number; data: Uint8Array }
  /** Everything written to the channel has left its queue for the transport, inside the firmware's window. */
  | { type: 'drained'; channel: number }
  | { type: 'closed'; channel: number; byPeer: boolean }
  /** The session is over; every channel with it. */
  | { type: 'ended'; error: MeiError };

export interface Step {
  send: Uint8Array[];
  events: LmeEvent[];
}

type ChannelState = 'opening' | 'open' | 'closing' | 'abandoned';

interface Channel {
  id: number;
  port: number;
  state: ChannelState;
  /** The firmware's number for the channel, once confirmed. */
  peer: number;
  /** Bytes the firmware will still take. */
  txWindow: number;
  /** Bytes the firmware may still send us. */
  rxWindow: number;
  /** Consumed bytes not yet given back in a WINDOW_ADJUST. */
  toAdjust: number;
  queue: Uint8Array[];
  /** Open or close deadline, on the caller's clock. */
  until: number;
}

export class LmeSession {
  private readonly channels = new Map<number, Channel>();
  private readonly forwarded = new Set<number>();
  /** Channels gone lately: the firmware may still have sent WINDOW_ADJUST or data for one as our CLOSE crossed its own. */
  private readonly gone: number[] = [];
  private nextId = 1;
  private versionSeen = false;
  private over: MeiError | null = null;
  private readonly openTimeoutMs: number;
  private readonly closeTimeoutMs: number;

  constructor(private readonly o: LmeSessionOptions) {
    this.openTimeoutMs = o.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
    this.closeTimeoutMs = o.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  }

  get ended(): MeiError | null {
    return this.over;
  }

  get ready(): boolean {
    return this.versionSeen && this.over === null;
  }

  /** Ports the firmware forwards now (16992/623, or 16993/664 when TLS is enforced on local ports). */
  ports(): number[] {
    return [...this.forwarded].sort((a, b) => a - b);
  }

  /** Channels that still hold a firmware slot or wait for one. */
  get live(): number {
    return this.channels.size;
  }

  /** The host speaks first: protocol version 1.0, as rpc-go sends it. */
  start(): Step {
    return { send: [encodeApf({ type: 'protocol-version', major: 1, minor: 0, trigger: 9, uuid: new Uint8Array(16) })], events: [] };
  }

  receive(bytes: Uint8Array, now: number): Step {
    const step: Step = { send: [], events: [] };
    if (this.over) return step;
    if (bytes.length > this.o.maxMessageLength) return this.fail(step, 'PROTOCOL', `the firmware sent ${bytes.length} bytes, more than its own limit of ${this.o.maxMessageLength}`);
    const m = decodeApf(bytes);
    if (!m.ok) return this.fail(step, m.error.code, m.error.message);
    this.handle(m.value, now, step);
    return step;
  }

  private handle(m: ApfMessage, now: number, step: Step): void {
    switch (m.type) {
      case 'protocol-version':
        if (m.major !== 1) return void this.fail(step, 'PROTOCOL', `APF protocol version ${m.major}.${m.minor} is not 1.x`, DISCONNECT_REASON.PROTOCOL_VERSION_NOT_SUPPORTED);
        this.versionSeen = true;
        step.events.push({ type: 'version', major: m.major, minor: m.minor });
        return;
      case 'global-request':
        return this.globalRequest(m, step);
      case 'service-request':
        if (m.service === SERVICE_PFWD || m.service === SERVICE_AUTH) return void step.send.push(encodeApf({ type: 'service-accept', service: m.service }));
        return void this.fail(step, 'PROTOCOL', `the firmware asked for APF service "${m.service.slice(0, 40)}"`, DISCONNECT_REASON.SERVICE_NOT_AVAILABLE);
      case 'userauth-request':
        // The firmware authenticates itself to its own host; there is nothing for us to check.
        return void step.send.push(encodeApf({ type: 'userauth-success' }));
      case 'channel-open':
        // Channels the firmware opens carry WS-Eventing notifications; nothing here listens for them.
        return void step.send.push(encodeApf({ type: 'open-failure', recipient: m.sender, reason: OPEN_FAILURE_REASON.PROHIBITED }));
      case 'open-confirmation':
        return this.confirmed(m.recipient, m.sender, m.window, now, step);
      case 'open-failure':
        return this.refused(m.recipient, m.reason, step);
      case 'window-adjust': {
        const ch = this.channels.get(m.recipient);
        if (!ch && this.gone.includes(m.recipient)) return;
        if (!ch) return void this.fail(step, 'PROTOCOL', `WINDOW_ADJUST for channel ${m.recipient}, which is not open`);
        if (ch.state !== 'open') return;
        if (ch.txWindow + m.bytes > 0xffffffff) return void this.fail(step, 'PROTOCOL', `WINDOW_ADJUST grows channel ${ch.id}'s window past 2^32`);
        ch.txWindow += m.bytes;
        return this.flush(ch, step);
      }
      case 'channel-data':
        return this.data(m.recipient, m.data, step);
      case 'channel-close':
        return this.peerClosed(m.recipient, step);
      case 'keepalive-request':
        return void step.send.push(encodeApf({ type: 'keepalive-reply', cookie: m.cookie }));
      case 'keepalive-options-request':
        return void step.send.push(encodeApf({ type: 'keepalive-options-reply', interval: m.interval, timeout: m.timeout }));
      case 'keepalive-reply':
      case 'keepalive-options-reply':
        return;
      case 'disconnect':
        return void this.end(step, 'RESET', `the firmware ended the APF session (DISCONNECT reason ${m.reason})`);
      default:
        return void this.fail(step, 'PROTOCOL', `the firmware sent ${m.type}, which only a host sends`);
    }
  }

  private globalRequest(m: Extract<ApfMessage, { type: 'global-request' }>, step: Step): void {
    if (m.forward === null) {
      if (m.wantReply) step.send.push(encodeApf({ type: 'request-failure' }));
      return;
    }
    if (m.name === TCPIP_FORWARD) {
      this.forwarded.add(m.forward.port);
      step.events.push({ type: 'forward', port: m.forward.port });
      if (m.wantReply) step.send.push(encodeApf({ type: 'request-success', port: m.forward.port }));
    } else if (m.name === CANCEL_TCPIP_FORWARD) {
      this.forwarded.delete(m.forward.port);
      if (m.wantReply) step.send.push(encodeApf({ type: 'request-success', port: null }));
    }
  }

  private confirmed(id: number, peer: number, window: number, now: number, step: Step): void {
    const ch = this.channels.get(id);
    if (!ch || (ch.state !== 'opening' && ch.state !== 'abandoned')) return void this.fail(step, 'PROTOCOL', `OPEN_CONFIRMATION for channel ${id}, which was not being opened`);
    ch.peer = peer;
    ch.txWindow = window;
    if (ch.state === 'abandoned') {
      // Its opener gave up; the slot is the firmware's again only once we close it.
      ch.state = 'closing';
      ch.until = now + this.closeTimeoutMs;
      step.send.push(encodeApf({ type: 'channel-close', recipient: peer }));
      return;
    }
    ch.state = 'open';
    step.events.push({ type: 'opened', channel: id });
    this.flush(ch, step);
  }

  private refused(id: number, reason: number, step: Step): void {
    const ch = this.channels.get(id);
    if (!ch || (ch.state !== 'opening' && ch.state !== 'abandoned')) return void this.fail(step, 'PROTOCOL', `OPEN_FAILURE for channel ${id}, which was not being opened`);
    this.forget(id);
    if (ch.state === 'abandoned') return;
    const code: MeiErrorCode = reason === OPEN_FAILURE_REASON.RESOURCE_SHORTAGE ? 'BUSY' : 'STATUS';
    step.events.push({ type: 'open-failed', channel: id, error: { code, message: `the firmware refused a channel to port ${ch.port} (reason ${reason})`, status: reason } });
  }

  private data(id: number, data: Uint8Array, step: Step): void {
    const ch = this.channels.get(id);
    if (!ch && this.gone.includes(id)) return;
    if (!ch || ch.state === 'opening' || ch.state === 'abandoned') return void this.fail(step, 'PROTOCOL', `CHANNEL_DATA for channel ${id}, which is not open`);
    if (data.length > ch.rxWindow) return void this.fail(step, 'PROTOCOL', `the firmware sent ${data.length} bytes on channel ${id} with only ${ch.rxWindow} left in its window`);
    ch.rxWindow -= data.length;
    // After our CLOSE the bytes still count against the window but go nowhere.
    if (ch.state === 'open') step.events.push({ type: 'data', channel: id, data });
  }

  private peerClosed(id: number, step: Step): void {
    const ch = this.channels.get(id);
    if (!ch && this.gone.includes(id)) return;
    if (!ch || ch.state === 'opening' || ch.state === 'abandoned') return void this.fail(step, 'PROTOCOL', `CHANNEL_CLOSE for channel ${id}, which is not open`);
    this.forget(id);
    if (ch.state === 'open') {
      step.send.push(encodeApf({ type: 'channel-close', recipient: ch.peer }));
      step.events.push({ type: 'closed', channel: id, byPeer: true });
    } else {
      step.events.push({ type: 'closed', channel: id, byPeer: false });
    }
  }

  private forget(id: number): void {
    this.channels.delete(id);
    this.gone.push(id);
    if (this.gone.length > 32) this.gone.shift();
  }

  /** Asks for a channel to a forwarded port; 'opened' or 'open-failed' follows. */
  open(port: number, now: number): MeiResult<{ channel: number; step: Step }> {
    if (this.over) return { ok: false, error: this.over };
    if (!this.versionSeen) return merr('PROTOCOL', 'the firmware has not sent its APF protocol version yet');
    if (!this.forwarded.has(port)) return merr('NO_CLIENT', `the firmware does not forward port ${port} (it forwards ${this.ports().join(', ') || 'none'})`);
    if (this.channels.size >= MAX_CHANNELS) return merr('BUSY', `${this.channels.size} LME channels are already in use`);
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffffe ? 1 : this.nextId + 1;
    this.channels.set(id, { id, port, state: 'opening', peer: 0, txWindow: 0, rxWindow: RX_WINDOW, toAdjust: 0, queue: [], until: now + this.openTimeoutMs });
    const target = { address: LOCAL_ADDRESS, port, originator: LOCAL_ADDRESS, originatorPort: ORIGINATOR_PORT };
    const msg = encodeApf({ type: 'channel-open', kind: 'forwarded-tcpip', sender: id, window: RX_WINDOW, target });
    return mok({ channel: id, step: { send: [msg], events: [] } });
  }

  /** Queues bytes; they go out as the firmware's window allows. */
  write(id: number, data: Uint8Array): Step {
    const step: Step = { send: [], events: [] };
    const ch = this.channels.get(id);
    if (!ch || (ch.state !== 'opening' && ch.state !== 'open') || data.length === 0) return step;
    ch.queue.push(data);
    if (ch.state === 'open') this.flush(ch, step);
    return step;
  }

  /** Bytes not yet sent on a channel (waiting for the open or for window). */
  queued(id: number): number {
    return this.channels.get(id)?.queue.reduce((n, b) => n + b.length, 0) ?? 0;
  }

  private flush(ch: Channel, step: Step): void {
    const maxData = this.o.maxMessageLength - DATA_HEADER_LENGTH;
    const had = ch.queue.length > 0;
    while (ch.queue.length > 0 && ch.txWindow > 0 && maxData > 0) {
      const head = ch.queue[0] as Uint8Array;
      const n = Math.min(head.length, ch.txWindow, maxData);
      step.send.push(encodeApf({ type: 'channel-data', recipient: ch.peer, data: head.subarray(0, n) }));
      ch.txWindow -= n;
      if (n === head.length) ch.queue.shift();
      else ch.queue[0] = head.subarray(n);
    }
    if (had && ch.queue.length === 0) step.events.push({ type: 'drained', channel: ch.id });
  }

  /**
   * The consumer took `n` bytes of the channel's data. The window is given
   * back in one WINDOW_ADJUST once half of it is used, not per read.
   */
  consumed(id: number, n: number): Step {
    const step: Step = { send: [], events: [] };
    const ch = this.channels.get(id);
    if (!ch || ch.state !== 'open' || n <= 0) return step;
    ch.toAdjust += n;
    if (ch.rxWindow <= RX_WINDOW / 2 && ch.toAdjust > 0) {
      step.send.push(encodeApf({ type: 'window-adjust', recipient: ch.peer, bytes: ch.toAdjust }));
      ch.rxWindow += ch.toAdjust;
      ch.toAdjust = 0;
    }
    return step;
  }

  /** Ends a channel from our side; queued bytes are dropped. */
  close(id: number, now: number): Step {
    const step: Step = { send: [], events: [] };
    const ch = this.channels.get(id);
    if (!ch) return step;
    ch.queue = [];
    if (ch.state === 'opening') {
      ch.state = 'abandoned';
      ch.until = now + this.openTimeoutMs;
    } else if (ch.state === 'open') {
      ch.state = 'closing';
      ch.until = now + this.closeTimeoutMs;
      step.send.push(encodeApf({ type: 'channel-close', recipient: ch.peer }));
    }
    return step;
  }

  /** Expires opens and closes the firmware never answered. */
  tick(now: number): Step {
    const step: Step = { send: [], events: [] };
    for (const ch of [...this.channels.values()]) {
      if (now < ch.until) continue;
      if (ch.state === 'opening') {
        // Kept as abandoned: a late confirmation still gets its CLOSE.
        ch.state = 'abandoned';
        ch.until = now + this.openTimeoutMs;
        step.events.push({ type: 'open-failed', channel: ch.id, error: { code: 'TIMEOUT', message: `the firmware did not answer a channel open to port ${ch.port}` } });
      } else if (ch.state === 'closing' || ch.state === 'abandoned') {
        this.forget(ch.id);
        if (ch.state === 'closing') step.events.push({ type: 'closed', channel: ch.id, byPeer: false });
      }
    }
    return step;
  }

  /** Ends the session from our side: every open channel gets its CLOSE first. */
  shutdown(): Step {
    const step: Step = { send: [], events: [] };
    if (this.over) return step;
    for (const ch of this.channels.values()) if (ch.state === 'open' || ch.state === 'closing') step.send.push(encodeApf({ type: 'channel-close', recipient: ch.peer }));
    return this.end(step, 'RESET', 'the host ended the APF session');
  }

  /** The transport under the session failed (MEI reset, timeout): the session is gone. */
  lost(error: MeiError): Step {
    return this.end({ send: [], events: [] }, error.code, error.message);
  }

  private fail(step: Step, code: MeiErrorCode, message: string, reason: number = DISCONNECT_REASON.PROTOCOL_ERROR): Step {
    step.send.push(encodeApf({ type: 'disconnect', reason }));
    return this.end(step, code, message);
  }

  private end(step: Step, code: MeiErrorCode, message: string): Step {
    if (this.over) return step;
    this.over = { code, message };
    for (const ch of this.channels.values()) {
      if (ch.state === 'opening') step.events.push({ type: 'open-failed', channel: ch.id, error: this.over });
      else if (ch.state === 'open' || ch.state === 'closing') step.events.push({ type: 'closed', channel: ch.id, byPeer: true });
    }
    this.channels.clear();
    step.events.push({ type: 'ended', error: this.over });
    return step;
  }
}
