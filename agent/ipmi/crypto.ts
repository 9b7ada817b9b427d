// RMCP+ cryptography (IPMI v2.0 §13.28-13.32): the RAKP key-exchange codes,
// the session keys derived from them, packet integrity and AES-CBC-128
// confidentiality. Only the algorithms of the suites we negotiate are here.

import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type AuthAlg = 'none' | 'hmac-sha1' | 'hmac-sha256';
export type IntegrityAlg = 'none' | 'hmac-sha1-96' | 'hmac-sha256-128';
export type ConfAlg = 'none' | 'aes-cbc-128';

export interface CipherSuite {
  id: number;
  auth: AuthAlg;
  integrity: IntegrityAlg;
  conf: ConfAlg;
}

/** Algorithm numbers on the wire (§13.28 table 13-17..13-19). */
export const AUTH_NUM: Record<AuthAlg, number> = { none: 0, 'hmac-sha1': 1, 'hmac-sha256': 3 };
export const INTEGRITY_NUM: Record<IntegrityAlg, number> = { none: 0, 'hmac-sha1-96': 1, 'hmac-sha256-128': 4 };
export const CONF_NUM: Record<ConfAlg, number> = { none: 0, 'aes-cbc-128': 1 };

export const SUITES: Readonly<Record<number, CipherSuite>> = {
  17: { id: 17, auth: 'hmac-sha256', integrity: 'hmac-sha256-128', conf: 'aes-cbc-128' },
  3: { id: 3, auth: 'hmac-sha1', integrity: 'hmac-sha1-96', conf: 'aes-cbc-128' },
  // Weak suites (no confidentiality, or no integrity at all): only when the operator allows them.
  2: { id: 2, auth: 'hmac-sha1', integrity: 'hmac-sha1-96', conf: 'none' },
  1: { id: 1, auth: 'hmac-sha1', integrity: 'none', conf: 'none' },
};

/** Best first: 17 where the BMC has it, 3 (the spec's mandatory suite) otherwise. */
export const STRONG_ORDER = [17, 3] as const;
export const WEAK_ORDER = [2, 1] as const;

const hash = (a: AuthAlg): 'sha1' | 'sha256' => (a === 'hmac-sha256' ? 'sha256' : 'sha1');

export function hmac(a: AuthAlg, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  if (a === 'none') return Buffer.alloc(0);
  const h = createHmac(hash(a), key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** K_UID: the password, zero-padded to 20 bytes (§13.31). */
export function userKey(password: string): Buffer {
  const k = Buffer.alloc(20);
  Buffer.from(password, 'utf8').copy(k, 0, 0, 20);
  return k;
}

export interface RakpInputs {
  consoleSid: number;
  bmcSid: number;
  consoleRandom: Uint8Array;
  bmcRandom: Uint8Array;
  guid: Uint8Array;
  /** The role byte sent in RAKP 1 (privilege plus the name-only lookup bit). */
  role: number;
  user: string;
}

const u32le = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const nameBytes = (user: string): Buffer => {
  const n = Buffer.from(user, 'utf8');
  return Buffer.concat([Buffer.from([n.length]), n]);
};

/** RAKP 2's key exchange authentication code, checked by the console (§13.21). */
export function rakp2Code(a: AuthAlg, kuid: Uint8Array, r: RakpInputs): Buffer {
  return hmac(a, kuid, u32le(r.consoleSid), u32le(r.bmcSid), r.consoleRandom, r.bmcRandom, r.guid, Buffer.from([r.role]), nameBytes(r.user));
}

/** RAKP 3's code, proving the console knows the password (§13.22). */
export function rakp3Code(a: AuthAlg, kuid: Uint8Array, r: RakpInputs): Buffer {
  return hmac(a, kuid, r.bmcRandom, u32le(r.consoleSid), Buffer.from([r.role]), nameBytes(r.user));
}

/** The Session Integrity Key (§13.31); K_G is the BMC key when one is set, else K_UID. */
export function sessionIntegrityKey(a: AuthAlg, kg: Uint8Array, r: RakpInputs): Buffer {
  return hmac(a, kg, r.consoleRandom, r.bmcRandom, Buffer.from([r.role]), nameBytes(r.user));
}

/** RAKP 4's integrity check value, truncated as the suite's integrity algorithm says (§13.23). */
export function rakp4Code(a: AuthAlg, sik: Uint8Array, r: RakpInputs): Buffer {
  const full = hmac(a, sik, r.consoleRandom, u32le(r.bmcSid), r.guid);
  return full.subarray(0, a === 'hmac-sha256' ? 16 : 12);
}

/** K1 (integrity) and K2 (confidentiality): HMAC(SIK, 20 bytes of 0x01 / 0x02) (§13.32). */
export function additionalKey(a: AuthAlg, sik: Uint8Array, n: 1 | 2): Buffer {
  return hmac(a, sik, Buffer.alloc(20, n));
}

export const authCodeLength = (i: IntegrityAlg): number => (i === 'hmac-sha1-96' ? 12 : i === 'hmac-sha256-128' ? 16 : 0);

export function integrityCode(i: IntegrityAlg, k1: Uint8Array, data: Uint8Array): Buffer {
  if (i === 'none') return Buffer.alloc(0);
  return createHmac(i === 'hmac-sha1-96' ? 'sha1' : 'sha256', k1)
    .update(data)
    .digest()
    .subarray(0, authCodeLength(i));
}

export function equalCodes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * AES-CBC-128 payload (§13.29): IV, then the encrypted payload followed by
 * pad bytes 1, 2, 3... and the pad length, to a 16-byte multiple.
 */
export function encryptPayload(k2: Uint8Array, plain: Uint8Array, iv: Uint8Array = randomBytes(16)): Buffer {
  const padLen = (16 - ((plain.length + 1) % 16)) % 16;
  const pad = Buffer.from(Array.from({ length: padLen }, (_, i) => i + 1));
  const c = createCipheriv('aes-128-cbc', k2.subarray(0, 16), iv).setAutoPadding(false);
  return Buffer.concat([iv, c.update(Buffer.concat([plain, pad, Buffer.from([padLen])])), c.final()]);
}

export function decryptPayload(k2: Uint8Array, data: Uint8Array): Buffer | null {
  if (data.length < 32 || data.length % 16 !== 0) return null;
  const d = createDecipheriv('aes-128-cbc', k2.subarray(0, 16), data.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([d.update(data.subarray(16)), d.final()]);
  const padLen = plain[plain.length - 1] ?? 0;
  if (padLen > 15 || padLen + 1 > plain.length) return null;
  return plain.subarray(0, plain.length - 1 - padLen);
}
