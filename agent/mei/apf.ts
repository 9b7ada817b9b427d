// APF, the AMT Port Forwarding protocol the LME client speaks over MEI: an
// SSH-connection-protocol lookalike (global requests, channels with windows),
// big-endian, one APF message per MEI message. Layouts are the ones Intel's
// go-wsman-messages pkg/apf and MeshCentral's amt-lme.js use (see
// shared/reference/amt-me.md 1e). Pure: bytes in, a typed message or a typed
// PROTOCOL error out; a length field that points past the message is refused,
// never followed.

import { merr, mok, type MeiResult } from './types.ts';

export const APF = {
  DISCONNECT: 1,
  SERVICE_REQUEST: 5,
  SERVICE_ACCEPT: 6,
  USERAUTH_REQUEST: 50,
  USERAUTH_FAILURE: 51,
  USERAUTH_SUCCESS: 52,
  GLOBAL_REQUEST: 80,
  REQUEST_SUCCESS: 81,
  REQUEST_FAILURE: 82,
  CHANNEL_OPEN: 90,
  OPEN_CONFIRMATION: 91,
  OPEN_FAILURE: 92,
  WINDOW_ADJUST: 93,
  CHANNEL_DATA: 94,
  CHANNEL_CLOSE: 97,
  PROTOCOL_VERSION: 192,
  KEEPALIVE_REQUEST: 208,
  KEEPALIVE_REPLY: 209,
  KEEPALIVE_OPTIONS_REQUEST: 210,
  KEEPALIVE_OPTIONS_REPLY: 211,
} as const;

/** DISCONNECT reason codes used here (the full list mirrors SSH's). */
export const DISCONNECT_REASON = { PROTOCOL_ERROR: 2, SERVICE_NOT_AVAILABLE: 7, PROTOCOL_VERSION_NOT_SUPPORTED: 8, BY_APPLICATION: 11 } as const;
/** CHANNEL_OPEN_FAILURE reason codes. */
export const OPEN_FAILURE_REASON = { PROHIBITED: 1, CONNECT_FAILED: 2, UNKNOWN_CHANNEL_TYPE: 3, RESOURCE_SHORTAGE: 4 } as const;

export const TCPIP_FORWARD = 'tcpip-forward';
export const CANCEL_TCPIP_FORWARD = 'cancel-tcpip-forward';
export const SERVICE_PFWD = 'pfwd@amt.intel.com';
export const SERVICE_AUTH = 'auth@amt.intel.com';
export const PROTOCOL_VERSION_LENGTH = 93;
/** CHANNEL_DATA's own bytes before the payload: type, recipient, length. */
export const DATA_HEADER_LENGTH = 9;
/** Names in APF are short ASCII words; a longer one is a lie about a length. */
const MAX_STRING = 2048;

export interface TcpipTarget {
  address: string;
  port: number;
  originator: string;
  originatorPort: number;
}

export type ApfMessage =
  | { type: 'disconnect'; reason: number }
  | { type: 'service-request'; service: string }
  | { type: 'service-accept'; service: string }
  /** Only the parts a host answers: who and which method; a password, if any, is skipped unread. */
  | { type: 'userauth-request'; user: string; service: string; method: string }
  | { type: 'userauth-success' }
  /** `forward` for tcpip-forward / cancel-tcpip-forward; null for a request of another name. */
  | { type: 'global-request'; name: string; wantReply: boolean; forward: { address: string; port: number } | null }
  /** `port` answers a tcpip-forward; null for the bare success. */
  | { type: 'request-success'; port: number | null }
  | { type: 'request-failure' }
  /** `target` for forwarded-tcpip / direct-tcpip; null for a channel type we do not know. */
  | { type: 'channel-open'; kind: string; sender: number; window: number; target: TcpipTarget | null }
  | { type: 'open-confirmation'; recipient: number; sender: number; window: number }
  | { type: 'open-failure'; recipient: number; reason: number }
  | { type: 'window-adjust'; recipient: number; bytes: number }
  | { type: 'channel-data'; recipient: number; data: Uint8Array }
  | { type: 'channel-close'; recipient: number }
  | { type: 'protocol-version'; major: number; minor: number; trigger: number; uuid: Uint8Array }
  | { type: 'keepalive-request'; cookie: number }
  | { type: 'keepalive-reply'; cookie: number }
  | { type: 'keepalive-options-request'; interval: number; timeout: number }
  | { type: 'keepalive-options-reply'; interval: number; timeout: number };

// ---- encoding ----

class Writer {
  private parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    const n = v >>> 0;
    this.parts.push(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    return this;
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'latin1');
    return this.u32(b.length).bytes(b);
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function target(w: Writer, t: TcpipTarget): Writer {
  return w.str(t.address).u32(t.port).str(t.originator).u32(t.originatorPort);
}

/** The wire bytes of one message. CHANNEL_DATA is built without the generic writer: it is the hot path. */
export function encodeApf(m: ApfMessage): Uint8Array {
  const w = new Writer();
  switch (m.type) {
    case 'disconnect':
      return w.u8(APF.DISCONNECT).u32(m.reason).u8(0).u8(0).done();
    case 'service-request':
      return w.u8(APF.SERVICE_REQUEST).str(m.service).done();
    case 'service-accept':
      return w.u8(APF.SERVICE_ACCEPT).str(m.service).done();
    case 'userauth-request':
      return w.u8(APF.USERAUTH_REQUEST).str(m.user).str(m.service).str(m.method).done();
    case 'userauth-success':
      return w.u8(APF.USERAUTH_SUCCESS).done();
    case 'global-request':
      w.u8(APF.GLOBAL_REQUEST).str(m.name).u8(m.wantReply ? 1 : 0);
      if (m.forward) w.str(m.forward.address).u32(m.forward.port);
      return w.done();
    case 'request-success':
      w.u8(APF.REQUEST_SUCCESS);
      if (m.port !== null) w.u32(m.port);
      return w.done();
    case 'request-failure':
      return w.u8(APF.REQUEST_FAILURE).done();
    case 'channel-open':
      w.u8(APF.CHANNEL_OPEN).str(m.kind).u32(m.sender).u32(m.window).u32(0xffffffff);
      if (m.target) target(w, m.target);
      return w.done();
    case 'open-confirmation':
      return w.u8(APF.OPEN_CONFIRMATION).u32(m.recipient).u32(m.sender).u32(m.window).u32(0xffffffff).done();
    case 'open-failure':
      return w.u8(APF.OPEN_FAILURE).u32(m.recipient).u32(m.reason).u32(0).u32(0).done();
    case 'window-adjust':
      return w.u8(APF.WINDOW_ADJUST).u32(m.recipient).u32(m.bytes).done();
    case 'channel-data': {
      const out = new Uint8Array(DATA_HEADER_LENGTH + m.data.length);
      const v = new DataView(out.buffer);
      out[0] = APF.CHANNEL_DATA;
      v.setUint32(1, m.recipient >>> 0);
      v.setUint32(5, m.data.length);
      out.set(m.data, DATA_HEADER_LENGTH);
      return out;
    }
    case 'channel-close':
      return w.u8(APF.CHANNEL_CLOSE).u32(m.recipient).done();
    case 'protocol-version': {
      w.u8(APF.PROTOCOL_VERSION).u32(m.major).u32(m.minor).u32(m.trigger);
      const uuid = new Uint8Array(16);
      uuid.set(m.uuid.subarray(0, 16));
      return w.bytes(uuid).bytes(new Uint8Array(64)).done();
    }
    case 'keepalive-request':
      return w.u8(APF.KEEPALIVE_REQUEST).u32(m.cookie).done();
    case 'keepalive-reply':
      return w.u8(APF.KEEPALIVE_REPLY).u32(m.cookie).done();
    case 'keepalive-options-request':
      return w.u8(APF.KEEPALIVE_OPTIONS_REQUEST).u32(m.interval).u32(m.timeout).done();
    case 'keepalive-options-reply':
      return w.u8(APF.KEEPALIVE_OPTIONS_REPLY).u32(m.interval).u32(m.timeout).done();
  }
}

// ---- decoding ----

/** A bounds-checked cursor: every read says whether the bytes were there. */
class Reader {
  off = 1;
  constructor(private readonly b: Uint8Array) {}
  get left(): number {
    return this.b.length - this.off;
  }
  u8(): number | null {
    if (this.left < 1) return null;
    return this.b[this.off++] ?? null;
  }
  u32(): number | null {
    if (this.left < 4) return null;
    const o = this.off;
    this.off += 4;
    return (((this.b[o] ?? 0) << 24) | ((this.b[o + 1] ?? 0) << 16) | ((this.b[o + 2] ?? 0) << 8) | (this.b[o + 3] ?? 0)) >>> 0;
  }
  take(n: number): Uint8Array | null {
    if (n > this.left) return null;
    const out = this.b.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }
  str(): string | null {
    const n = this.u32();
    if (n === null || n > MAX_STRING) return null;
    const b = this.take(n);
    return b === null ? null : Buffer.from(b).toString('latin1');
  }
}

const NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(APF).map(([k, v]) => [v, k]));
export const apfName = (type: number): string => NAMES[type] ?? `type ${type}`;

function bad(what: string, why: string): MeiResult<never> {
  return merr('PROTOCOL', `APF ${what}: ${why}`);
}

/** A message decoded by `body` must use all of its bytes: trailing bytes mean a length lied. */
function whole<T extends ApfMessage>(r: Reader, what: string, m: T | null): MeiResult<ApfMessage> {
  if (m === null) return bad(what, 'truncated or a length field points past the message');
  if (r.left !== 0) return bad(what, `${r.left} bytes after the end of the message`);
  return mok(m);
}

function u32s(r: Reader, n: number): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = r.u32();
    if (v === null) return null;
    out.push(v);
  }
  return out;
}

function decodeTarget(r: Reader): TcpipTarget | null {
  const address = r.str();
  const port = r.u32();
  const originator = r.str();
  const originatorPort = r.u32();
  if (address === null || port === null || originator === null || originatorPort === null) return null;
  return { address, port, originator, originatorPort };
}

/** One APF message from one MEI message. Never throws, never reads outside `bytes`. */
export function decodeApf(bytes: Uint8Array): MeiResult<ApfMessage> {
  if (bytes.length === 0) return bad('message', 'empty');
  const type = bytes[0] ?? 0;
  const r = new Reader(bytes);
  const what = apfName(type);
  switch (type) {
    case APF.DISCONNECT: {
      const reason = r.u32();
      // The reserved u16 is in Intel's struct; some senders leave it off.
      if (r.left === 2) r.take(2);
      return whole(r, what, reason === null ? null : { type: 'disconnect', reason });
    }
    case APF.SERVICE_REQUEST:
    case APF.SERVICE_ACCEPT: {
      const service = r.str();
      if (service === null) return whole(r, what, null);
      return whole(r, what, type === APF.SERVICE_REQUEST ? { type: 'service-request', service } : { type: 'service-accept', service });
    }
    case APF.USERAUTH_REQUEST: {
      const user = r.str();
      const service = r.str();
      const method = r.str();
      if (user === null || service === null || method === null) return whole(r, what, null);
      // A "password" method carries a FALSE byte and the password: skipped, never kept.
      if (method === 'password') {
        const flag = r.u8();
        const pw = r.str();
        if (flag === null || pw === null) return whole(r, what, null);
      }
      return whole(r, what, { type: 'userauth-request', user, service, method });
    }
    case APF.USERAUTH_SUCCESS:
      return whole(r, what, { type: 'userauth-success' });
    case APF.GLOBAL_REQUEST: {
      const name = r.str();
      const want = r.u8();
      if (name === null || want === null) return whole(r, what, null);
      if (name !== TCPIP_FORWARD && name !== CANCEL_TCPIP_FORWARD) {
        // Other requests (udp-send-to@amt.intel.com) carry their own layout; only the name matters to a host that refuses them.
        r.take(r.left);
        return mok({ type: 'global-request', name, wantReply: want !== 0, forward: null });
      }
      const address = r.str();
      const port = r.u32();
      if (address === null || port === null) return whole(r, what, null);
      if (port > 0xffff) return bad(what, `port ${port} is not a TCP port`);
      return whole(r, what, { type: 'global-request', name, wantReply: want !== 0, forward: { address, port } });
    }
    case APF.REQUEST_SUCCESS: {
      if (r.left === 0) return mok({ type: 'request-success', port: null });
      const port = r.u32();
      return whole(r, what, port === null ? null : { type: 'request-success', port });
    }
    case APF.REQUEST_FAILURE:
      return whole(r, what, { type: 'request-failure' });
    case APF.CHANNEL_OPEN: {
      const kind = r.str();
      const nums = u32s(r, 3);
      if (kind === null || nums === null) return whole(r, what, null);
      const [sender = 0, window = 0] = nums;
      if (kind !== 'forwarded-tcpip' && kind !== 'direct-tcpip') {
        r.take(r.left);
        return mok({ type: 'channel-open', kind, sender, window, target: null });
      }
      const t = decodeTarget(r);
      if (t !== null && (t.port > 0xffff || t.originatorPort > 0xffff)) return bad(what, 'a port is not a TCP port');
      return whole(r, what, t === null ? null : { type: 'channel-open', kind, sender, window, target: t });
    }
    case APF.OPEN_CONFIRMATION: {
      const n = u32s(r, 4);
      return whole(r, what, n === null ? null : { type: 'open-confirmation', recipient: n[0] ?? 0, sender: n[1] ?? 0, window: n[2] ?? 0 });
    }
    case APF.OPEN_FAILURE: {
      const n = u32s(r, 4);
      return whole(r, what, n === null ? null : { type: 'open-failure', recipient: n[0] ?? 0, reason: n[1] ?? 0 });
    }
    case APF.WINDOW_ADJUST: {
      const n = u32s(r, 2);
      return whole(r, what, n === null ? null : { type: 'window-adjust', recipient: n[0] ?? 0, bytes: n[1] ?? 0 });
    }
    case APF.CHANNEL_DATA: {
      const recipient = r.u32();
      const len = r.u32();
      if (recipient === null || len === null) return whole(r, what, null);
      if (len !== r.left) return bad(what, `the length field says ${len} bytes, the message carries ${r.left}`);
      const data = r.take(len);
      return whole(r, what, data === null ? null : { type: 'channel-data', recipient, data });
    }
    case APF.CHANNEL_CLOSE: {
      const recipient = r.u32();
      return whole(r, what, recipient === null ? null : { type: 'channel-close', recipient });
    }
    case APF.PROTOCOL_VERSION: {
      if (bytes.length !== PROTOCOL_VERSION_LENGTH) return bad(what, `${bytes.length} bytes, not ${PROTOCOL_VERSION_LENGTH}`);
      const n = u32s(r, 3);
      const uuid = r.take(16);
      r.take(64);
      return whole(r, what, n === null || uuid === null ? null : { type: 'protocol-version', major: n[0] ?? 0, minor: n[1] ?? 0, trigger: n[2] ?? 0, uuid });
    }
    case APF.KEEPALIVE_REQUEST:
    case APF.KEEPALIVE_REPLY: {
      const cookie = r.u32();
      if (cookie === null) return whole(r, what, null);
      return whole(r, what, type === APF.KEEPALIVE_REQUEST ? { type: 'keepalive-request', cookie } : { type: 'keepalive-reply', cookie });
    }
    case APF.KEEPALIVE_OPTIONS_REQUEST:
    case APF.KEEPALIVE_OPTIONS_REPLY: {
      const n = u32s(r, 2);
      if (n === null) return whole(r, what, null);
      const [interval = 0, timeout = 0] = n;
      return whole(r, what, type === APF.KEEPALIVE_OPTIONS_REQUEST ? { type: 'keepalive-options-request', interval, timeout } : { type: 'keepalive-options-reply', interval, timeout });
    }
    default:
      return bad('message', `unknown message type ${type}`);
  }
}
