// The vault on disk: one atomically written file per (node, id), seq rising on
// every put, leftovers of killed writers removed and never read as records.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initOrg, initRecoveryKey, NODE_FILES, ORG_FILES } from '../../agent/identity/store.ts';
import { isTempName, tempName } from '../../agent/state/atomic.ts';
import { decodeVaultRecord } from '../../agent/vault/record.ts';
import { openVault, recordFileName, scanVault, VAULT_DIR } from '../../agent/vault/store.ts';
import { makeNode } from '../identity/fixture.ts';
import { AMT_SECRET, BMC_SECRET, must, recoveryPubPath, secretBytes, tmp, vaultNode, vaultOrg } from './fixture.ts';

const org = vaultOrg();

test('org init writes the X25519 recovery pair 0600/0644; enroll copies recovery.pub to the node', (t) => {
  t.is(statSync(join(org.dir, ORG_FILES.recoveryPrivateKey)).mode & 0o777, 0o600);
  t.is(statSync(join(org.dir, ORG_FILES.recoveryPublicKey)).mode & 0o777, 0o644);
  t.regex(readFileSync(join(org.dir, ORG_FILES.recoveryPrivateKey), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  const n = vaultNode(org, 'node-a');
  t.is(readFileSync(recoveryPubPath(n), 'utf8'), readFileSync(join(org.dir, ORG_FILES.recoveryPublicKey), 'utf8'));
  t.false(existsSync(join(n.identityDir, ORG_FILES.recoveryPrivateKey)), 'the recovery private key never goes to a node');
  // Neither the org key nor the recovery key is ever replaced.
  t.is(initOrg(org.dir).ok, false);
  t.like(initRecoveryKey(org.dir), { ok: false, error: { code: 'IO' } });
});

test('put: seq rises, one 0600 file per (node, id), no plaintext on disk; list and raw', async (t) => {
  const n = vaultNode(org, 'node-a');
  const a1 = must(await n.vault.put('amt-admin', 'amt-admin', secretBytes(AMT_SECRET), { user: 'admin' }));
  const a2 = must(await n.vault.put('amt-admin', 'amt-admin', secretBytes(AMT_SECRET), { user: 'admin' }));
  const b = must(await n.vault.put('bmc-user', 'bmc-user:fortros-oob', secretBytes(BMC_SECRET), { user: 'fortros-oob', slot: 3 }));
  t.is(a2.seq, a1.seq + 1);
  const dir = join(n.stateDir, VAULT_DIR);
  t.is(statSync(dir).mode & 0o777, 0o700);
  t.deepEqual(readdirSync(dir).sort(), ['node-a@amt-admin.cose', 'node-a@bmc-user%3Afortros-oob.cose']);
  t.is(recordFileName('node-a', 'bmc-user:fortros-oob'), 'node-a@bmc-user%3Afortros-oob.cose');
  for (const f of readdirSync(dir)) {
    t.is(statSync(join(dir, f)).mode & 0o777, 0o600);
    const raw = readFileSync(join(dir, f));
    t.false(raw.includes(AMT_SECRET) || raw.includes(BMC_SECRET));
  }
  const list = must(n.vault.list());
  t.deepEqual(list.map((e) => [e.id, e.seq]), [['amt-admin', a2.seq], ['bmc-user:fortros-oob', b.seq]]);
  t.false(JSON.stringify(list).includes(AMT_SECRET));
  t.is(must(decodeVaultRecord(must(n.vault.raw('node-a', 'amt-admin')))).entry.seq, a2.seq);
  t.like(n.vault.raw('node-a', 'nothing'), { ok: false, error: { code: 'IO' } });
  t.like(await n.vault.put('amt-admin', 'amt-admin', new Uint8Array(0), {}), { ok: false, error: { code: 'MALFORMED' } });
  t.like(await n.vault.put('amt-admin', 'amt-admin', new Uint8Array(5000), {}), { ok: false, error: { code: 'MALFORMED' } });
});

test('seq never falls below the clock: a node whose state was wiped still supersedes its old record', async (t) => {
  const stateDir = tmp();
  const n = vaultNode(org, 'node-w', stateDir);
  const peer = vaultNode(org, 'node-p');
  const old = must(await n.vault.put('amt-admin', 'amt-admin', secretBytes('a'), {}));
  const oldBytes = must(n.vault.raw('node-w', 'amt-admin'));
  t.true(peer.vault.accept(oldBytes).ok);
  rmSync(join(stateDir, VAULT_DIR), { recursive: true });
  const later = must(openVault({ stateDir, identityDir: n.identityDir, now: () => Date.now() + 5000 }));
  const fresh = must(await later.put('amt-admin', 'amt-admin', secretBytes('b'), {}));
  t.true(fresh.seq > old.seq, `${fresh.seq} > ${old.seq}`);
  t.like(peer.vault.accept(must(later.raw('node-w', 'amt-admin'))), { ok: true, value: { seq: fresh.seq } });
  t.like(peer.vault.accept(oldBytes), { ok: false, error: { code: 'STALE' } });
});

test('an identity enrolled before recovery keys: put says NO_KEY; list, raw and accept still work', async (t) => {
  const n = vaultNode(org, 'node-old');
  rmSync(recoveryPubPath(n));
  const v = must(openVault({ stateDir: n.stateDir, identityDir: n.identityDir }));
  t.like(await v.put('amt-admin', 'amt-admin', secretBytes('x'), {}), { ok: false, error: { code: 'NO_KEY' } });
  const peer = vaultNode(org, 'node-b');
  const e = must(await peer.vault.put('bmc-user', 'bmc-user:op', secretBytes('y'), {}));
  t.like(v.accept(must(peer.vault.raw(e.node, e.id))), { ok: true, value: { node: 'node-b', seq: e.seq } });
  t.deepEqual(must(v.list()).map((x) => x.node), ['node-b']);
});

test('an org made before recovery keys gets one with init-recovery; enroll then copies it', (t) => {
  const dir = join(tmp(), 'org');
  must(initOrg(dir));
  rmSync(join(dir, ORG_FILES.recoveryPrivateKey));
  rmSync(join(dir, ORG_FILES.recoveryPublicKey));
  t.like(initRecoveryKey(join(tmp(), 'nothing')), { ok: false, error: { code: 'IO' } });
  must(initRecoveryKey(dir));
  t.is(statSync(join(dir, ORG_FILES.recoveryPrivateKey)).mode & 0o777, 0o600);
});

test('leftover temp files: removed on open when their writer is dead, kept while it lives, never listed', async (t) => {
  const n = vaultNode(org, 'node-t');
  must(await n.vault.put('amt-admin', 'amt-admin', secretBytes('x'), {}));
  const dir = join(n.stateDir, VAULT_DIR);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const deadTemp = tempName('node-t@amt-admin.cose').replace(`.${process.pid}.`, `.${dead}.`);
  const liveTemp = tempName('node-t@amt-admin.cose').replace(`.${process.pid}.`, '.1.');
  t.true(isTempName(deadTemp) && isTempName(liveTemp));
  // A half-written record: what a kill -9 between write and rename leaves.
  const half = must(n.vault.raw('node-t', 'amt-admin')).subarray(0, 40);
  writeFileSync(join(dir, deadTemp), half);
  writeFileSync(join(dir, liveTemp), half);
  const scanned = must(scanVault(n.stateDir, org.keys.publicKey));
  t.deepEqual(scanned.map((s) => s.file), ['node-t@amt-admin.cose']);
  const again = must(openVault({ stateDir: n.stateDir, identityDir: n.identityDir }));
  t.deepEqual(again.removedTemps, [deadTemp]);
  t.false(existsSync(join(dir, deadTemp)));
  t.true(existsSync(join(dir, liveTemp)), 'pid 1 is alive: its temp file is left to it');
});

test('scan reports files that are not good records; list leaves them out', async (t) => {
  const n = vaultNode(org, 'node-s');
  must(await n.vault.put('amt-admin', 'amt-admin', secretBytes('x'), {}));
  must(await n.vault.put('bmc-user', 'bmc-user:op', secretBytes('y'), {}));
  const dir = join(n.stateDir, VAULT_DIR);
  // A record moved onto another name would shadow that record's seq.
  renameSync(join(dir, 'node-s@bmc-user%3Aop.cose'), join(dir, 'node-s@other.cose'));
  writeFileSync(join(dir, 'node-x@junk.cose'), 'not a record');
  mkdirSync(join(dir, 'node-y@dir.cose'));
  symlinkSync(join(dir, 'node-s@amt-admin.cose'), join(dir, 'node-z@link.cose'));
  const s = must(scanVault(n.stateDir, org.keys.publicKey));
  const byFile = new Map(s.map((r) => [r.file, r]));
  t.like(byFile.get('node-s@amt-admin.cose'), { verified: true, error: null });
  t.like(byFile.get('node-s@other.cose'), { verified: false, error: { code: 'MALFORMED' } });
  t.like(byFile.get('node-x@junk.cose'), { verified: false, entry: null, error: { code: 'MALFORMED' } });
  t.like(byFile.get('node-y@dir.cose'), { verified: false, entry: null });
  t.like(byFile.get('node-z@link.cose'), { verified: false, entry: null, error: { code: 'IO' } });
  t.deepEqual(must(n.vault.list()).map((e) => e.id), ['amt-admin']);
  // Without an org key nothing is claimed verified.
  t.true(must(scanVault(n.stateDir, null)).every((r) => r.verified === null));
  // No vault directory yet: an empty list, not an error.
  t.deepEqual(must(scanVault(tmp(), org.keys.publicKey)), []);
});

test('accept keeps the peers\' records beside its own and refuses a different record with the same seq', async (t) => {
  const a = vaultNode(org, 'node-a');
  const b = vaultNode(org, 'node-b');
  const e = must(await a.vault.put('amt-admin', 'amt-admin', secretBytes('x'), {}));
  must(await b.vault.put('amt-admin', 'amt-admin', secretBytes('z'), {}));
  t.true(b.vault.accept(must(a.vault.raw('node-a', 'amt-admin'))).ok);
  t.deepEqual(must(b.vault.list()).map((x) => x.node).sort(), ['node-a', 'node-b']);
  // node-a's state is copied elsewhere and diverges at the same seq: the first one stays.
  const fork = tmp();
  mkdirSync(join(fork, VAULT_DIR));
  copyFileSync(join(a.stateDir, VAULT_DIR, 'node-a@amt-admin.cose'), join(fork, VAULT_DIR, 'node-a@amt-admin.cose'));
  const f = must(openVault({ stateDir: fork, identityDir: a.identityDir }));
  const forked = must(await f.put('amt-admin', 'amt-admin', secretBytes('w'), {}));
  const mine = must(await a.vault.put('amt-admin', 'amt-admin', secretBytes('v'), {}));
  t.is(forked.seq, mine.seq);
  t.is(mine.seq, e.seq + 1);
  t.true(b.vault.accept(must(a.vault.raw('node-a', 'amt-admin'))).ok);
  t.like(b.vault.accept(must(f.raw('node-a', 'amt-admin'))), { ok: false, error: { code: 'STALE' } });
  t.like(b.vault.accept(new Uint8Array([1, 2, 3])), { ok: false, error: { code: 'MALFORMED' } });
});

test('put refuses to keep a record its peers would refuse: an expired certificate', async (t) => {
  const id = makeNode(org, 'node-e', Math.floor(Date.now() / 1000) - 7200, 3600);
  const v = must(openVault({ stateDir: tmp(), identityDir: id.dir }));
  t.like(await v.put('amt-admin', 'amt-admin', secretBytes('x'), {}), { ok: false, error: { code: 'BAD_SIGNATURE' } });
  t.deepEqual(readdirSync(v.dir), []);
});

test('an identity directory that is not one: openVault fails typed', (t) => {
  t.like(openVault({ stateDir: tmp(), identityDir: join(tmp(), 'none') }), { ok: false, error: { code: 'IO' } });
  const n = vaultNode(org, 'node-m');
  writeFileSync(join(n.identityDir, NODE_FILES.recoveryPublicKey), 'garbage');
  t.like(openVault({ stateDir: tmp(), identityDir: n.identityDir }), { ok: false, error: { code: 'MALFORMED' } });
});
