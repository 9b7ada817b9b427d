import test from 'ava';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCertificate } from '../../agent/identity/cert.ts';
import { verifySign1 } from '../../agent/identity/cose.ts';
import { ed25519Sign, ed25519Verify, keyId, rawPublicKey, readPrivateKey, readPublicKey } from '../../agent/identity/keys.ts';
import { enroll, incarnationFor, initOrg, loadIdentity } from '../../agent/identity/store.ts';
import { BOOT_A, BOOT_B, makeNode, makeOrg, must, tmp } from './fixture.ts';

const mode = (p: string): number => statSync(p).mode & 0o777;

test('org init writes org.key 0600 and org.pub 0644 as Ed25519 PEM, and never replaces them', (t) => {
  const org = makeOrg();
  t.is(mode(join(org.dir, 'org.key')), 0o600);
  t.is(mode(join(org.dir, 'org.pub')), 0o644);
  t.regex(readFileSync(join(org.dir, 'org.key'), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  t.regex(readFileSync(join(org.dir, 'org.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----\n/);
  const priv = must(readPrivateKey(join(org.dir, 'org.key')));
  const pub = must(readPublicKey(join(org.dir, 'org.pub')));
  const sig = ed25519Sign(priv, Buffer.from('hello'));
  t.true(ed25519Verify(pub, Buffer.from('hello'), sig));
  t.false(ed25519Verify(pub, Buffer.from('hellO'), sig));
  const again = initOrg(org.dir);
  t.false(again.ok);
  if (!again.ok) t.is(again.error.code, 'IO');
  t.deepEqual(must(readPublicKey(join(org.dir, 'org.pub'))).export({ format: 'jwk' }), pub.export({ format: 'jwk' }));
});

test('enroll writes node.key 0600 and a certificate the org key verifies, binding name and node key', (t) => {
  const org = makeOrg();
  const id = makeNode(org, 'node-7', 1_800_000_000, 3600);
  t.is(mode(join(id.dir, 'node.key')), 0o600);
  t.is(mode(join(id.dir, 'node.pub')), 0o644);
  const loaded = must(loadIdentity(id.dir));
  t.is(loaded.name, 'node-7');
  const c = must(decodeCertificate(new Uint8Array(readFileSync(join(id.dir, 'node.cert')))));
  t.true(verifySign1(c.sign1, org.keys.publicKey));
  t.deepEqual(c.sign1.kid, keyId(org.keys.publicKey));
  t.deepEqual(c.cert, { orgKeyId: keyId(org.keys.publicKey), name: 'node-7', nodeKey: rawPublicKey(loaded.publicKey), issued: 1_800_000_000, expires: 1_800_003_600 });
  const other = makeOrg();
  t.false(verifySign1(c.sign1, other.keys.publicKey));
  const again = enroll(org.keys, 'node-7', id.dir, 1_800_000_000, 3600);
  t.false(again.ok);
});

test('enroll rejects a name that is not a DNS label; loadIdentity rejects a certificate for another key', (t) => {
  const org = makeOrg();
  const bad = enroll(org.keys, 'node_7', join(tmp(), 'x'), 0, 10);
  t.false(bad.ok);
  if (!bad.ok) t.is(bad.error.code, 'MALFORMED');
  const a = makeNode(org, 'node-a');
  const b = makeNode(org, 'node-b');
  writeFileSync(join(a.dir, 'node.cert'), readFileSync(join(b.dir, 'node.cert')));
  const r = loadIdentity(a.dir);
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'MISMATCH');
});

test('readPublicKey returns typed errors for a missing file and for garbage', (t) => {
  const dir = tmp();
  const missing = readPublicKey(join(dir, 'nope.pub'));
  t.deepEqual(missing.ok ? null : missing.error.code, 'IO');
  writeFileSync(join(dir, 'junk.pub'), 'not a key');
  const junk = readPublicKey(join(dir, 'junk.pub'));
  t.deepEqual(junk.ok ? null : junk.error.code, 'MALFORMED');
});

test('incarnation: same boot keeps it, a new boot increments and persists it', (t) => {
  const dir = tmp();
  t.is(must(incarnationFor(dir, BOOT_A)), 1);
  t.is(must(incarnationFor(dir, BOOT_A)), 1);
  t.is(must(incarnationFor(dir, BOOT_B)), 2);
  t.deepEqual(JSON.parse(readFileSync(join(dir, 'incarnation.json'), 'utf8')), { bootId: BOOT_B, incarnation: 2 });
  writeFileSync(join(dir, 'incarnation.json'), '{"bootId": 5}');
  const bad = incarnationFor(dir, BOOT_A);
  t.deepEqual(bad.ok ? null : bad.error.code, 'MALFORMED');
});

test('incarnation: a floor (the clock) lifts a forgotten counter, and never lowers a kept one', (t) => {
  const ram = tmp();
  // A preboot with its identity in RAM: every boot starts without incarnation.json.
  t.is(must(incarnationFor(ram, BOOT_A, 1_700_000_000)), 1_700_000_000);
  const again = tmp();
  t.is(must(incarnationFor(again, BOOT_B, 1_700_000_050.9)), 1_700_000_050);
  const kept = tmp();
  t.is(must(incarnationFor(kept, BOOT_A, 500)), 500);
  t.is(must(incarnationFor(kept, BOOT_B, 10)), 501, 'a clock set back does not lower it');
  t.is(must(incarnationFor(kept, BOOT_B, 900)), 501, 'same boot: the stored value whatever the floor');
});
