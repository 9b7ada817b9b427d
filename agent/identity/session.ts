// The per-boot session key. The long-term node key never signs gossip; it
// signs once per boot a binding of a fresh session key to this boot (boot id,
// incarnation, name). With a TPM, a Quote over SHA-256(session key || boot id
// || name) ties the same session key to the measured boot state.

import { createHash, type KeyObject } from 'node:crypto';
import { encodeCbor, type Cbor } from './cbor.ts';
import { decodeSign1, sign1, type Sign1 } from './cose.ts';
import { err, okv, type IdResult } from './errors.ts';
import { generateKeyPair, keyId, publicKeyFromRaw, rawPublicKey } from './keys.ts';
import { field, need, payloadMap, VERSION } from './schema.ts';
import type { NodeIdentity } from './store.ts';

export interface TpmQuote {
  /** TPMS_ATTEST as the TPM returned it. */
  msg: Uint8Array;
  /** TPMT_SIGNATURE over msg. */
  sig: Uint8Array;
  /** The attestation key's public key, PEM (SPKI). */
  akPem: string;
}

/** Takes the qualifying data (extraData) and returns a quote whose TPMS_ATTEST carries it. */
export type Quoter = (qualifyingData: Uint8Array) => Promise<TpmQuote>;

export interface Binding {
  sessionKey: Uint8Array;
  bootId: string;
  name: string;
  incarnation: number;
}

export interface Session {
  privateKey: KeyObject;
  publicKey: KeyObject;
  sessionKey: Uint8Array;
  kid: Uint8Array;
  binding: Binding;
  /** COSE_Sign1 by the node key over the binding. */
  bindingBytes: Uint8Array;
  quote: TpmQuote | null;
}

/**
 * The quote's nonce. The boot id is a 36-character UUID and the session key 32
 * bytes, so the concatenation is unambiguous without length prefixes.
 */
export function qualifyingData(sessionKey: Uint8Array, bootId: string, name: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(sessionKey).update(bootId, 'utf8').update(name, 'utf8').digest());
}

const KEYS = ['v', 'spk', 'boot', 'name', 'inc'] as const;

export async function createSession(id: NodeIdentity, bootId: string, incarnation: number, quoter: Quoter | null): Promise<Session> {
  const kp = generateKeyPair();
  const sessionKey = rawPublicKey(kp.publicKey);
  const binding: Binding = { sessionKey, bootId, name: id.name, incarnation };
  const payload = new Map<string, Cbor>([
    ['v', VERSION],
    ['spk', sessionKey],
    ['boot', bootId],
    ['name', id.name],
    ['inc', incarnation],
  ]);
  const bindingBytes = sign1(encodeCbor(payload), keyId(id.publicKey), id.privateKey);
  const quote = quoter ? await quoter(qualifyingData(sessionKey, bootId, id.name)) : null;
  return { privateKey: kp.privateKey, publicKey: kp.publicKey, sessionKey, kid: keyId(sessionKey), binding, bindingBytes, quote };
}

export function decodeBinding(bytes: Uint8Array): IdResult<{ sign1: Sign1; binding: Binding; sessionPublicKey: KeyObject }> {
  const what = 'session binding';
  const s = decodeSign1(bytes);
  if (!s.ok) return err(s.error.code, `${what}: ${s.error.message}`);
  const m = payloadMap(s.value.payload, what, KEYS);
  if (!m.ok) return m;
  const spk = need(what, 'spk', field.bytes(m.value, 'spk'));
  if (!spk.ok) return spk;
  const bootId = need(what, 'boot', field.text(m.value, 'boot'));
  if (!bootId.ok) return bootId;
  const name = need(what, 'name', field.text(m.value, 'name'));
  if (!name.ok) return name;
  const inc = need(what, 'inc', field.uint(m.value, 'inc'));
  if (!inc.ok) return inc;
  const key = publicKeyFromRaw(spk.value);
  if (!key.ok) return key;
  return okv({ sign1: s.value, binding: { sessionKey: spk.value, bootId: bootId.value, name: name.value, incarnation: inc.value }, sessionPublicKey: key.value });
}
