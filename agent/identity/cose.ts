// COSE_Sign1 (RFC 9052 section 4.2) with EdDSA only. The protected header is
// {1: -8, 4: kid}; nothing goes in the unprotected header, so every byte a
// verifier acts on is signed.

import type { KeyObject } from 'node:crypto';
import { decodeCbor, encodeCbor, isMap, Tagged, type Cbor } from './cbor.ts';
import { err, okv, type IdResult } from './errors.ts';
import { ed25519Sign, ed25519Verify } from './keys.ts';

/** RFC 9052 section 4.2: CBOR tag of COSE_Sign1. */
export const COSE_SIGN1_TAG = 18;
/** RFC 9052 section 3.1 header labels; RFC 9053 section 2.2: EdDSA is -8. */
export const HDR_ALG = 1;
export const HDR_KID = 4;
export const ALG_EDDSA = -8;

export interface Sign1 {
  /** The protected header as the signed bytes carry it. */
  protectedBytes: Uint8Array;
  kid: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** RFC 9052 section 4.4: Sig_structure for COSE_Sign1, external_aad empty. */
function toBeSigned(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

export function sign1(payload: Uint8Array, kid: Uint8Array, key: KeyObject): Uint8Array {
  const protectedBytes = encodeCbor(new Map<number, Cbor>([[HDR_ALG, ALG_EDDSA], [HDR_KID, kid]]));
  const signature = ed25519Sign(key, toBeSigned(protectedBytes, payload));
  return encodeCbor(new Tagged(COSE_SIGN1_TAG, [protectedBytes, new Map(), payload, signature]));
}

export function decodeSign1(bytes: Uint8Array, max?: number): IdResult<Sign1> {
  const top = decodeCbor(bytes, max);
  if (!top.ok) return top;
  const t = top.value;
  if (!(t instanceof Tagged) || t.tag !== COSE_SIGN1_TAG) return err('MALFORMED', 'not a tagged COSE_Sign1 (tag 18)');
  const a = t.value;
  if (!Array.isArray(a) || a.length !== 4) return err('MALFORMED', 'COSE_Sign1 is an array of 4');
  const [protectedBytes, unprotected, payload, signature] = a as Cbor[];
  if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    return err('MALFORMED', 'COSE_Sign1 protected, payload and signature are byte strings');
  }
  if (!isMap(unprotected) || unprotected.size !== 0) return err('MALFORMED', 'unprotected header must be empty');
  const hdr = decodeCbor(protectedBytes);
  if (!hdr.ok) return err(hdr.error.code, `protected header: ${hdr.error.message}`);
  if (!isMap(hdr.value)) return err('MALFORMED', 'protected header is not a map');
  if (hdr.value.get(HDR_ALG) !== ALG_EDDSA) return err('UNSUPPORTED', `alg ${String(hdr.value.get(HDR_ALG))}, only EdDSA (-8)`);
  const kid = hdr.value.get(HDR_KID);
  if (!(kid instanceof Uint8Array)) return err('MALFORMED', 'protected header has no kid');
  if (hdr.value.size !== 2) return err('UNSUPPORTED', 'protected header has labels other than alg and kid');
  return okv({ protectedBytes, kid, payload, signature });
}

export const verifySign1 = (s: Sign1, key: KeyObject): boolean => ed25519Verify(key, toBeSigned(s.protectedBytes, s.payload), s.signature);
