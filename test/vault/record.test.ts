// The vault record: sealed to the org recovery key with libsodium, signed by the
// node, verified through its certificate to the org key; every change is caught.

import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import sodium from 'libsodium-wrappers';
import { decodeVaultRecord, signVaultRecord, verifyVaultRecord } from '../../agent/vault/record.ts';
import { seal, unseal } from '../../agent/vault/seal.ts';
import { openRecord } from '../../agent/vault/open.ts';
import type { VaultErrorCode, VaultResult } from '../../agent/vault/types.ts';
import { loadIdentity } from '../../agent/identity/store.ts';
import { AMT_SECRET, must, secretBytes, vaultNode, vaultOrg } from './fixture.ts';

const org = vaultOrg();
const node = vaultNode(org, 'node-a');
const meta = { user: 'admin', mode: 'ccm', slot: 3, sol: true };

async function record(): Promise<Uint8Array> {
  const e = must(await node.vault.put('amt-admin', 'amt-admin', secretBytes(AMT_SECRET), meta));
  return must(node.vault.raw(e.node, e.id));
}

const code = (r: VaultResult<unknown>): VaultErrorCode | 'ok' => (r.ok ? 'ok' : r.error.code);

test('seal and open round trip; the node-made recovery key is a libsodium crypto_box key', async (t) => {
  const box = must(await seal(secretBytes(AMT_SECRET), org.recovery.publicKey));
  t.is(box.length, AMT_SECRET.length + 48);
  t.is(Buffer.from(must(await unseal(box, org.recovery))).toString(), AMT_SECRET);
  // libsodium derives the same public key from the stored secret key, and opens our box itself.
  await sodium.ready;
  t.deepEqual(sodium.crypto_scalarmult_base(org.recovery.secretKey), org.recovery.publicKey);
  t.is(Buffer.from(sodium.crypto_box_seal_open(box, org.recovery.publicKey, org.recovery.secretKey)).toString(), AMT_SECRET);
  // And a box libsodium sealed to a crypto_box_keypair key opens through unseal.
  const kp = sodium.crypto_box_keypair();
  const theirs = sodium.crypto_box_seal(secretBytes('x'), kp.publicKey);
  t.is(Buffer.from(must(await unseal(theirs, { publicKey: kp.publicKey, secretKey: kp.privateKey }))).toString(), 'x');
});

test('a record verifies against the org key and opens with the recovery key', async (t) => {
  const bytes = await record();
  const v = must(verifyVaultRecord(bytes, org.keys.publicKey));
  t.like(v.entry, { node: 'node-a', kind: 'amt-admin', id: 'amt-admin', meta });
  t.true(v.entry.seq >= 1);
  t.false(Buffer.from(bytes).includes(AMT_SECRET), 'the plaintext is not in the record');
  const o = must(await openRecord(bytes, org.keys.publicKey, org.recovery));
  t.is(Buffer.from(o.secret).toString(), AMT_SECRET);
  t.deepEqual(o.entry, v.entry);
  // The node's own key, when the verifier knows it, must be the one that signed.
  const id = must(loadIdentity(node.identityDir));
  t.is(code(verifyVaultRecord(bytes, org.keys.publicKey, { nodeKey: id.publicKey })), 'ok');
  const other = vaultNode(org, 'node-b');
  const otherId = must(loadIdentity(other.identityDir));
  t.is(code(verifyVaultRecord(bytes, org.keys.publicKey, { nodeKey: otherId.publicKey })), 'BAD_SIGNATURE');
  t.is(code(verifyVaultRecord(bytes, org.keys.publicKey, { nodeKey: generateKeyPairSync('x25519').publicKey })), 'BAD_SIGNATURE');
});

test('wrong recovery key: DECRYPT, and the message carries no secret', async (t) => {
  const bytes = await record();
  const other = vaultOrg();
  const r = await openRecord(bytes, org.keys.publicKey, other.recovery);
  t.is(code(r), 'DECRYPT');
  t.false(JSON.stringify(r).includes(AMT_SECRET));
  t.is(code(await unseal(new Uint8Array(10), org.recovery)), 'DECRYPT');
});

test('tampered record: every single-byte change fails; changes inside the payload are BAD_SIGNATURE', async (t) => {
  const bytes = await record();
  const s = must(decodeVaultRecord(bytes)).sign1;
  const payloadAt = Buffer.from(bytes).indexOf(Buffer.from(s.payload));
  t.true(payloadAt > 0);
  const seen = new Set<string>();
  for (let i = 0; i < bytes.length; i++) {
    const b = new Uint8Array(bytes);
    b[i] = (b[i] as number) ^ 0x01;
    const r = verifyVaultRecord(b, org.keys.publicKey);
    t.false(r.ok, `flip at ${i} accepted`);
    seen.add(code(r));
  }
  // The sealed box, seq and meta sit inside the payload: a flip there decodes and fails the signature.
  const sealed = must(decodeVaultRecord(bytes)).sealed;
  const sealedAt = Buffer.from(bytes).indexOf(Buffer.from(sealed));
  const b = new Uint8Array(bytes);
  b[sealedAt + 5] = (b[sealedAt + 5] as number) ^ 0x80;
  t.is(code(verifyVaultRecord(b, org.keys.publicKey)), 'BAD_SIGNATURE');
  t.true(seen.has('BAD_SIGNATURE') && seen.has('MALFORMED'), [...seen].join(','));
});

test('a record from another org is FOREIGN, even when well signed by its node', async (t) => {
  const other = vaultOrg();
  const stranger = vaultNode(other, 'node-a');
  const e = must(await stranger.vault.put('bmc-user', 'bmc-user:fortros-oob', secretBytes('x'), {}));
  const bytes = must(stranger.vault.raw(e.node, e.id));
  t.is(code(verifyVaultRecord(bytes, other.keys.publicKey)), 'ok');
  t.is(code(verifyVaultRecord(bytes, org.keys.publicKey)), 'FOREIGN');
  t.is(code(node.vault.accept(bytes)), 'FOREIGN');
});

test('a node cannot sign a record in another node\'s name', async (t) => {
  const id = must(loadIdentity(node.identityDir));
  const box = must(await seal(secretBytes('x'), org.recovery.publicKey));
  const now = Math.floor(Date.now() / 1000);
  const forged = must(signVaultRecord({ node: 'node-z', kind: 'amt-admin', id: 'amt-admin', seq: 1, created: now, meta: {} }, box, id));
  const r = verifyVaultRecord(forged, org.keys.publicKey);
  t.is(code(r), 'BAD_SIGNATURE');
  t.regex(r.ok ? '' : r.error.message, /claims node 'node-z' but is signed by 'node-a'/);
  // Made after the certificate expired (or long before it was issued): refused.
  const late = must(signVaultRecord({ node: 'node-a', kind: 'amt-admin', id: 'amt-admin', seq: 1, created: now + 2 * 86_400, meta: {} }, box, id));
  t.is(code(verifyVaultRecord(late, org.keys.publicKey)), 'BAD_SIGNATURE');
});

test('stale seq refused by verify and by accept', async (t) => {
  const first = await record();
  const second = await record();
  const s1 = must(decodeVaultRecord(first)).entry.seq;
  const s2 = must(decodeVaultRecord(second)).entry.seq;
  t.true(s2 > s1);
  t.is(code(verifyVaultRecord(first, org.keys.publicKey, { storedSeq: s2 })), 'STALE');
  t.is(code(verifyVaultRecord(second, org.keys.publicKey, { storedSeq: s2 })), 'ok');
  const peer = vaultNode(org, 'node-p');
  t.is(code(peer.vault.accept(second)), 'ok');
  t.is(code(peer.vault.accept(first)), 'STALE');
  t.is(code(peer.vault.accept(second)), 'ok', 'the same record again is not an error');
  t.deepEqual(Buffer.from(must(peer.vault.raw('node-a', 'amt-admin'))), Buffer.from(second));
});

test('signVaultRecord refuses what the reader would refuse', async (t) => {
  const id = must(loadIdentity(node.identityDir));
  const box = must(await seal(secretBytes('x'), org.recovery.publicKey));
  const base = { node: 'node-a', kind: 'amt-admin' as const, id: 'amt-admin', seq: 1, created: 1, meta: {} };
  t.is(code(signVaultRecord({ ...base, id: 'has space' }, box, id)), 'MALFORMED');
  t.is(code(signVaultRecord({ ...base, id: 'x'.repeat(61) }, box, id)), 'MALFORMED');
  t.is(code(signVaultRecord({ ...base, seq: 0 }, box, id)), 'MALFORMED');
  t.is(code(signVaultRecord({ ...base, meta: { f: 1.5 } }, box, id)), 'MALFORMED');
  t.is(code(signVaultRecord({ ...base, meta: { host: 'a\u001b[2Jb' } }, box, id)), 'MALFORMED');
  t.is(code(signVaultRecord({ ...base, kind: 'other' as 'amt-admin' }, box, id)), 'MALFORMED');
  t.is(code(signVaultRecord(base, new Uint8Array(10), id)), 'MALFORMED');
});

test('fuzz: decode and verify return a typed result for arbitrary, truncated and mutated bytes', async (t) => {
  const bytes = await record();
  const codes = new Set<VaultErrorCode>(['MALFORMED', 'BAD_SIGNATURE', 'FOREIGN', 'STALE']);
  const check = (b: Uint8Array): boolean => {
    const d = decodeVaultRecord(b);
    const v = verifyVaultRecord(b, org.keys.publicKey);
    if (!d.ok && !codes.has(d.error.code)) return false;
    return v.ok ? Buffer.compare(Buffer.from(b), Buffer.from(bytes)) === 0 : codes.has(v.error.code);
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), check), { numRuns: 2000 });
  fc.assert(fc.property(fc.nat({ max: bytes.length - 1 }), (n) => check(bytes.subarray(0, n))), { numRuns: 500 });
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
      const b = new Uint8Array(bytes);
      for (const [i, x] of edits) b[i] = (b[i] as number) ^ x;
      return check(b);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
