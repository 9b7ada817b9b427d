// The signed policy document: COSE_Sign1 by the org key (kid = org key id) over
// the policy's deterministic CBOR (schema.ts). Verification goes outermost
// first: is it a COSE_Sign1 at all (UNSIGNED), by our org (FOREIGN), does the
// signature hold (BAD_SIGNATURE), only then is the payload read (MALFORMED) and
// its serial compared with the last one applied (ROLLBACK). So a flipped byte
// in the payload or signature is BAD_SIGNATURE, never a misleading field error.
//
// Whatever goes wrong, the agent runs as `ignore`: a policy it cannot trust may
// not make it touch firmware, and `use` would hand out credentials.

import { createHash, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCbor, encodeCbor, Tagged } from '../identity/cbor.ts';
import { COSE_SIGN1_TAG, decodeSign1, sign1, verifySign1 } from '../identity/cose.ts';
import { keyId, readPublicKey } from '../identity/keys.ts';
import { NODE_FILES, ORG_FILES } from '../identity/store.ts';
import { decodePolicyPayload, policyToCbor } from './schema.ts';
import type { OobMode, Policy, PolicyError, PolicyErrorCode, PolicyResult } from './types.ts';

/** A signed policy is a few hundred bytes; a file far larger is not one. */
export const MAX_POLICY_FILE = 64 * 1024;

export interface VerifiedPolicy {
  policy: Policy;
  /** SHA-256 (hex) of the signed bytes: what plans, apply records and attestations name. */
  digest: string;
  /** Hex key id of the org key that signed it. */
  orgKeyId: string;
}

const fail = (code: PolicyErrorCode, message: string): { ok: false; error: PolicyError } => ({ ok: false, error: { code, message } });
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export const policyDigest = (signed: Uint8Array): string => createHash('sha256').update(signed).digest('hex');

export function signPolicy(p: Policy, org: { privateKey: KeyObject; publicKey: KeyObject }): Uint8Array {
  return sign1(encodeCbor(policyToCbor(p)), keyId(org.publicKey), org.privateKey);
}

/** JSON text where a signed policy was expected: the operator forgot `agent policy sign`. */
const looksLikeJson = (b: Uint8Array): boolean => {
  const first = b.find((x) => x !== 0x20 && x !== 0x0a && x !== 0x0d && x !== 0x09);
  return first === 0x7b;
};

/** `lastSerial`: the serial of the policy last applied on this node (null: none yet). */
export function verifyPolicy(bytes: Uint8Array, org: KeyObject, lastSerial: number | null = null): PolicyResult<VerifiedPolicy> {
  if (bytes.length > MAX_POLICY_FILE) return fail('MALFORMED', `${bytes.length} bytes, a signed policy is at most ${MAX_POLICY_FILE}`);
  const top = decodeCbor(bytes, MAX_POLICY_FILE);
  if (!top.ok) {
    if (looksLikeJson(bytes)) return fail('UNSIGNED', 'this is a JSON policy, not a signed one: sign it with `agent policy sign --org DIR --in FILE --out FILE`');
    return fail('MALFORMED', `not a COSE_Sign1 (${top.error.code}: ${top.error.message})`);
  }
  if (!(top.value instanceof Tagged) || top.value.tag !== COSE_SIGN1_TAG) return fail('UNSIGNED', 'not a COSE_Sign1 (CBOR tag 18): the policy carries no signature');
  const s = decodeSign1(bytes, MAX_POLICY_FILE);
  if (!s.ok) return fail('MALFORMED', `COSE_Sign1: ${s.error.message}`);
  const ours = keyId(org);
  if (s.value.kid.length !== ours.length || !timingSafeEqual(s.value.kid, ours)) {
    return fail('FOREIGN', `signed by key ${hex(s.value.kid)}, not by this org's key ${hex(ours)}`);
  }
  if (!verifySign1(s.value, org)) return fail('BAD_SIGNATURE', "the signature does not verify with the org key: the policy was altered after signing");
  const p = decodePolicyPayload(s.value.payload);
  if (!p.ok) return p;
  if (lastSerial !== null && p.value.serial < lastSerial) {
    return fail('ROLLBACK', `serial ${p.value.serial} is older than serial ${lastSerial} already applied`);
  }
  return { ok: true, value: { policy: p.value, digest: policyDigest(bytes), orgKeyId: hex(ours) } };
}

/** Where the org public key comes from: an org directory (operators) or the node's identity directory. */
export type OrgKeySource = { orgDir: string } | { identityDir: string };

export function orgPublicKey(src: OrgKeySource): PolicyResult<KeyObject> {
  const path = 'orgDir' in src ? join(src.orgDir, ORG_FILES.publicKey) : join(src.identityDir, NODE_FILES.orgPublicKey);
  const k = readPublicKey(path);
  return k.ok ? k : fail('UNREADABLE', `org public key: ${k.error.message}`);
}

export function readPolicyFile(path: string): PolicyResult<Uint8Array> {
  try {
    // Checked before reading: a policy path pointing at a huge file or a device must not be slurped.
    const st = statSync(path);
    if (!st.isFile()) return fail('UNREADABLE', `${path}: not a regular file`);
    if (st.size > MAX_POLICY_FILE) return fail('MALFORMED', `${path}: ${st.size} bytes, a signed policy is at most ${MAX_POLICY_FILE}`);
    return { ok: true, value: new Uint8Array(readFileSync(path)) };
  } catch (e) {
    return fail('UNREADABLE', `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** What the agent runs as: the verified policy and its mode, or `ignore` and why. */
export type LoadedPolicy =
  | ({ ok: true; mode: OobMode; reason: string } & VerifiedPolicy)
  | { ok: false; error: PolicyError; mode: 'ignore'; reason: string };

export function effective(r: PolicyResult<VerifiedPolicy>): LoadedPolicy {
  if (r.ok) return { ok: true, ...r.value, mode: r.value.policy.oob, reason: `policy serial ${r.value.policy.serial} (${r.value.digest.slice(0, 16)}) says ${r.value.policy.oob}` };
  return { ok: false, error: r.error, mode: 'ignore', reason: `policy refused (${r.error.code}: ${r.error.message}); running as ignore` };
}

export function loadPolicyBytes(bytes: Uint8Array, org: KeyObject, lastSerial: number | null = null): LoadedPolicy {
  return effective(verifyPolicy(bytes, org, lastSerial));
}

export function loadPolicy(o: { path: string; lastSerial?: number | null } & OrgKeySource): LoadedPolicy {
  const key = orgPublicKey(o);
  if (!key.ok) return effective(key);
  const bytes = readPolicyFile(o.path);
  if (!bytes.ok) return effective(bytes);
  return loadPolicyBytes(bytes.value, key.value, o.lastSerial ?? null);
}
