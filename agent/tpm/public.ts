// TPMT_PUBLIC (Part 2 section 12.2.4): the fixed attestation-key template we create, and the
// parser that turns a TPM's public area into a PEM node:crypto verifies with.

import { createPublicKey } from 'node:crypto';
import { ALG, ECC_CURVE, JWK_CURVE, OBJ, algName } from './constants.ts';
import { Writer, type Reader } from './codec.ts';

/**
 * ECC NIST P-256, ECDSA-SHA256, restricted signing key. Every field is fixed and the unique
 * field empty, so CreatePrimary under the endorsement hierarchy derives the same key from the
 * same endorsement seed at every boot: nothing is stored.
 */
export const AK_ATTRIBUTES = OBJ.fixedTPM | OBJ.fixedParent | OBJ.sensitiveDataOrigin | OBJ.userWithAuth | OBJ.restricted | OBJ.sign;

export function akTemplate(): Buffer {
  return new Writer()
    .u16(ALG.ECC) // type
    .u16(ALG.SHA256) // nameAlg
    .u32(AK_ATTRIBUTES)
    .tpm2b(Buffer.alloc(0)) // authPolicy
    .u16(ALG.NULL) // symmetric: a signing key has none
    .u16(ALG.ECDSA)
    .u16(ALG.SHA256) // scheme
    .u16(ECC_CURVE.NIST_P256)
    .u16(ALG.NULL) // kdf
    .tpm2b(Buffer.alloc(0)) // unique.x
    .tpm2b(Buffer.alloc(0)) // unique.y
    .finish();
}

export type PublicKey =
  | { type: 'ecc'; nameAlg: number; attributes: number; curve: number; scheme: number; x: Buffer; y: Buffer }
  | { type: 'rsa'; nameAlg: number; attributes: number; scheme: number; bits: number; exponent: number; modulus: Buffer };

function readScheme(r: Reader): number {
  const scheme = r.u16('scheme');
  if (scheme !== ALG.NULL) r.u16('scheme hash');
  return scheme;
}

export function readPublic(r: Reader): PublicKey {
  const type = r.u16('TPMT_PUBLIC type');
  const nameAlg = r.u16('nameAlg');
  const attributes = r.u32('objectAttributes');
  r.tpm2b('authPolicy', 64);
  if (type !== ALG.ECC && type !== ALG.RSA) r.fail('UNSUPPORTED', `public key type ${algName(type)} (only rsa and ecc)`);
  const sym = r.u16('symmetric');
  if (sym !== ALG.NULL) {
    r.u16('symmetric keyBits');
    r.u16('symmetric mode');
  }
  const scheme = readScheme(r);
  if (type === ALG.RSA) {
    const bits = r.u16('keyBits');
    const exponent = r.u32('exponent');
    const modulus = r.tpm2b('rsa modulus', 512);
    return { type: 'rsa', nameAlg, attributes, scheme, bits, exponent: exponent === 0 ? 65537 : exponent, modulus };
  }
  const curve = r.u16('curveID');
  const kdf = r.u16('kdf');
  if (kdf !== ALG.NULL) r.u16('kdf hash');
  const x = r.tpm2b('ecc x', 128);
  const y = r.tpm2b('ecc y', 128);
  return { type: 'ecc', nameAlg, attributes, curve, scheme, x, y };
}

const b64u = (b: Buffer): string => b.toString('base64url');
function pad(b: Buffer, size: number): Buffer {
  if (b.length >= size) return b.subarray(b.length - size);
  return Buffer.concat([Buffer.alloc(size - b.length), b]);
}
function minimalBE(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  let i = 0;
  while (i < 3 && b[i] === 0) i++;
  return b.subarray(i);
}

/** SPKI PEM of the key, or a reason when node:crypto cannot take it (unknown curve, bad point). */
export function publicToPem(pub: PublicKey): { pem: string } | { error: string } {
  try {
    if (pub.type === 'ecc') {
      const c = JWK_CURVE.get(pub.curve);
      if (!c) return { error: `ECC curve 0x${pub.curve.toString(16)} is not one node:crypto imports` };
      const jwk = { kty: 'EC', crv: c.crv, x: b64u(pad(pub.x, c.size)), y: b64u(pad(pub.y, c.size)) };
      return { pem: createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString() };
    }
    const jwk = { kty: 'RSA', n: b64u(pub.modulus), e: b64u(minimalBE(pub.exponent)) };
    return { pem: createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString() };
  } catch (e) {
    // node:crypto rejects points off the curve and empty moduli by throwing; that is data, not a bug.
    return { error: `public key not importable: ${(e as Error).message}` };
  }
}
