// The signed policy (agent/policy/document.ts): a good one verifies and names
// its mode; tampered, unsigned, foreign-signed, truncated, rolled-back and
// unreadable ones are refused with their code, and the effective mode is then
// always ignore. Arbitrary bytes get a typed refusal, never a throw.
import test from 'ava';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCbor, Tagged } from '../../agent/identity/cbor.ts';
import { decodeSign1, sign1 } from '../../agent/identity/cose.ts';
import { keyId } from '../../agent/identity/keys.ts';
import { loadPolicy, loadPolicyBytes, policyDigest, signPolicy, verifyPolicy } from '../../agent/policy/document.ts';
import { policyToCbor } from '../../agent/policy/schema.ts';
import type { PolicyErrorCode } from '../../agent/policy/types.ts';
import { makeOrg, must, policy, tmp } from './fixture.ts';

const org = makeOrg();
const other = makeOrg();
const usePolicy = policy('use', {}, 5);
const signed = signPolicy(usePolicy, org.keys);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function refused(t: import('ava').ExecutionContext, bytes: Uint8Array, code: PolicyErrorCode, re: RegExp, lastSerial: number | null = null): void {
  const l = loadPolicyBytes(bytes, org.keys.publicKey, lastSerial);
  t.false(l.ok);
  t.is(l.mode, 'ignore');
  if (!l.ok) {
    t.is(l.error.code, code);
    t.regex(l.error.message, re);
    t.regex(l.reason, /running as ignore/);
  }
}

test('a signed policy verifies: the policy, its digest and the org key id; the mode is the policy\'s', (t) => {
  const v = must(verifyPolicy(signed, org.keys.publicKey));
  t.deepEqual(v.policy, usePolicy);
  t.is(v.digest, policyDigest(signed));
  t.regex(v.digest, /^[0-9a-f]{64}$/);
  t.is(v.orgKeyId, hex(keyId(org.keys.publicKey)));
  const l = loadPolicyBytes(signed, org.keys.publicKey, 5);
  t.true(l.ok);
  t.is(l.mode, 'use');
  // The kid is the org key id: verifiers pick the key by it.
  t.is(hex(must(decodeSign1(signed)).kid), hex(keyId(org.keys.publicKey)));
  // Ed25519 is deterministic: signing again gives the same bytes, hence the same digest.
  t.is(hex(signPolicy(usePolicy, org.keys)), hex(signed));
});

test('every flipped byte is refused (ignore); in the payload and signature it is BAD_SIGNATURE', (t) => {
  const s = must(decodeSign1(signed));
  const payloadAt = Buffer.from(signed).indexOf(Buffer.from(s.payload));
  const sigAt = signed.length - 64;
  const codes = new Set<string>();
  for (let i = 0; i < signed.length; i++) {
    const b = signed.slice();
    b[i] = (b[i] as number) ^ 0x01;
    const l = loadPolicyBytes(b, org.keys.publicKey);
    t.false(l.ok, `byte ${i}`);
    t.is(l.mode, 'ignore');
    if (!l.ok) {
      codes.add(l.error.code);
      if ((i >= payloadAt && i < payloadAt + s.payload.length) || i >= sigAt) t.is(l.error.code, 'BAD_SIGNATURE', `byte ${i}`);
    }
  }
  t.true(codes.has('BAD_SIGNATURE'));
});

test('unsigned: the JSON policy, and the bare CBOR payload, are UNSIGNED', (t) => {
  refused(t, Buffer.from(JSON.stringify({ serial: 5, oob: 'use' })), 'UNSIGNED', /JSON policy, not a signed one/);
  refused(t, encodeCbor(policyToCbor(usePolicy)), 'UNSIGNED', /not a COSE_Sign1/);
  refused(t, encodeCbor(new Tagged(17, [new Uint8Array(0), new Map(), new Uint8Array(0)])), 'UNSIGNED', /tag 18/);
});

test('foreign: signed by another org key is FOREIGN; a foreign key claiming our kid is BAD_SIGNATURE', (t) => {
  refused(t, signPolicy(usePolicy, other.keys), 'FOREIGN', /not by this org's key/);
  const forged = sign1(encodeCbor(policyToCbor(usePolicy)), keyId(org.keys.publicKey), other.keys.privateKey);
  refused(t, forged, 'BAD_SIGNATURE', /does not verify/);
});

test('truncated at every length: refused as MALFORMED', (t) => {
  for (let n = 0; n < signed.length; n++) refused(t, signed.subarray(0, n), 'MALFORMED', /./);
});

test('rollback: a serial lower than the last applied is ROLLBACK; equal or higher is taken', (t) => {
  refused(t, signed, 'ROLLBACK', /serial 5 is older than serial 6/, 6);
  t.true(loadPolicyBytes(signed, org.keys.publicKey, 5).ok);
  t.true(loadPolicyBytes(signed, org.keys.publicKey, 1).ok);
});

test('a well-signed payload that is not a valid policy is MALFORMED with the field path', (t) => {
  const m = policyToCbor(usePolicy);
  m.set('oob', 'always');
  refused(t, sign1(encodeCbor(m), keyId(org.keys.publicKey), org.keys.privateKey), 'MALFORMED', /^oob: must be one of/);
});

test('loadPolicy from files: the org key from --org or the identity dir; missing files are UNREADABLE', (t) => {
  const dir = tmp();
  const file = join(dir, 'p.cose');
  writeFileSync(file, signed);
  const ok = loadPolicy({ path: file, orgDir: org.dir });
  t.true(ok.ok);
  t.is(ok.mode, 'use');
  // An identity directory carries org.pub as a copy of the org's.
  const l = loadPolicy({ path: file, identityDir: org.dir });
  t.true(l.ok);
  for (const [o, re] of [
    [{ path: join(dir, 'absent.cose'), orgDir: org.dir }, /ENOENT/],
    [{ path: file, orgDir: join(dir, 'no-org') }, /org public key/],
    [{ path: dir, orgDir: org.dir }, /not a regular file/],
  ] as const) {
    const r = loadPolicy(o);
    t.false(r.ok);
    t.is(r.mode, 'ignore');
    if (!r.ok) {
      t.is(r.error.code, 'UNREADABLE');
      t.regex(r.error.message, re);
    }
  }
  const big = join(dir, 'big.cose');
  writeFileSync(big, new Uint8Array(70 * 1024));
  const b = loadPolicy({ path: big, orgDir: org.dir });
  t.false(b.ok);
  if (!b.ok) t.is(b.error.code, 'MALFORMED');
});

test('fuzz: arbitrary bytes and mutations of a signed policy are refused with a typed code, never a throw, never use', (t) => {
  const codes: readonly string[] = ['UNSIGNED', 'FOREIGN', 'BAD_SIGNATURE', 'MALFORMED', 'ROLLBACK', 'UNREADABLE'];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 800 }), (b) => {
      const l = loadPolicyBytes(b, org.keys.publicKey);
      return !l.ok && l.mode === 'ignore' && codes.includes(l.error.code);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(signed.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(signed.length), (flips, cut) => {
      const b = signed.slice();
      for (const [at, x] of flips) b[at] = (b[at] as number) ^ x;
      const l = loadPolicyBytes(b.subarray(0, cut), org.keys.publicKey);
      return !l.ok && l.mode === 'ignore' && codes.includes(l.error.code);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
