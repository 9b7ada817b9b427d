// The on-disk layout of an org and a node identity:
//   org DIR:      org.key (0600), org.pub,
//                 recovery.key (0600), recovery.pub (X25519: the vault seals credentials to it)
//   identity DIR: node.key (0600), node.pub, node.cert (COSE_Sign1 by the org),
//                 incarnation.json (the boot the last incarnation belongs to),
//                 org.pub (a copy of the org public key: what the node checks its peers against),
//                 recovery.pub (a copy of the org recovery public key; absent in identities
//                 enrolled before the vault existed). recovery.key never goes to a node.

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCertificate, issueCertificate, NODE_NAME, type Certificate } from './cert.ts';
import { err, okv, type IdResult } from './errors.ts';
import { generateKeyPair, keyId, publicPem, rawPublicKey, readPrivateKey, readPublicKey, readSmall, writeFileAtomic, writeKeyPair } from './keys.ts';

export interface NodeIdentity {
  name: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate: Uint8Array;
  cert: Certificate;
}

export const ORG_FILES = { privateKey: 'org.key', publicKey: 'org.pub', recoveryPrivateKey: 'recovery.key', recoveryPublicKey: 'recovery.pub' } as const;
export const NODE_FILES = {
  privateKey: 'node.key',
  publicKey: 'node.pub',
  certificate: 'node.cert',
  incarnation: 'incarnation.json',
  orgPublicKey: 'org.pub',
  recoveryPublicKey: 'recovery.pub',
} as const;

/** The org recovery key as libsodium's crypto_box takes it: raw X25519 (RFC 7748), 32 bytes each. */
export interface RecoveryKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/**
 * node:crypto makes the pair: an X25519 private key is 32 random bytes and its public key the
 * base-point multiple, exactly what crypto_box_keypair returns, without waiting for libsodium to
 * load. Stored as PEM (PKCS#8, SPKI) like the org key, so openssl reads them too.
 */
function writeRecoveryKeyPair(dir: string): { privatePath: string; publicPath: string } {
  const kp = generateKeyPairSync('x25519');
  const privatePath = join(dir, ORG_FILES.recoveryPrivateKey);
  const publicPath = join(dir, ORG_FILES.recoveryPublicKey);
  writeFileAtomic(privatePath, kp.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
  writeFileAtomic(publicPath, kp.publicKey.export({ format: 'pem', type: 'spki' }).toString(), 0o644);
  return { privatePath, publicPath };
}

function x25519Raw(k: KeyObject, part: 'x' | 'd', path: string): IdResult<Uint8Array> {
  if (k.asymmetricKeyType !== 'x25519') return err('UNSUPPORTED', `${path}: ${k.asymmetricKeyType ?? 'unknown'} key, expected x25519`);
  const v = k.export({ format: 'jwk' })[part];
  if (typeof v !== 'string') return err('MALFORMED', `${path}: no X25519 ${part === 'x' ? 'public' : 'private'} part`);
  const raw = new Uint8Array(Buffer.from(v, 'base64url'));
  return raw.length === 32 ? okv(raw) : err('MALFORMED', `${path}: X25519 key is not 32 bytes`);
}

/** recovery.pub (of an org or an identity directory) as 32 raw bytes; IO when the file is absent. */
export function readRecoveryPublicKey(path: string): IdResult<Uint8Array> {
  const pem = readSmall(path);
  if (!pem.ok) return pem;
  try {
    return x25519Raw(createPublicKey(pem.value), 'x', path);
  } catch (e) {
    return err('MALFORMED', `${path}: not a public key PEM: ${(e as Error).message}`);
  }
}

/** An org's recovery.key with its public half; only operators, `agent vault open` and healers (heal.recoveryKey) read it. */
export function loadRecoveryKey(orgDir: string): IdResult<RecoveryKeyPair> {
  return loadRecoveryKeyFile(join(orgDir, ORG_FILES.recoveryPrivateKey));
}

/** The recovery key from its file, wherever a healer keeps it. */
export function loadRecoveryKeyFile(path: string): IdResult<RecoveryKeyPair> {
  const pem = readSmall(path);
  if (!pem.ok) return pem;
  let k: KeyObject;
  try {
    k = createPrivateKey(pem.value);
  } catch (e) {
    return err('MALFORMED', `${path}: not a private key PEM: ${(e as Error).message}`);
  }
  const secretKey = x25519Raw(k, 'd', path);
  if (!secretKey.ok) return secretKey;
  const publicKey = x25519Raw(createPublicKey(k), 'x', path);
  if (!publicKey.ok) return publicKey;
  return okv({ publicKey: publicKey.value, secretKey: secretKey.value });
}

/** Gives an org made before the vault existed its recovery key; refuses to replace one. */
export function initRecoveryKey(dir: string): IdResult<{ privatePath: string; publicPath: string }> {
  const free = refuseExisting(dir, ORG_FILES.recoveryPrivateKey);
  if (!free.ok) return free;
  if (!existsSync(join(dir, ORG_FILES.privateKey))) return err('IO', `${join(dir, ORG_FILES.privateKey)} is missing: not an org directory`);
  try {
    return okv(writeRecoveryKeyPair(dir));
  } catch (e) {
    return writeFailure(e);
  }
}

/** Refuses to replace a key: a new org key orphans every certificate, a new node key its certificate. */
function refuseExisting(dir: string, file: string): IdResult<null> {
  const path = join(dir, file);
  return existsSync(path) ? err('IO', `${path} exists; not replacing a key`) : okv(null);
}

function writeFailure(e: unknown): IdResult<never> {
  return err('IO', (e as NodeJS.ErrnoException).message);
}

export function initOrg(dir: string): IdResult<{ keyId: Uint8Array; privatePath: string; publicPath: string; recoveryPrivatePath: string; recoveryPublicPath: string }> {
  const free = refuseExisting(dir, ORG_FILES.privateKey);
  if (!free.ok) return free;
  const freeRecovery = refuseExisting(dir, ORG_FILES.recoveryPrivateKey);
  if (!freeRecovery.ok) return freeRecovery;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const kp = generateKeyPair();
    const org = writeKeyPair(dir, 'org', kp);
    // After the org key: a crash in between leaves an org that `agent org init-recovery` completes.
    const recovery = writeRecoveryKeyPair(dir);
    return okv({ keyId: keyId(kp.publicKey), ...org, recoveryPrivatePath: recovery.privatePath, recoveryPublicPath: recovery.publicPath });
  } catch (e) {
    return writeFailure(e);
  }
}

/** What enroll needs of an org; `recoveryPublicPem` is null for an org without a recovery key. */
export interface OrgKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  recoveryPublicPem?: string | null;
}

export function loadOrg(dir: string): IdResult<OrgKeys & { recoveryPublicPem: string | null }> {
  const privateKey = readPrivateKey(join(dir, ORG_FILES.privateKey));
  if (!privateKey.ok) return privateKey;
  const publicKey = readPublicKey(join(dir, ORG_FILES.publicKey));
  if (!publicKey.ok) return publicKey;
  const recoveryPath = join(dir, ORG_FILES.recoveryPublicKey);
  let recoveryPublicPem: string | null = null;
  if (existsSync(recoveryPath)) {
    // Checked here so that enroll never copies a file the vault could not seal to.
    const raw = readRecoveryPublicKey(recoveryPath);
    if (!raw.ok) return raw;
    const pem = readSmall(recoveryPath);
    if (!pem.ok) return pem;
    recoveryPublicPem = pem.value;
  }
  return okv({ privateKey: privateKey.value, publicKey: publicKey.value, recoveryPublicPem });
}

/** `issued`/`validSec` in seconds; the org key signs a fresh node key. */
export function enroll(org: OrgKeys, name: string, outDir: string, issued: number, validSec: number): IdResult<NodeIdentity> {
  if (!NODE_NAME.test(name)) return err('MALFORMED', `node name '${name}' is not a DNS label`);
  const free = refuseExisting(outDir, NODE_FILES.privateKey);
  if (!free.ok) return free;
  const kp = generateKeyPair();
  const certificate = issueCertificate(org, name, kp.publicKey, issued, issued + validSec);
  try {
    mkdirSync(outDir, { recursive: true, mode: 0o700 });
    writeKeyPair(outDir, 'node', kp);
    writeFileAtomic(join(outDir, NODE_FILES.certificate), certificate, 0o644);
    writeFileAtomic(join(outDir, NODE_FILES.orgPublicKey), publicPem(org.publicKey), 0o644);
    if (org.recoveryPublicPem) writeFileAtomic(join(outDir, NODE_FILES.recoveryPublicKey), org.recoveryPublicPem, 0o644);
  } catch (e) {
    return writeFailure(e);
  }
  return okv({ name, ...kp, certificate, cert: { orgKeyId: keyId(org.publicKey), name, nodeKey: rawPublicKey(kp.publicKey), issued, expires: issued + validSec } });
}

export function loadIdentity(dir: string): IdResult<NodeIdentity> {
  const privateKey = readPrivateKey(join(dir, NODE_FILES.privateKey));
  if (!privateKey.ok) return privateKey;
  const publicKey = readPublicKey(join(dir, NODE_FILES.publicKey));
  if (!publicKey.ok) return publicKey;
  let certificate: Uint8Array;
  try {
    certificate = new Uint8Array(readFileSync(join(dir, NODE_FILES.certificate)));
  } catch (e) {
    return err('IO', `${join(dir, NODE_FILES.certificate)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const c = decodeCertificate(certificate);
  if (!c.ok) return c;
  if (Buffer.compare(c.value.cert.nodeKey, rawPublicKey(publicKey.value)) !== 0) return err('MISMATCH', `${dir}: node.cert is for another key than node.pub`);
  return okv({ name: c.value.cert.name, privateKey: privateKey.value, publicKey: publicKey.value, certificate, cert: c.value.cert });
}

/**
 * The incarnation for this boot: the stored one when the boot id matches (the
 * agent restarted within the boot), else one more, stored before it is used so
 * that a crash cannot hand out the same incarnation to two boots. `floor`
 * (the daemon passes unix seconds) is the least a new boot takes: a preboot
 * whose identity directory lives in RAM forgets its counter at every boot and
 * would start again at 1, below what its peers hold of its last boot, which
 * they would then refuse as stale. The clock keeps it rising across such boots.
 */
export function incarnationFor(dir: string, bootId: string, floor = 0): IdResult<number> {
  const path = join(dir, NODE_FILES.incarnation);
  let prev: { bootId: string; incarnation: number } | null = null;
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof v === 'object' && v !== null && 'bootId' in v && 'incarnation' in v && typeof v.bootId === 'string' && Number.isSafeInteger(v.incarnation) && (v.incarnation as number) >= 0) {
      prev = { bootId: v.bootId, incarnation: v.incarnation as number };
    } else return err('MALFORMED', `${path}: not {bootId, incarnation}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return err('MALFORMED', `${path}: ${(e as Error).message}`);
  }
  if (prev && prev.bootId === bootId) return okv(prev.incarnation);
  const incarnation = Math.max(prev ? prev.incarnation + 1 : 1, Math.floor(floor));
  try {
    writeFileAtomic(path, `${JSON.stringify({ bootId, incarnation })}\n`, 0o644);
  } catch (e) {
    return writeFailure(e);
  }
  return okv(incarnation);
}
