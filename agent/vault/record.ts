// A vault record: deterministic CBOR {v, node, kind, id, seq, created, meta,
// sealed, cert} signed by the node key as COSE_Sign1 (kid = node key id).
// `sealed` is crypto_box_seal(secret, org recovery key); `cert` is the node's
// certificate, so anyone holding only org.pub (a peer that got the record by
// gossip, an operator) can check the whole chain org -> node -> record.
//
// decodeVaultRecord reads the bytes and checks nothing cryptographic;
// verifyVaultRecord checks the node signature first, then the chain, so that a
// changed byte anywhere in the payload is reported as BAD_SIGNATURE rather than
// as whatever the changed field now claims. Neither decrypts.

import { timingSafeEqual, type KeyObject } from 'node:crypto';
import { encodeCbor, type Cbor, type CborKey } from '../identity/cbor.ts';
import { decodeCertificate, NODE_NAME, type Certificate } from '../identity/cert.ts';
import { decodeSign1, sign1, verifySign1, type Sign1 } from '../identity/cose.ts';
import { keyId, rawPublicKey } from '../identity/keys.ts';
import { field, payloadMap, VERSION } from '../identity/schema.ts';
import { verr, vok } from './result.ts';
import { SEAL_OVERHEAD } from './seal.ts';
import type { VaultEntry, VaultKind, VaultResult } from './types.ts';

export const VAULT_KINDS: readonly VaultKind[] = ['amt-admin', 'bmc-user', 'channel-ref'];
/** A record is a few hundred bytes; the cap bounds what a peer can make us decode and store. */
export const MAX_RECORD = 16 * 1024;
export const MAX_SECRET = 4096;
/** Keeps "node@escaped-id.cose" within a 255-byte file name (store.ts). */
export const MAX_ID = 60;
export const MAX_META_ENTRIES = 16;
const MAX_META_KEY = 32;
const MAX_META_TEXT = 256;
/** Clocks differ: a record may claim a time this far before its certificate was issued. */
const CERT_SKEW_SEC = 300;

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@+-]*$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const KEYS = ['v', 'node', 'kind', 'id', 'seq', 'created', 'meta', 'sealed', 'cert'] as const;

export interface DecodedVaultRecord {
  entry: VaultEntry;
  sealed: Uint8Array;
  /** The node certificate as carried (COSE_Sign1 by the org key). */
  certificate: Uint8Array;
  cert: Certificate;
  nodeKey: KeyObject;
  sign1: Sign1;
}

export interface VerifyVaultOptions {
  /** When the verifier already knows the node's key (its own, or from an attestation), it must match. */
  nodeKey?: KeyObject;
  /** The seq of the record already held for this (node, id): a lower one is STALE. */
  storedSeq?: number;
}

/** The checks both the writer and the reader apply to what a record says. */
export function checkEntry(e: VaultEntry): VaultResult<VaultEntry> {
  if (!NODE_NAME.test(e.node)) return verr('MALFORMED', 'vault record: node is not a DNS label');
  if (!VAULT_KINDS.includes(e.kind)) return verr('MALFORMED', `vault record: kind ${JSON.stringify(e.kind)} is not one of ${VAULT_KINDS.join(', ')}`);
  if (e.id.length > MAX_ID || !ID.test(e.id)) return verr('MALFORMED', `vault record: id must be 1-${MAX_ID} of A-Z a-z 0-9 . _ : @ + - starting with a letter or digit`);
  if (!Number.isSafeInteger(e.seq) || e.seq < 1) return verr('MALFORMED', 'vault record: seq is a positive integer');
  if (!Number.isSafeInteger(e.created) || e.created < 0) return verr('MALFORMED', 'vault record: created is unix seconds');
  const meta = Object.entries(e.meta);
  if (meta.length > MAX_META_ENTRIES) return verr('MALFORMED', `vault record: more than ${MAX_META_ENTRIES} meta entries`);
  for (const [k, v] of meta) {
    if (k.length === 0 || k.length > MAX_META_KEY) return verr('MALFORMED', `vault record: meta key of ${k.length} characters`);
    if (typeof v === 'number' && !Number.isSafeInteger(v)) return verr('MALFORMED', `vault record: meta ${k} is not an integer`);
    if (typeof v === 'string' && v.length > MAX_META_TEXT) return verr('MALFORMED', `vault record: meta ${k} longer than ${MAX_META_TEXT}`);
    // Meta is printed by `agent vault list`: no peer gets to put terminal control sequences there.
    if (CONTROL.test(k) || (typeof v === 'string' && CONTROL.test(v))) return verr('MALFORMED', 'vault record: meta holds control characters');
    if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') return verr('MALFORMED', `vault record: meta ${k} is not text, integer or boolean`);
  }
  return vok(e);
}

export interface RecordSigner {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The node certificate (node.cert). */
  certificate: Uint8Array;
}

export function signVaultRecord(entry: VaultEntry, sealed: Uint8Array, node: RecordSigner): VaultResult<Uint8Array> {
  const ok = checkEntry(entry);
  if (!ok.ok) return ok;
  if (sealed.length < SEAL_OVERHEAD || sealed.length > MAX_SECRET + SEAL_OVERHEAD) return verr('MALFORMED', `vault record: sealed box of ${sealed.length} bytes`);
  const meta = new Map<string, Cbor>(Object.entries(entry.meta));
  const payload = new Map<string, Cbor>([
    ['v', VERSION],
    ['node', entry.node],
    ['kind', entry.kind],
    ['id', entry.id],
    ['seq', entry.seq],
    ['created', entry.created],
    ['meta', meta],
    ['sealed', sealed],
    ['cert', node.certificate],
  ]);
  const bytes = sign1(encodeCbor(payload), keyId(node.publicKey), node.privateKey);
  return bytes.length > MAX_RECORD ? verr('MALFORMED', `vault record of ${bytes.length} bytes exceeds ${MAX_RECORD}`) : vok(bytes);
}

function readMeta(m: ReadonlyMap<CborKey, Cbor>): VaultResult<VaultEntry['meta']> {
  const out: VaultEntry['meta'] = {};
  for (const [k, v] of m) {
    if (typeof k !== 'string') return verr('MALFORMED', 'vault record: meta keys are text');
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return verr('MALFORMED', `vault record: meta ${k} is not text, integer or boolean`);
    // A key such as "__proto__" stays plain data.
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return vok(out);
}

/** Reads a record without checking any signature; MALFORMED for anything that is not one. */
export function decodeVaultRecord(bytes: Uint8Array): VaultResult<DecodedVaultRecord> {
  if (bytes.length > MAX_RECORD) return verr('MALFORMED', `vault record of ${bytes.length} bytes exceeds ${MAX_RECORD}`);
  const s = decodeSign1(bytes, MAX_RECORD);
  if (!s.ok) return verr('MALFORMED', `vault record: ${s.error.message}`);
  const m = payloadMap(s.value.payload, 'vault record', KEYS);
  if (!m.ok) return verr('MALFORMED', m.error.message);
  const p = m.value;
  const node = field.text(p, 'node');
  const kind = field.text(p, 'kind');
  const id = field.text(p, 'id');
  const seq = field.uint(p, 'seq');
  const created = field.uint(p, 'created');
  const metaMap = field.map(p, 'meta');
  const sealed = field.bytes(p, 'sealed');
  const certificate = field.bytes(p, 'cert');
  if (node === undefined || kind === undefined || id === undefined || seq === undefined || created === undefined || metaMap === undefined || sealed === undefined || certificate === undefined) {
    return verr('MALFORMED', 'vault record: a field is missing or of the wrong type');
  }
  const meta = readMeta(metaMap);
  if (!meta.ok) return meta;
  const entry = checkEntry({ node, kind: kind as VaultKind, id, seq, created, meta: meta.value });
  if (!entry.ok) return entry;
  if (sealed.length < SEAL_OVERHEAD || sealed.length > MAX_SECRET + SEAL_OVERHEAD) return verr('MALFORMED', `vault record: sealed box of ${sealed.length} bytes`);
  const c = decodeCertificate(certificate);
  if (!c.ok) return verr('MALFORMED', `vault record: ${c.error.message}`);
  return vok({ entry: entry.value, sealed, certificate, cert: c.value.cert, nodeKey: c.value.nodeKey, sign1: s.value });
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

export function verifyVaultRecord(bytes: Uint8Array, orgPublicKey: KeyObject, o: VerifyVaultOptions = {}): VaultResult<DecodedVaultRecord> {
  const d = decodeVaultRecord(bytes);
  if (!d.ok) return d;
  const r = d.value;
  if (!same(r.sign1.kid, keyId(r.cert.nodeKey))) return verr('BAD_SIGNATURE', 'vault record kid is not the certified node key id');
  if (!verifySign1(r.sign1, r.nodeKey)) return verr('BAD_SIGNATURE', `vault record ${r.entry.node}/${r.entry.id}: signature does not verify with the node key`);
  if (o.nodeKey && (o.nodeKey.asymmetricKeyType !== 'ed25519' || !same(rawPublicKey(o.nodeKey), r.cert.nodeKey))) return verr('BAD_SIGNATURE', `vault record ${r.entry.node}/${r.entry.id}: signed by another key than the node's known one`);

  const c = decodeCertificate(r.certificate);
  if (!c.ok) return verr('MALFORMED', `vault record: ${c.error.message}`);
  const orgKid = keyId(orgPublicKey);
  if (!same(c.value.sign1.kid, orgKid) || !same(r.cert.orgKeyId, orgKid)) return verr('FOREIGN', `vault record ${r.entry.node}/${r.entry.id}: node certificate issued by another org key`);
  if (!verifySign1(c.value.sign1, orgPublicKey)) return verr('BAD_SIGNATURE', `vault record ${r.entry.node}/${r.entry.id}: node certificate does not verify with the org key`);
  if (r.cert.name !== r.entry.node) return verr('BAD_SIGNATURE', `vault record claims node '${r.entry.node}' but is signed by '${r.cert.name}'`);
  // Expiry is judged when the record was made, not now: a credential sealed while the
  // certificate was valid stays the credential the firmware holds after it lapses.
  if (r.entry.created + CERT_SKEW_SEC < r.cert.issued || r.entry.created >= r.cert.expires) {
    return verr('BAD_SIGNATURE', `vault record ${r.entry.node}/${r.entry.id}: made outside its certificate's validity`);
  }
  if (o.storedSeq !== undefined && r.entry.seq < o.storedSeq) return verr('STALE', `vault record ${r.entry.node}/${r.entry.id}: seq ${r.entry.seq} is older than the stored ${o.storedSeq}`);
  return vok(r);
}
