// RMCP+ session establishment messages (IPMI v2.0 §13.17-13.23): Open
// Session Request/Response and RAKP 1-4, as codecs. The checks that need
// keys (RAKP 2's and 4's codes) live in handshake.ts.

import { AUTH_NUM, CONF_NUM, INTEGRITY_NUM, type CipherSuite } from './crypto.ts';
import type { Decoded } from './rmcp.ts';

const fail = (reason: string): Decoded<never> => ({ ok: false, reason });
const asBuf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.length);

/** RMCP+ status codes (§13.24 table 13-15). */
export const RMCP_STATUS: Readonly<Record<number, string>> = {
  0x01: 'insufficient resources to create a session',
  0x02: 'invalid session ID',
  0x03: 'invalid payload type',
  0x04: 'invalid authentication algorithm',
  0x05: 'invalid integrity algorithm',
  0x06: 'no matching authentication payload',
  0x07: 'no matching integrity payload',
  0x08: 'inactive session ID',
  0x09: 'invalid role',
  0x0a: 'unauthorized role or privilege level requested',
  0x0b: 'insufficient resources to create a session at the requested role',
  0x0c: 'invalid name length',
  0x0d: 'unauthorized name',
  0x0e: 'unauthorized GUID',
  0x0f: 'invalid integrity check value',
  0x10: 'invalid confidentiality algorithm',
  0x11: 'no cipher suite match with proposed security algorithms',
  0x12: 'illegal or unrecognized parameter',
};
export const statusText = (s: number): string => RMCP_STATUS[s] ?? `RMCP+ status 0x${s.toString(16)}`;
/** The BMC does not take this cipher suite: try the next one. */
export const SUITE_REFUSED: ReadonlySet<number> = new Set([0x04, 0x05, 0x06, 0x07, 0x10, 0x11]);
/** Wrong user, password or privilege: fail at once (retrying can lock the account). */
export const AUTH_REFUSED: ReadonlySet<number> = new Set([0x09, 0x0a, 0x0d, 0x0f]);

const algPayload = (kind: number, alg: number): number[] => [kind, 0, 0, 8, alg, 0, 0, 0];

export function openSessionRequest(tag: number, consoleSid: number, suite: CipherSuite, maxPriv: number): Buffer {
  const b = Buffer.from([
    tag,
    maxPriv,
    0,
    0,
    0,
    0,
    0,
    0,
    ...algPayload(0, AUTH_NUM[suite.auth]),
    ...algPayload(1, INTEGRITY_NUM[suite.integrity]),
    ...algPayload(2, CONF_NUM[suite.conf]),
  ]);
  b.writeUInt32LE(consoleSid >>> 0, 4);
  return b;
}

/** The console session ID of an error reply, or null when the BMC left it out. */
const sidIfPresent = (buf: Buffer): number | null => (buf.length >= 8 ? buf.readUInt32LE(4) : null);

export interface OpenSessionResponse {
  tag: number;
  status: number;
  consoleSid: number | null;
  bmcSid: number;
  /** Algorithm numbers the BMC chose (auth, integrity, confidentiality). */
  algs: [number, number, number];
}

export function parseOpenSessionResponse(b: Uint8Array): Decoded<OpenSessionResponse> {
  const buf = asBuf(b);
  if (buf.length < 2) return fail('short Open Session Response');
  const tag = buf[0] ?? 0;
  const status = buf[1] ?? 0;
  // Error replies may stop after the status (ipmi_sim sends tag and status only).
  if (status !== 0) return { ok: true, value: { tag, status, consoleSid: sidIfPresent(buf), bmcSid: 0, algs: [0, 0, 0] } };
  if (buf.length < 36) return fail('short Open Session Response');
  const consoleSid = buf.readUInt32LE(4);
  const algs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const o = 12 + 8 * i;
    if (buf[o] !== i || buf[o + 3] !== 8) return fail('malformed algorithm payload in Open Session Response');
    algs.push((buf[o + 4] ?? 0) & 0x3f);
  }
  return { ok: true, value: { tag, status, consoleSid, bmcSid: buf.readUInt32LE(8), algs: [algs[0] ?? 0, algs[1] ?? 0, algs[2] ?? 0] } };
}

export function rakp1(tag: number, bmcSid: number, consoleRandom: Uint8Array, role: number, user: string): Buffer {
  const name = Buffer.from(user, 'utf8');
  if (name.length > 16) throw new RangeError('an IPMI user name holds at most 16 bytes');
  const b = Buffer.alloc(28 + name.length);
  b[0] = tag;
  b.writeUInt32LE(bmcSid >>> 0, 4);
  Buffer.from(consoleRandom).copy(b, 8);
  b[24] = role;
  b[27] = name.length;
  name.copy(b, 28);
  return b;
}

export interface Rakp2 {
  tag: number;
  status: number;
  consoleSid: number | null;
  bmcRandom: Buffer;
  guid: Buffer;
  code: Buffer;
}

export function parseRakp2(b: Uint8Array): Decoded<Rakp2> {
  const buf = asBuf(b);
  if (buf.length < 2) return fail('short RAKP 2');
  const base = { tag: buf[0] ?? 0, status: buf[1] ?? 0 };
  if (base.status !== 0) return { ok: true, value: { ...base, consoleSid: sidIfPresent(buf), bmcRandom: Buffer.alloc(0), guid: Buffer.alloc(0), code: Buffer.alloc(0) } };
  if (buf.length < 40) return fail('short RAKP 2');
  return { ok: true, value: { ...base, consoleSid: buf.readUInt32LE(4), bmcRandom: buf.subarray(8, 24), guid: buf.subarray(24, 40), code: buf.subarray(40) } };
}

export function rakp3(tag: number, status: number, bmcSid: number, code: Uint8Array): Buffer {
  const b = Buffer.alloc(8 + code.length);
  b[0] = tag;
  b[1] = status;
  b.writeUInt32LE(bmcSid >>> 0, 4);
  Buffer.from(code).copy(b, 8);
  return b;
}

export interface Rakp4 {
  tag: number;
  status: number;
  consoleSid: number | null;
  icv: Buffer;
}

export function parseRakp4(b: Uint8Array): Decoded<Rakp4> {
  const buf = asBuf(b);
  if (buf.length < 2) return fail('short RAKP 4');
  const status = buf[1] ?? 0;
  if (status === 0 && buf.length < 8) return fail('short RAKP 4');
  return { ok: true, value: { tag: buf[0] ?? 0, status, consoleSid: sidIfPresent(buf), icv: buf.subarray(8) } };
}
