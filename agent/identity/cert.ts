// The node certificate: the org key signs (COSE_Sign1, kid = org key id) the
// node's name and long-term public key for a validity window. A peer trusts a
// node only through this: no certificate from its own org, no trust.

import type { KeyObject } from 'node:crypto';
import { encodeCbor, type Cbor } from './cbor.ts';
import { decodeSign1, sign1, type Sign1 } from './cose.ts';
import { err, okv, type IdResult } from './errors.ts';
import { keyId, publicKeyFromRaw, rawPublicKey } from './keys.ts';
import { field, need, payloadMap, VERSION } from './schema.ts';

export interface Certificate {
  orgKeyId: Uint8Array;
  name: string;
  nodeKey: Uint8Array;
  /** Seconds since the epoch. */
  issued: number;
  expires: number;
}

const KEYS = ['v', 'org', 'name', 'key', 'iat', 'exp'] as const;

/** A DNS label, as the daemon config's node.name. */
export const NODE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export function issueCertificate(org: { privateKey: KeyObject; publicKey: KeyObject }, name: string, nodeKey: KeyObject, issued: number, expires: number): Uint8Array {
  const orgKeyId = keyId(org.publicKey);
  const payload = new Map<string, Cbor>([
    ['v', VERSION],
    ['org', orgKeyId],
    ['name', name],
    ['key', rawPublicKey(nodeKey)],
    ['iat', issued],
    ['exp', expires],
  ]);
  return sign1(encodeCbor(payload), orgKeyId, org.privateKey);
}

export function readCertificatePayload(payload: Uint8Array): IdResult<Certificate> {
  const what = 'certificate';
  const m = payloadMap(payload, what, KEYS);
  if (!m.ok) return m;
  const orgKeyId = need(what, 'org', field.bytes(m.value, 'org'));
  const name = need(what, 'name', field.text(m.value, 'name'));
  const nodeKey = need(what, 'key', field.bytes(m.value, 'key'));
  const issued = need(what, 'iat', field.uint(m.value, 'iat'));
  const expires = need(what, 'exp', field.uint(m.value, 'exp'));
  if (!orgKeyId.ok) return orgKeyId;
  if (!name.ok) return name;
  if (!nodeKey.ok) return nodeKey;
  if (!issued.ok) return issued;
  if (!expires.ok) return expires;
  if (!NODE_NAME.test(name.value)) return err('MALFORMED', `${what}: name is not a DNS label`);
  if (nodeKey.value.length !== 32) return err('MALFORMED', `${what}: node key is not 32 bytes`);
  return okv({ orgKeyId: orgKeyId.value, name: name.value, nodeKey: nodeKey.value, issued: issued.value, expires: expires.value });
}

/** Decodes without checking the signature (verify.ts does that against the trusted org key). */
export function decodeCertificate(bytes: Uint8Array): IdResult<{ sign1: Sign1; cert: Certificate; nodeKey: KeyObject }> {
  const s = decodeSign1(bytes);
  if (!s.ok) return err(s.error.code, `certificate: ${s.error.message}`);
  const c = readCertificatePayload(s.value.payload);
  if (!c.ok) return c;
  const k = publicKeyFromRaw(c.value.nodeKey);
  if (!k.ok) return k;
  return okv({ sign1: s.value, cert: c.value, nodeKey: k.value });
}
