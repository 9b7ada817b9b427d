// Checking a peer's record, outermost trust first: the org signed the node
// certificate, the node key signed the session binding, the session key signed
// the record, and (when present) the TPM quoted the session key. Only then are
// the claims (times, incarnation) looked at, so a tampered record is reported
// as a bad signature rather than as whatever the tampered field now says.

import { timingSafeEqual, type KeyObject } from 'node:crypto';
import { decodeCertificate, type Certificate } from './cert.ts';
import { verifySign1 } from './cose.ts';
import { err, okv, type IdResult } from './errors.ts';
import { keyId } from './keys.ts';
import { decodeRecord, type RecordPayload } from './record.ts';
import { decodeBinding, qualifyingData, type TpmQuote } from './session.ts';

/** What the verifier last accepted from this node; a record must not be older. */
export interface LastSeen {
  incarnation: number;
  bootId: string;
  time: number;
}

export type QuoteCheck = (quote: TpmQuote, nonce: Uint8Array) => { ok: true } | { ok: false; message: string };

export interface VerifyOptions {
  org: KeyObject;
  /** Milliseconds since the epoch. */
  now: number;
  lastSeen?: LastSeen | null;
  /** Needed only for records that carry a quote. */
  checkQuote?: QuoteCheck;
  /** How far a record's time may be ahead of `now` (clocks differ). */
  maxSkewMs?: number;
}

export interface VerifiedRecord {
  payload: RecordPayload;
  cert: Certificate;
  /** True when a TPM quote bound the session key; false: the node says it is unattested. */
  attested: boolean;
}

export const DEFAULT_SKEW_MS = 5 * 60_000;

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

export function verifyRecord(bytes: Uint8Array, o: VerifyOptions): IdResult<VerifiedRecord> {
  const r = decodeRecord(bytes);
  if (!r.ok) return r;
  const { payload, sign1 } = r.value;

  const c = decodeCertificate(payload.certificate);
  if (!c.ok) return c;
  const orgKid = keyId(o.org);
  if (!same(c.value.sign1.kid, orgKid) || !same(c.value.cert.orgKeyId, orgKid)) return err('FOREIGN_ORG', 'node certificate was issued by another org key');
  if (!verifySign1(c.value.sign1, o.org)) return err('BAD_SIGNATURE', 'node certificate signature does not verify with the org key');
  const cert = c.value.cert;
  if (cert.name !== payload.name) return err('MISMATCH', `certificate is for '${cert.name}', record says '${payload.name}'`);

  const b = decodeBinding(payload.binding);
  if (!b.ok) return b;
  if (!same(b.value.sign1.kid, keyId(cert.nodeKey))) return err('MISMATCH', 'session binding was not signed by the certified node key');
  if (!verifySign1(b.value.sign1, c.value.nodeKey)) return err('BAD_SIGNATURE', 'session binding signature does not verify with the node key');
  const bind = b.value.binding;
  if (!same(bind.sessionKey, payload.sessionKey)) return err('MISMATCH', 'record session key differs from the bound one');
  if (bind.bootId !== payload.bootId || bind.name !== payload.name || bind.incarnation !== payload.incarnation) {
    return err('MISMATCH', 'record boot id, name or incarnation differs from the session binding');
  }

  if (!same(sign1.kid, keyId(payload.sessionKey))) return err('MISMATCH', 'record kid is not the session key id');
  if (!verifySign1(sign1, b.value.sessionPublicKey)) return err('BAD_SIGNATURE', 'record signature does not verify with the session key');

  if (payload.tpm) {
    if (!o.checkQuote) return err('UNSUPPORTED', 'record carries a TPM quote and no quote verifier was given');
    const q = o.checkQuote(payload.tpm, qualifyingData(payload.sessionKey, payload.bootId, payload.name));
    if (!q.ok) return err('BAD_QUOTE', `TPM quote: ${q.message}`);
  }

  // A compliance claim about one policy under the name of another would let a node look compliant with a policy it never ran.
  const pol = payload.policy;
  const com = payload.compliance;
  if (com && (!pol || com.serial !== pol.serial || com.policyDigest !== pol.digest)) return err('MISMATCH', 'compliance is about another policy than the record names');

  const nowSec = Math.floor(o.now / 1000);
  if (nowSec < cert.issued) return err('NOT_YET_VALID', `node certificate valid from ${new Date(cert.issued * 1000).toISOString()}`);
  if (nowSec >= cert.expires) return err('EXPIRED', `node certificate expired ${new Date(cert.expires * 1000).toISOString()}`);
  if (payload.expires <= payload.time) return err('MALFORMED', 'record expires before it was made');
  if (o.now >= payload.expires) return err('EXPIRED', `record expired ${new Date(payload.expires).toISOString()}`);
  if (payload.time > o.now + (o.maxSkewMs ?? DEFAULT_SKEW_MS)) return err('NOT_YET_VALID', `record time ${new Date(payload.time).toISOString()} is in the future`);

  const last = o.lastSeen;
  if (last) {
    if (payload.incarnation < last.incarnation) return err('REPLAYED', `incarnation ${payload.incarnation} is older than ${last.incarnation} already seen`);
    // One incarnation belongs to one boot: the same number from another boot is a replay or a forgery of the counter.
    if (payload.incarnation === last.incarnation && payload.bootId !== last.bootId) return err('REPLAYED', `incarnation ${payload.incarnation} was already seen with boot ${last.bootId}`);
    if (payload.incarnation === last.incarnation && payload.time < last.time) return err('REPLAYED', `record time is older than the last one seen from incarnation ${last.incarnation}`);
  }
  return okv({ payload, cert, attested: payload.tpm !== null });
}
