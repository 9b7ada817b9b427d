// A lease: "actor is fencing subject at incarnation until expires", gossiped
// before the actor acts so the next-ranked peers stand down (Pacemaker runs
// one fence action at a time; here the lease is how peers know one is under
// way). It is a COSE_Sign1 by the actor's per-boot session key, the key its
// gossip is signed with, over a deterministic CBOR map, so a relayed copy is
// checked end to end and no member can take a lease in another's name.

import type { KeyObject } from 'node:crypto';
import { encodeCbor, type Cbor } from '../identity/cbor.ts';
import { decodeSign1, sign1, verifySign1 } from '../identity/cose.ts';
import { decodeBinding } from '../identity/session.ts';
import { decodeCreds } from '../gossip/trust.ts';
import { keyId } from '../identity/keys.ts';
import { field, payloadMap, VERSION } from '../identity/schema.ts';
import { herr, hok, type HealErrorCode, type HealResult, type Lease } from './types.ts';

/** A lease is a few hundred bytes; anything larger is not one. */
export const MAX_LEASE_BYTES = 1024;
const MAX_NAME = 253;
const KEYS = ['v', 'kind', 'sub', 'inc', 'act', 'iss', 'exp'] as const;
/** Domain separation: a session key signs gossip and audit entries too. */
const KIND = 'heal-lease';

export interface SigningKey {
  privateKey: KeyObject;
  /** The session key's id (identity/keys.ts keyId), carried as the COSE kid. */
  kid: Uint8Array;
}

export function signLease(l: Lease, key: SigningKey): Uint8Array {
  const payload = new Map<string, Cbor>([
    ['v', VERSION],
    ['kind', KIND],
    ['sub', l.subject],
    ['inc', l.incarnation],
    ['act', l.actor],
    ['iss', l.issued],
    ['exp', l.expires],
  ]);
  return sign1(encodeCbor(payload), key.kid, key.privateKey);
}

const name = (v: string | undefined): string | undefined => (v !== undefined && v.length > 0 && v.length <= MAX_NAME ? v : undefined);
const uint = (v: number | undefined): number | undefined => (v !== undefined && Number.isSafeInteger(v) ? v : undefined);

/** Decodes without checking the signature: what a verifier and the fuzz test start from. Never throws. */
export function decodeLease(bytes: Uint8Array): HealResult<{ lease: Lease; kid: Uint8Array; verify: (k: KeyObject) => boolean }> {
  if (bytes.length > MAX_LEASE_BYTES) return herr('TOO_LARGE', `lease of ${bytes.length} bytes, limit ${MAX_LEASE_BYTES}`);
  const s = decodeSign1(bytes, MAX_LEASE_BYTES);
  if (!s.ok) return herr(idCode(s.error.code), `lease: ${s.error.message}`);
  const m = payloadMap(s.value.payload, 'lease', KEYS);
  if (!m.ok) return herr(idCode(m.error.code), m.error.message);
  if (field.text(m.value, 'kind') !== KIND) return herr('MALFORMED', 'lease: kind is not heal-lease');
  const subject = name(field.text(m.value, 'sub'));
  const actor = name(field.text(m.value, 'act'));
  const incarnation = uint(field.uint(m.value, 'inc'));
  const issued = uint(field.uint(m.value, 'iss'));
  const expires = uint(field.uint(m.value, 'exp'));
  if (subject === undefined || actor === undefined || incarnation === undefined || issued === undefined || expires === undefined) {
    return herr('MALFORMED', 'lease: sub, act (names), inc, iss and exp (unsigned integers) are required');
  }
  if (expires <= issued) return herr('TIME', `lease expires (${expires}) before it is issued (${issued})`);
  const sign = s.value;
  return hok({ lease: { subject, incarnation, actor, issued, expires }, kid: sign.kid, verify: (k: KeyObject) => verifySign1(sign, k) });
}

export interface LeaseCheck {
  /** The actor's current session public key, as gossip admitted it; null when none is held. */
  sessionKey(actor: string): KeyObject | null;
  now: number;
  /** How far an issue time may be ahead of ours. */
  maxSkewMs: number;
}

/**
 * The session public key inside credentials gossip already admitted (PeerKey.creds: the
 * org certificate and the session binding); what LeaseCheck.sessionKey returns in the
 * daemon. It does not verify them again: admission did.
 */
export function sessionKeyFromCreds(creds: Uint8Array): KeyObject | null {
  const c = decodeCreds(creds);
  if (!c.ok) return null;
  const b = decodeBinding(c.value.binding);
  return b.ok ? b.value.sessionPublicKey : null;
}

/** Decodes and verifies: signed by the named actor's session key, issued not in the future, not expired. */
export function verifyLease(bytes: Uint8Array, c: LeaseCheck): HealResult<Lease> {
  const d = decodeLease(bytes);
  if (!d.ok) return d;
  const { lease, kid, verify } = d.value;
  const key = c.sessionKey(lease.actor);
  if (key === null) return herr('UNKNOWN_SIGNER', `lease by ${lease.actor}: no session key held for it`);
  if (Buffer.compare(Buffer.from(keyId(key)), Buffer.from(kid)) !== 0) return herr('BAD_SIGNATURE', `lease by ${lease.actor}: signed by another key than its session key`);
  if (!verify(key)) return herr('BAD_SIGNATURE', `lease by ${lease.actor}: signature does not verify`);
  if (lease.issued > c.now + c.maxSkewMs) return herr('TIME', `lease by ${lease.actor} issued ${lease.issued - c.now} ms in the future`);
  if (lease.expires <= c.now) return herr('EXPIRED', `lease by ${lease.actor} on ${lease.subject} expired ${c.now - lease.expires} ms ago`);
  return hok(lease);
}

function idCode(c: string): HealErrorCode {
  return c === 'TOO_LARGE' || c === 'UNSUPPORTED' || c === 'NOT_CANONICAL' ? c : 'MALFORMED';
}
