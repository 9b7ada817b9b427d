// The on-disk layout of an org and a node identity:
//   org DIR:      org.key (0600), org.pub
//   identity DIR: node.key (0600), node.pub, node.cert (COSE_Sign1 by the org),
//                 incarnation.json (the boot the last incarnation belongs to),
//                 org.pub (a copy of the org public key: what the node checks its peers against)

import type { KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCertificate, issueCertificate, NODE_NAME, type Certificate } from './cert.ts';
import { err, okv, type IdResult } from './errors.ts';
import { generateKeyPair, keyId, publicPem, rawPublicKey, readPrivateKey, readPublicKey, writeFileAtomic, writeKeyPair } from './keys.ts';

export interface NodeIdentity {
  name: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate: Uint8Array;
  cert: Certificate;
}

export const ORG_FILES = { privateKey: 'org.key', publicKey: 'org.pub' } as const;
export const NODE_FILES = { privateKey: 'node.key', publicKey: 'node.pub', certificate: 'node.cert', incarnation: 'incarnation.json', orgPublicKey: 'org.pub' } as const;

/** Refuses to replace a key: a new org key orphans every certificate, a new node key its certificate. */
function refuseExisting(dir: string, file: string): IdResult<null> {
  const path = join(dir, file);
  return existsSync(path) ? err('IO', `${path} exists; not replacing a key`) : okv(null);
}

function writeFailure(e: unknown): IdResult<never> {
  return err('IO', (e as NodeJS.ErrnoException).message);
}

export function initOrg(dir: string): IdResult<{ keyId: Uint8Array; privatePath: string; publicPath: string }> {
  const free = refuseExisting(dir, ORG_FILES.privateKey);
  if (!free.ok) return free;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const kp = generateKeyPair();
    return okv({ keyId: keyId(kp.publicKey), ...writeKeyPair(dir, 'org', kp) });
  } catch (e) {
    return writeFailure(e);
  }
}

export function loadOrg(dir: string): IdResult<{ privateKey: KeyObject; publicKey: KeyObject }> {
  const privateKey = readPrivateKey(join(dir, ORG_FILES.privateKey));
  if (!privateKey.ok) return privateKey;
  const publicKey = readPublicKey(join(dir, ORG_FILES.publicKey));
  if (!publicKey.ok) return publicKey;
  return okv({ privateKey: privateKey.value, publicKey: publicKey.value });
}

/** `issued`/`validSec` in seconds; the org key signs a fresh node key. */
export function enroll(org: { privateKey: KeyObject; publicKey: KeyObject }, name: string, outDir: string, issued: number, validSec: number): IdResult<NodeIdentity> {
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
 * that a crash cannot hand out the same incarnation to two boots.
 */
export function incarnationFor(dir: string, bootId: string): IdResult<number> {
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
  const incarnation = prev ? prev.incarnation + 1 : 1;
  try {
    writeFileAtomic(path, `${JSON.stringify({ bootId, incarnation })}\n`, 0o644);
  } catch (e) {
    return writeFailure(e);
  }
  return okv(incarnation);
}
