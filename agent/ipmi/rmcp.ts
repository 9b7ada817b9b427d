// RMCP (ASF, DSP0136) and the IPMI session wrappers around it: the IPMI v1.5
// wrapper (used only unauthenticated, for Get Channel Authentication
// Capabilities before any session exists) and the RMCP+ (v2.0) wrapper with
// its integrity trailer (IPMI v2.0 §13.6, §13.8). Pure: bytes in, bytes out.

import { authCodeLength, equalCodes, integrityCode, type IntegrityAlg } from './crypto.ts';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };
const fail = (reason: string): Decoded<never> => ({ ok: false, reason });

/** Version 6, reserved, sequence 0xFF (no RMCP ack), class 7 (IPMI). */
const RMCP_IPMI = [0x06, 0x00, 0xff, 0x07];

export const PAYLOAD = {
  ipmi: 0x00,
  openSessionRequest: 0x10,
  openSessionResponse: 0x11,
  rakp1: 0x12,
  rakp2: 0x13,
  rakp3: 0x14,
  rakp4: 0x15,
} as const;
const ENCRYPTED = 0x80;
const AUTHENTICATED = 0x40;

export function encodeV15(msg: Uint8Array): Buffer {
  if (msg.length > 255) throw new RangeError('an IPMI v1.5 message holds at most 255 bytes');
  return Buffer.concat([Buffer.from(RMCP_IPMI), Buffer.from([0x00, 0, 0, 0, 0, 0, 0, 0, 0, msg.length]), msg]);
}

/** The message inside an unauthenticated v1.5 reply; authenticated v1.5 replies are not ours to read. */
export function decodeV15(b: Uint8Array): Decoded<Buffer> {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  if (buf.length < 14) return fail('short RMCP packet');
  if (buf[0] !== 0x06 || buf[3] !== 0x07) return fail('not an RMCP IPMI packet');
  if (buf[4] !== 0x00) return fail(`IPMI v1.5 auth type ${buf[4]} where none was asked for`);
  const len = buf[13] ?? 0;
  if (buf.length < 14 + len) return fail('truncated IPMI v1.5 message');
  return { ok: true, value: buf.subarray(14, 14 + len) };
}

export interface V20Packet {
  /** 6-bit payload type (PAYLOAD.*). */
  payloadType: number;
  encrypted: boolean;
  authenticated: boolean;
  sessionId: number;
  seq: number;
  payload: Buffer;
}

export interface Integrity {
  alg: IntegrityAlg;
  k1: Uint8Array;
}

export function encodeV20(p: Omit<V20Packet, 'authenticated'>, integrity?: Integrity): Buffer {
  const auth = integrity !== undefined && integrity.alg !== 'none';
  const head = Buffer.alloc(12);
  head[0] = 0x06;
  head[1] = (p.payloadType & 0x3f) | (p.encrypted ? ENCRYPTED : 0) | (auth ? AUTHENTICATED : 0);
  head.writeUInt32LE(p.sessionId >>> 0, 2);
  head.writeUInt32LE(p.seq >>> 0, 6);
  head.writeUInt16LE(p.payload.length, 10);
  const body = Buffer.concat([head, p.payload]);
  if (!auth) return Buffer.concat([Buffer.from(RMCP_IPMI), body]);
  // The pad makes auth type through next header a multiple of 4 bytes.
  const padLen = (4 - ((body.length + 2) % 4)) % 4;
  const signed = Buffer.concat([body, Buffer.alloc(padLen, 0xff), Buffer.from([padLen, 0x07])]);
  return Buffer.concat([Buffer.from(RMCP_IPMI), signed, integrityCode(integrity.alg, integrity.k1, signed)]);
}

/**
 * Parses an RMCP+ packet. When `integrity` is given, an authenticated packet's
 * AuthCode must verify and an unauthenticated one is refused: once a session
 * is active, every reply must prove it came from the BMC.
 */
export function decodeV20(b: Uint8Array, integrity?: Integrity): Decoded<V20Packet> {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  if (buf.length < 16) return fail('short RMCP+ packet');
  if (buf[0] !== 0x06 || buf[3] !== 0x07) return fail('not an RMCP IPMI packet');
  if (buf[4] !== 0x06) return fail(`session auth type ${buf[4]} is not RMCP+`);
  const type = buf[5] ?? 0;
  if ((type & 0x3f) === 0x02) return fail('OEM payloads are not used');
  const len = buf.readUInt16LE(14);
  const end = 16 + len;
  if (buf.length < end) return fail('truncated RMCP+ payload');
  const p: V20Packet = {
    payloadType: type & 0x3f,
    encrypted: (type & ENCRYPTED) !== 0,
    authenticated: (type & AUTHENTICATED) !== 0,
    sessionId: buf.readUInt32LE(6),
    seq: buf.readUInt32LE(10),
    payload: buf.subarray(16, end),
  };
  const want = integrity && integrity.alg !== 'none' ? integrity : undefined;
  if (!p.authenticated) {
    if (want) return fail('an unauthenticated packet inside an authenticated session');
    return { ok: true, value: p };
  }
  if (!want) return fail('an authenticated packet where no integrity key is known');
  const codeLen = authCodeLength(want.alg);
  const trailerStart = end;
  const signedEnd = buf.length - codeLen;
  if (signedEnd < trailerStart + 2) return fail('truncated integrity trailer');
  const padLen = buf[signedEnd - 2] ?? 0;
  if (buf[signedEnd - 1] !== 0x07 || signedEnd - 2 - trailerStart !== padLen) return fail('malformed integrity trailer');
  const code = integrityCode(want.alg, want.k1, buf.subarray(4, signedEnd));
  if (!equalCodes(code, buf.subarray(signedEnd))) return fail('the integrity check (AuthCode) failed');
  return { ok: true, value: p };
}
