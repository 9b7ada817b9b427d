// The LME client of the simulated ME firmware (a SimClientSpec for
// SimulatedMe): the firmware half of APF as Intel's LMS and rpc-go meet it
// (amt-me.md 1e). It is a test double, not an emulator: it answers the host's
// PROTOCOLVERSION with its own, asks the host to forward 16992 and 623 (or
// 16993 and 664 when TLS is enforced on the local ports; nothing while AMT is
// disabled), takes channel opens to the WS-MAN port and bridges their bytes
// to the fake AMT WS-MAN server (amt-wsman.ts) on a loopback socket. Strict:
// a malformed message, a message longer than the client's limit, data past
// the window it granted, or a message out of order gets DISCONNECT and the
// connection dropped. It holds at most `slots` channels (AMT has about
// eight), so a host that leaks channels runs out. Fault: reset the LME
// connection after relaying N more bytes to the host.

import net from 'node:net';
import { DATA_HEADER_LENGTH, OPEN_FAILURE_REASON, decodeApf, encodeApf, type ApfMessage } from '../../../agent/mei/apf.ts';
import { MEI_GUID } from '../../../agent/mei/guid.ts';
import type { FakeAmtWsman } from './amt-wsman.ts';
import type { AmtState, SimClientSession, SimClientSpec, SimPeer } from './types.ts';

export interface SimLmeOptions {
  /** The window the firmware grants per channel (and re-grants as it forwards bytes). */
  window?: number;
  maxMessageLength?: number;
  slots?: number;
}

interface Chan {
  id: number;
  host: number;
  port: number;
  sock: net.Socket;
  open: boolean;
  /** Bytes the host may still send us. */
  rxLeft: number;
  /** Bytes we may still send the host. */
  txWindow: number;
  queue: Buffer[];
  sockDone: boolean;
  sentClose: boolean;
}

export class SimLme {
  readonly window: number;
  readonly maxMessageLength: number;
  readonly slots: number;
  /** Fault: after this many more channel bytes to the host (counted from when it is set), the firmware drops the LME connection (once). */
  resetAfterBytes: number | null = null;
  /** Why the fake disconnected a host, for assertions. */
  disconnects: string[] = [];
  sessions = 0;
  channelsOpened = 0;
  /** Channels holding a slot now, over every session. */
  live = 0;
  maxLive = 0;
  /** Every data message the host sent, by size, to check it never exceeded a window. */
  hostDataSizes: number[] = [];

  constructor(
    private readonly wsman: FakeAmtWsman,
    o: SimLmeOptions = {},
  ) {
    this.window = o.window ?? 4096;
    this.maxMessageLength = o.maxMessageLength ?? 4096;
    this.slots = o.slots ?? 8;
  }

  spec(): SimClientSpec {
    return {
      guid: MEI_GUID.LME,
      maxMessageLength: this.maxMessageLength,
      protocolVersion: 1,
      singleConnection: true,
      create: (peer, state) => {
        this.wsman.attach(state);
        this.sessions++;
        return new LmeFirmwareSession(this, this.wsman, peer, state);
      },
    };
  }
}

class LmeFirmwareSession implements SimClientSession {
  private phase: 'version' | 'forwarding' = 'version';
  private readonly pendingForwards = new Set<number>();
  private readonly forwarded: number[];
  private readonly chans = new Map<number, Chan>();
  private nextId = 0x100;
  private dead = false;

  constructor(
    private readonly ctl: SimLme,
    private readonly wsman: FakeAmtWsman,
    private readonly peer: SimPeer,
    private readonly state: AmtState,
  ) {
    this.forwarded = state.tlsEnforcedOnLocalPorts ? [16993, 664] : [16992, 623];
  }

  onMessage(bytes: Uint8Array): void {
    if (this.dead) return;
    if (bytes.length > this.ctl.maxMessageLength) return this.disconnect(`a ${bytes.length}-byte message`);
    const m = decodeApf(bytes);
    if (!m.ok) return this.disconnect(m.error.message);
    this.handle(m.value);
  }

  onClose(): void {
    this.teardown();
  }

  private send(m: ApfMessage): void {
    if (!this.dead) this.peer.push(encodeApf(m));
  }

  private handle(m: ApfMessage): void {
    if (this.phase === 'version') {
      if (m.type !== 'protocol-version' || m.major !== 1) return this.disconnect(`${m.type} before the protocol version`);
      this.phase = 'forwarding';
      this.send({ type: 'protocol-version', major: 1, minor: 0, trigger: 0, uuid: this.state.uuid });
      // With AMT disabled at the firmware level its port stack is down: nothing is forwarded.
      if (!this.state.amtEnabled) return;
      for (const port of this.forwarded) {
        this.pendingForwards.add(port);
        this.send({ type: 'global-request', name: 'tcpip-forward', wantReply: true, forward: { address: '', port } });
      }
      return;
    }
    switch (m.type) {
      case 'request-success':
        if (m.port === null || !this.pendingForwards.delete(m.port)) return this.disconnect(`REQUEST_SUCCESS for port ${m.port}, which was not asked`);
        return;
      case 'request-failure':
        return this.disconnect('the host refused a tcpip-forward');
      case 'channel-open':
        return this.channelOpen(m);
      case 'channel-data':
        return this.data(m.recipient, m.data);
      case 'window-adjust': {
        const c = this.chans.get(m.recipient);
        if (!c || !c.open) return this.disconnect(`WINDOW_ADJUST for unknown channel ${m.recipient}`);
        c.txWindow += m.bytes;
        return this.flush(c);
      }
      case 'channel-close': {
        const c = this.chans.get(m.recipient);
        if (!c || !c.open) return this.disconnect(`CHANNEL_CLOSE for unknown channel ${m.recipient}`);
        if (!c.sentClose) this.send({ type: 'channel-close', recipient: c.host });
        return this.free(c);
      }
      case 'keepalive-request':
        return this.send({ type: 'keepalive-reply', cookie: m.cookie });
      case 'keepalive-reply':
        return;
      case 'disconnect':
        return this.teardown();
      default:
        return this.disconnect(`unexpected ${m.type} from the host`);
    }
  }

  private channelOpen(m: Extract<ApfMessage, { type: 'channel-open' }>): void {
    if ((m.kind !== 'forwarded-tcpip' && m.kind !== 'direct-tcpip') || m.target === null) {
      return this.send({ type: 'open-failure', recipient: m.sender, reason: OPEN_FAILURE_REASON.UNKNOWN_CHANNEL_TYPE });
    }
    const port = m.target.port;
    const upstream = port === 16992 ? this.wsman.httpPort : port === 16993 ? this.wsman.httpsPort : 0;
    if (!this.forwarded.includes(port) || upstream === 0) return this.send({ type: 'open-failure', recipient: m.sender, reason: OPEN_FAILURE_REASON.CONNECT_FAILED });
    if (this.ctl.live >= this.ctl.slots) return this.send({ type: 'open-failure', recipient: m.sender, reason: OPEN_FAILURE_REASON.RESOURCE_SHORTAGE });
    const id = this.nextId++;
    const sock = net.connect({ host: '127.0.0.1', port: upstream });
    const c: Chan = { id, host: m.sender, port, sock, open: false, rxLeft: this.ctl.window, txWindow: m.window, queue: [], sockDone: false, sentClose: false };
    this.chans.set(id, c);
    this.ctl.live++;
    this.ctl.maxLive = Math.max(this.ctl.maxLive, this.ctl.live);
    sock.once('connect', () => {
      if (this.dead) return;
      c.open = true;
      this.ctl.channelsOpened++;
      this.send({ type: 'open-confirmation', recipient: c.host, sender: id, window: this.ctl.window });
      this.flush(c);
    });
    sock.on('data', (b: Buffer) => {
      c.queue.push(b);
      this.flush(c);
    });
    sock.on('error', () => {
      if (!c.open) {
        this.send({ type: 'open-failure', recipient: c.host, reason: OPEN_FAILURE_REASON.CONNECT_FAILED });
        this.free(c);
      }
    });
    sock.on('close', () => {
      c.sockDone = true;
      this.flush(c);
    });
  }

  private data(id: number, data: Uint8Array): void {
    const c = this.chans.get(id);
    if (!c || !c.open) return this.disconnect(`CHANNEL_DATA for unknown channel ${id}`);
    this.ctl.hostDataSizes.push(data.length);
    if (data.length > c.rxLeft) return this.disconnect(`the host sent ${data.length} bytes with ${c.rxLeft} left in the window`);
    c.rxLeft -= data.length;
    if (c.sentClose || c.sock.destroyed) return;
    c.sock.write(data, () => {
      // The bytes left the firmware's buffer: the host may send that many more.
      if (this.dead || !this.chans.has(id)) return;
      c.rxLeft += data.length;
      this.send({ type: 'window-adjust', recipient: c.host, bytes: data.length });
    });
  }

  private flush(c: Chan): void {
    const maxData = this.ctl.maxMessageLength - DATA_HEADER_LENGTH;
    while (c.open && c.queue.length > 0 && c.txWindow > 0 && !this.dead) {
      const head = c.queue[0] as Buffer;
      const n = Math.min(head.length, c.txWindow, maxData, this.ctl.resetAfterBytes ?? Number.POSITIVE_INFINITY);
      this.send({ type: 'channel-data', recipient: c.host, data: head.subarray(0, n) });
      c.txWindow -= n;
      if (n === head.length) c.queue.shift();
      else c.queue[0] = head.subarray(n);
      if (this.ctl.resetAfterBytes !== null) this.ctl.resetAfterBytes -= n;
      if (this.ctl.resetAfterBytes !== null && this.ctl.resetAfterBytes <= 0) {
        this.ctl.resetAfterBytes = null;
        this.ctl.disconnects.push('injected reset');
        this.teardown();
        this.peer.close();
        return;
      }
    }
    if (c.queue.length > 4) c.sock.pause();
    else c.sock.resume();
    if (c.open && c.sockDone && c.queue.length === 0 && !c.sentClose) {
      c.sentClose = true;
      this.send({ type: 'channel-close', recipient: c.host });
    }
  }

  private free(c: Chan): void {
    if (!this.chans.delete(c.id)) return;
    this.ctl.live--;
    c.sock.destroy();
  }

  private disconnect(why: string): void {
    if (this.dead) return;
    this.ctl.disconnects.push(why);
    this.send({ type: 'disconnect', reason: 2 });
    this.teardown();
    this.peer.close();
  }

  private teardown(): void {
    this.dead = true;
    for (const c of [...this.chans.values()]) this.free(c);
  }
}
