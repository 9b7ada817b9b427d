// The daemon's Trust: a member is admitted on its org-signed node certificate
// plus the session binding its node key signed for this boot, and from then on
// speaks with the bound session key. Verification is two Ed25519 checks; a
// member re-announces the same credentials many times, so admitted credentials
// are remembered by their hash and only the cheap claims (name, time window,
// incarnation span) are re-checked.

import { createHash, timingSafeEqual, type KeyObject } from 'node:crypto';
import { decodeCbor, encodeCbor } from '../identity/cbor.ts';
import { decodeCertificate } from '../identity/cert.ts';
import { verifySign1 } from '../identity/cose.ts';
import type { IdentityError } from '../identity/errors.ts';
import { ed25519Sign, ed25519Verify, keyId } from '../identity/keys.ts';
import { decodeBinding, type Session } from '../identity/session.ts';
import type { NodeIdentity } from '../identity/store.ts';
import { DEFAULT_SKEW_MS, verifyRecord, type QuoteCheck } from '../identity/verify.ts';
import { gerr, gok, type GossipErrorCode, type GossipResult, type PeerKey, type Trust } from './types.ts';

/**
 * Gossip incarnations of one boot: the daemon starts at binding.incarnation *
 * INCARNATION_SPAN and each refutation adds one, so every incarnation of a
 * later boot outranks every incarnation of an earlier one. 2^20 per boot: a
 * refutation answers a suspicion, and a member refuting ten times a second
 * still needs a day to exhaust it. 2^33 boot incarnations fit below 2^53,
 * which leaves room for boot incarnations taken from the clock in unix
 * seconds (identity/store.ts incarnationFor: a preboot keeps no counter).
 */
export const INCARNATION_SPAN = 2 ** 20;

/** A certificate and a binding are about 200 bytes each; a name of 63 characters adds little. */
export const MAX_CREDS_BYTES = 2048;

/** Admitted credentials remembered; beyond this the least recently used are verified again. */
export const CREDS_CACHE_SIZE = 4096;

export interface Creds {
  certificate: Uint8Array;
  binding: Uint8Array;
}

export function encodeCreds(c: Creds): Uint8Array {
  return encodeCbor([c.certificate, c.binding]);
}

export function decodeCreds(bytes: Uint8Array): GossipResult<Creds> {
  if (bytes.length > MAX_CREDS_BYTES) return gerr('TOO_LARGE', `credentials of ${bytes.length} bytes, limit ${MAX_CREDS_BYTES}`);
  const d = decodeCbor(bytes, MAX_CREDS_BYTES);
  if (!d.ok) return gerr('MALFORMED', `credentials: ${d.error.message}`);
  const v = d.value;
  if (!Array.isArray(v) || v.length !== 2) return gerr('MALFORMED', 'credentials are an array of [certificate, binding]');
  const [certificate, binding] = v as readonly unknown[];
  if (!(certificate instanceof Uint8Array) || !(binding instanceof Uint8Array)) return gerr('MALFORMED', 'credentials hold two byte strings');
  // Copies: plain arrays that do not pin the packet buffer they were cut from.
  return gok({ certificate: new Uint8Array(certificate), binding: new Uint8Array(binding) });
}

/** What verifying a set of credentials established, independent of the announcement that carried them. */
interface Admitted {
  name: string;
  /** Certificate validity, seconds since the epoch. */
  issued: number;
  expires: number;
  /** The boot's incarnation from the session binding. */
  bootIncarnation: number;
  key: PeerKey;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Decoding failures of the parts: the sender's bytes, not a trust decision. */
function decodeFailure(what: string, e: IdentityError): GossipResult<never> {
  const code: GossipErrorCode = e.code === 'TOO_LARGE' || e.code === 'UNSUPPORTED' ? e.code : 'MALFORMED';
  return gerr(code, `${what}: ${e.message}`);
}

function verifyCreds(creds: Uint8Array, org: KeyObject, orgKid: Uint8Array): GossipResult<Admitted> {
  const d = decodeCreds(creds);
  if (!d.ok) return d;
  const c = decodeCertificate(d.value.certificate);
  if (!c.ok) return decodeFailure('certificate', c.error);
  if (!same(c.value.sign1.kid, orgKid) || !same(c.value.cert.orgKeyId, orgKid)) return gerr('UNTRUSTED', 'certificate was issued by another org key');
  if (!verifySign1(c.value.sign1, org)) return gerr('UNTRUSTED', 'certificate signature does not verify with the org key');
  const cert = c.value.cert;
  const b = decodeBinding(d.value.binding);
  if (!b.ok) return decodeFailure('session binding', b.error);
  if (!same(b.value.sign1.kid, keyId(cert.nodeKey))) return gerr('UNTRUSTED', 'session binding was not signed by the certified node key');
  if (!verifySign1(b.value.sign1, c.value.nodeKey)) return gerr('UNTRUSTED', 'session binding signature does not verify with the node key');
  const bind = b.value.binding;
  if (bind.name !== cert.name) return gerr('UNTRUSTED', `session binding is for '${bind.name}', certificate for '${cert.name}'`);
  const sessionKey = b.value.sessionPublicKey;
  return gok({
    name: cert.name,
    issued: cert.issued,
    expires: cert.expires,
    bootIncarnation: bind.incarnation,
    key: { id: hex(keyId(bind.sessionKey)), creds, verify: (bytes, sig) => ed25519Verify(sessionKey, bytes, sig) },
  });
}

/** The claims an announcement makes about verified credentials, checked on every call. */
function checkClaims(a: Admitted, name: string, incarnation: number, now: number, skewMs: number): GossipResult<PeerKey> {
  if (a.name !== name) return gerr('UNTRUSTED', `credentials are for '${a.name}', announced as '${name}'`);
  if (now + skewMs < a.issued * 1000) return gerr('UNTRUSTED', `certificate of '${name}' valid from ${new Date(a.issued * 1000).toISOString()}`);
  if (now >= a.expires * 1000) return gerr('UNTRUSTED', `certificate of '${name}' expired ${new Date(a.expires * 1000).toISOString()}`);
  const first = a.bootIncarnation * INCARNATION_SPAN;
  if (!Number.isSafeInteger(incarnation) || incarnation < first || incarnation >= first + INCARNATION_SPAN) {
    return gerr('STALE', `incarnation ${incarnation} is outside boot ${a.bootIncarnation} of '${name}' (${first}..${first + INCARNATION_SPAN - 1})`);
  }
  return gok(a.key);
}

/** Identity error codes of a record check, as gossip codes. */
const RECORD_CODES: Record<IdentityError['code'], GossipErrorCode> = {
  MALFORMED: 'MALFORMED',
  NOT_CANONICAL: 'MALFORMED',
  TOO_LARGE: 'TOO_LARGE',
  UNSUPPORTED: 'UNSUPPORTED',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  FOREIGN_ORG: 'UNTRUSTED',
  EXPIRED: 'STALE',
  NOT_YET_VALID: 'TIME',
  REPLAYED: 'STALE',
  MISMATCH: 'UNTRUSTED',
  BAD_QUOTE: 'UNTRUSTED',
  IO: 'MALFORMED',
};

export interface IdentityTrustOptions {
  identity: NodeIdentity;
  session: Session;
  org: KeyObject;
  /** How far a peer's clock may run ahead of ours (certificate start, record time). */
  maxSkewMs?: number;
  /** Verifies TPM quotes in attestation records; without it a record carrying a quote is refused. */
  checkQuote?: QuoteCheck;
}

export function identityTrust(opts: IdentityTrustOptions): Trust {
  const { org, session, checkQuote } = opts;
  const skewMs = opts.maxSkewMs ?? DEFAULT_SKEW_MS;
  const orgKid = keyId(org);
  const creds = encodeCreds({ certificate: opts.identity.certificate, binding: session.bindingBytes });
  // Insertion order is recency order: a hit is moved to the end, the first entry is the eviction candidate.
  const cache = new Map<string, Admitted>();

  return {
    creds,
    sign: (bytes) => ed25519Sign(session.privateKey, bytes),
    admit(name, peerCreds, incarnation, now) {
      if (peerCreds.length > MAX_CREDS_BYTES) return gerr('TOO_LARGE', `credentials of ${peerCreds.length} bytes, limit ${MAX_CREDS_BYTES}`);
      const id = createHash('sha256').update(peerCreds).digest('hex');
      let a = cache.get(id);
      if (a) cache.delete(id);
      else {
        const v = verifyCreds(peerCreds, org, orgKid);
        if (!v.ok) return v;
        a = v.value;
        if (cache.size >= CREDS_CACHE_SIZE) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
      }
      cache.set(id, a);
      return checkClaims(a, name, incarnation, now, skewMs);
    },
    checkAttestation(name, record, now) {
      const r = verifyRecord(record, { org, now, maxSkewMs: skewMs, ...(checkQuote ? { checkQuote } : {}) });
      if (!r.ok) return gerr(RECORD_CODES[r.error.code], `attestation of '${name}': ${r.error.message}`);
      if (r.value.payload.name !== name) return gerr('NOT_AUTHOR', `attestation record of '${r.value.payload.name}' announced by '${name}'`);
      return gok({ expires: r.value.payload.expires, keyId: hex(keyId(r.value.payload.sessionKey)) });
    },
  };
}
