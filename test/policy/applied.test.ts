// What the daemon puts in its attestation record after `agent policy apply`
// (agent/policy/applied.ts): the kept policy, verified again against the org key
// in the node's identity, and the compliance judged from the apply record. A
// policy file swapped or flipped on disk is not taken: the record says null.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { keepPolicy, POLICY_FILE, writeApplyRecord } from '../../agent/policy/apply.ts';
import { appliedClaims, readApplyRecord } from '../../agent/policy/applied.ts';
import { signPolicy } from '../../agent/policy/document.ts';
import { verifyRecord } from '../../agent/identity/verify.ts';
import { makeNode, makeOrg as makeIdOrg, makeRecord, T0, tmp } from '../identity/fixture.ts';
import { policy, report } from './fixture.ts';
import { createHash } from 'node:crypto';

const digestOf = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('after an apply: the record names the policy, says compliant, and verifies', async (t) => {
  const org = makeIdOrg();
  const node = makeNode(org);
  const state = tmp();
  const signed = signPolicy(policy('ignore', {}, 7), org.keys);
  keepPolicy(state, signed);
  writeApplyRecord(state, { serial: 7, policyDigest: digestOf(signed), startedAt: 1, finishedAt: 2, steps: [{ id: 'report-only', action: 'report-only', outcome: 'done', detail: 'report only' }] });
  const claims = appliedClaims(state, node.dir, report('qemu-q35'));
  t.deepEqual(claims.policy, { serial: 7, digest: digestOf(signed) });
  t.is(claims.compliance?.status, 'compliant');
  const { bytes } = await makeRecord(node, { input: claims });
  const v = verifyRecord(bytes, { org: org.keys.publicKey, now: T0 + 1000 });
  if (!v.ok) return t.fail(`${v.error.code}: ${v.error.message}`);
  t.deepEqual(v.value.payload.policy, claims.policy);
  t.is(v.value.payload.compliance?.status, 'compliant');
});

test('neutralize on an ME that still runs: non-compliant with the evidence', (t) => {
  const org = makeIdOrg();
  const node = makeNode(org);
  const state = tmp();
  const signed = signPolicy(policy('neutralize', {}, 2), org.keys);
  keepPolicy(state, signed);
  writeApplyRecord(state, { serial: 2, policyDigest: digestOf(signed), startedAt: 1, finishedAt: 2, steps: [{ id: 'me.verify-disabled', action: 'me.verify-disabled', outcome: 'failed', detail: 'ME active' }] });
  const c = appliedClaims(state, node.dir, report('vpro-desktop')).compliance;
  t.is(c?.status, 'non-compliant');
  t.true(c?.missing.some((m) => /ME active/.test(m)), JSON.stringify(c?.missing));
});

test('no policy kept, a flipped byte, another org: policy null, compliance null', (t) => {
  const org = makeIdOrg();
  const node = makeNode(org);
  const state = tmp();
  t.deepEqual(appliedClaims(state, node.dir, report('qemu-q35')), { policy: null, compliance: null });
  const signed = signPolicy(policy('use'), org.keys);
  keepPolicy(state, signed);
  const flipped = new Uint8Array(readFileSync(join(state, POLICY_FILE)));
  flipped[flipped.length - 5] = (flipped[flipped.length - 5] as number) ^ 1;
  writeFileSync(join(state, POLICY_FILE), flipped);
  t.deepEqual(appliedClaims(state, node.dir, report('qemu-q35')), { policy: null, compliance: null });
  keepPolicy(state, signPolicy(policy('use'), makeIdOrg().keys));
  t.deepEqual(appliedClaims(state, node.dir, report('qemu-q35')), { policy: null, compliance: null });
});

test('an apply record that is not one is not trusted', (t) => {
  const state = tmp();
  t.is(readApplyRecord(state), null);
  for (const text of ['', '{', '[]', '{"serial":"1"}', JSON.stringify({ serial: 1, policyDigest: 'x', startedAt: 1, finishedAt: 2, steps: [{ id: 'a', action: 'b', outcome: 'maybe', detail: '' }] })]) {
    writeFileSync(join(state, 'policy-apply.json'), text);
    t.is(readApplyRecord(state), null, text);
  }
});
