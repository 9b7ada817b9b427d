// Ed25519 keys through node:crypto, stored as PEM files. Private keys are
// written 0600 and every file atomically (temp, fsync, rename, fsync dir) so a
// power cut leaves either the old key or the new one, never half a key.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeAtomic } from '../state/atomic.ts';
import { err, okv, type IdResult } from './errors.ts';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export const generateKeyPair = (): KeyPair => generateKeyPairSync('ed25519');

/** The 32-byte public key (RFC 8032 encoding), taken from the JWK export. */
export function rawPublicKey(k: KeyObject): Uint8Array {
  const x = k.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new TypeError('not an Ed25519 key');
  return new Uint8Array(Buffer.from(x, 'base64url'));
}

export function publicKeyFromRaw(raw: Uint8Array): IdResult<KeyObject> {
  if (raw.length !== 32) return err('MALFORMED', `Ed25519 public key is 32 bytes, got ${raw.length}`);
  try {
    return okv(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' }));
  } catch (e) {
    return err('MALFORMED', `not an Ed25519 public key: ${(e as Error).message}`);
  }
}

/** Key id: the first 16 bytes of SHA-256 over the raw public key. */
export function keyId(k: KeyObject | Uint8Array): Uint8Array {
  const raw = k instanceof Uint8Array ? k : rawPublicKey(k);
  return new Uint8Array(createHash('sha256').update(raw).digest().subarray(0, 16));
}

export const ed25519Sign = (priv: KeyObject, msg: Uint8Array): Uint8Array => new Uint8Array(sign(null, msg, priv));

export function ed25519Verify(pub: KeyObject, msg: Uint8Array, sig: Uint8Array): boolean {
  if (sig.length !== 64) return false;
  try {
    return verify(null, msg, pub, sig);
  } catch {
    return false;
  }
}

/** The target as it was or as written, never half: see agent/state/atomic.ts. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): void {
  writeAtomic(dirname(path), basename(path), typeof data === 'string' ? Buffer.from(data) : data, mode);
}

export const privatePem = (k: KeyObject): string => k.export({ format: 'pem', type: 'pkcs8' }).toString();
export const publicPem = (k: KeyObject): string => k.export({ format: 'pem', type: 'spki' }).toString();

export function writeKeyPair(dir: string, stem: string, kp: KeyPair): { privatePath: string; publicPath: string } {
  const privatePath = join(dir, `${stem}.key`);
  const publicPath = join(dir, `${stem}.pub`);
  writeFileAtomic(privatePath, privatePem(kp.privateKey), 0o600);
  writeFileAtomic(publicPath, publicPem(kp.publicKey), 0o644);
  return { privatePath, publicPath };
}

/** A key file's text: bounded, so a path naming something huge is refused rather than read. */
export function readSmall(path: string): IdResult<string> {
  try {
    const buf = readFileSync(path);
    if (buf.length > 16 * 1024) return err('TOO_LARGE', `${path}: larger than a key file`);
    return okv(buf.toString('utf8'));
  } catch (e) {
    return err('IO', `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function asEd25519(k: KeyObject, path: string): IdResult<KeyObject> {
  return k.asymmetricKeyType === 'ed25519' ? okv(k) : err('UNSUPPORTED', `${path}: ${k.asymmetricKeyType ?? 'unknown'} key, expected ed25519`);
}

export function readPublicKey(path: string): IdResult<KeyObject> {
  const text = readSmall(path);
  if (!text.ok) return text;
  try {
    return asEd25519(createPublicKey(text.value), path);
  } catch (e) {
    return err('MALFORMED', `${path}: not a public key PEM: ${(e as Error).message}`);
  }
}

export function readPrivateKey(path: string): IdResult<KeyObject> {
  const text = readSmall(path);
  if (!text.ok) return text;
  try {
    return asEd25519(createPrivateKey(text.value), path);
  } catch (e) {
    return err('MALFORMED', `${path}: not a private key PEM: ${(e as Error).message}`);
  }
}
