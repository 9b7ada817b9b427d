// Compliance (agent/policy/compliance.ts) and its place in the attestation
// record: under neutralize an ME that runs is non-compliant "ME active" with the
// register evidence; an apply of another policy does not count; the record
// carries {serial, digest} and the compliance, verifies, and refuses tampering
// and a compliance claim about another policy.
import test from 'ava';
import fc from 'fast-check';
import { decodeCbor, encodeCbor, isMap, type Cbor } from '../../agent/identity/cbor.ts';
import { decodeSign1, sign1 } from '../../agent/identity/cose.ts';
import { verifyRecord } from '../../agent/identity/verify.ts';
import { attestationClaims, compliance } from '../../agent/policy/compliance.ts';
import { loadPolicyBytes, signPolicy } from '../../agent/policy/document.ts';
import type { ApplyRecord, Plan, StepOutcome } from '../../agent/policy/types.ts';
import { plan } from '../../agent/policy/plan.ts';
import type { Report } from '../../agent/probe/report.ts';
import { makeNode, makeOrg as makeIdentityOrg, makeRecord, T0 } from '../identity/fixture.ts';
import { askInBand } from '../../agent/probe/in-band.ts';
import { cerr } from '../../agent/channels/types.ts';
import { simulatedAmtMachine } from '../fakes/me/machine.ts';
import { DIGEST, must, policy, report } from './fixture.ts';

function applied(p: Plan, outcome: (id: string) => StepOutcome = () => 'done', digest = p.policyDigest): ApplyRecord {
  return { serial: p.serial, policyDigest: digest, startedAt: 1, finishedAt: 2, steps: p.steps.map((s) => ({ id: s.id, action: s.action, outcome: outcome(s.id), detail: `${outcome(s.id)} (test)` })) };
}

/** The report after the MEI driver was unbound: controllers without a driver. */
const unbound = (r: Report): Report => ({ ...r, mei: { ...r.mei, devices: r.mei.devices.map((d) => ({ ...d, driver: null })) } });

test('ignore is compliant with nothing missing, applied or not', (t) => {
  t.deepEqual(compliance(policy('ignore', {}, 4), DIGEST, report('vpro-desktop'), null), { mode: 'ignore', serial: 4, policyDigest: DIGEST, status: 'compliant', missing: [], applied: [] });
});

test('neutralize on an active ME, nothing applied: not-applied, and the ME evidence is listed', (t) => {
  const c = compliance(policy('neutralize'), DIGEST, report('vpro-desktop'), null);
  t.is(c.status, 'not-applied');
  t.regex(c.missing[0] ?? '', /policy serial 1 not applied yet: no apply recorded/);
  t.true(c.missing.some((m) => m === 'MEI driver mei_me still bound to 0000:00:16.0'));
  t.true(c.missing.some((m) => /^ME active: HFSTS1 0x90000245: working state 5 \(Normal\).*PTHI \(AMT host interface\) client listed/.test(m)), c.missing.join('\n'));
});

test('neutralize applied, ME still active (HAP not set): non-compliant "ME active" with the evidence and the failed step', (t) => {
  const r = report('vpro-desktop');
  const p = plan(policy('neutralize'), DIGEST, r);
  const rec = applied(p, (id) => (id === 'me.verify-disabled' ? 'failed' : 'done'));
  const c = compliance(policy('neutralize'), DIGEST, unbound(r), rec);
  t.is(c.status, 'non-compliant');
  t.deepEqual(c.applied, ['mei.unbind', 'mei.blacklist']);
  t.true(c.missing.some((m) => m.startsWith('ME active: HFSTS1 0x90000245')));
  t.true(c.missing.includes('step me.verify-disabled failed: failed (test)'));
  t.false(c.missing.some((m) => m.startsWith('MEI driver')));
});

test('neutralize applied on the HAP-disabled machine, driver unbound: compliant', (t) => {
  const r = report('me-hap-disabled');
  const p = plan(policy('neutralize'), DIGEST, r);
  const c = compliance(policy('neutralize'), DIGEST, unbound(r), applied(p));
  t.deepEqual(c, { mode: 'neutralize', serial: 1, policyDigest: DIGEST, status: 'compliant', missing: [], applied: ['mei.unbind', 'mei.blacklist', 'me.verify-disabled'] });
  // Still bound: the same apply record does not make it compliant.
  t.is(compliance(policy('neutralize'), DIGEST, r, applied(p)).status, 'non-compliant');
});

test('an ME whose registers left with the driver: the last verification decides', (t) => {
  const r = report('me-hap-disabled');
  const gone: Report = { ...unbound(r), mei: { ...unbound(r).mei, hfsts: null, source: null } };
  const p = plan(policy('neutralize'), DIGEST, r);
  t.is(compliance(policy('neutralize'), DIGEST, gone, applied(p)).status, 'compliant');
  const c = compliance(policy('neutralize'), DIGEST, gone, applied(p, (id) => (id === 'me.verify-disabled' ? 'failed' : 'done')));
  t.is(c.status, 'non-compliant');
  t.true(c.missing.some((m) => /^ME not verified disabled: .*last verification failed/.test(m)), c.missing.join('\n'));
});

test('an apply of another policy does not count: not-applied, naming it', (t) => {
  const r = report('me-hap-disabled');
  const p = plan(policy('neutralize'), DIGEST, r);
  const c = compliance(policy('neutralize'), DIGEST, unbound(r), applied(p, () => 'done', 'cd'.repeat(32)));
  t.is(c.status, 'not-applied');
  t.regex(c.missing[0] ?? '', /the last apply was of policy cdcdcdcdcdcdcdcd \(serial 1\)/);
});

test('use: AMT still in control mode 0 is missing; once activated and applied it is compliant', async (t) => {
  const inBand = async (controlMode: 0 | 1) =>
    askInBand({ openMei: () => ({ ok: true, value: simulatedAmtMachine({ state: { controlMode } }) }), openBmc: () => cerr('UNSUPPORTED', 'none'), timeoutMs: 10_000 });
  const before = report('vpro-desktop', await inBand(0));
  const p = plan(policy('use'), DIGEST, before);
  const c0 = compliance(policy('use'), DIGEST, before, applied(p, (id) => (id === 'amt.activate-ccm' ? 'failed' : 'skipped')));
  t.is(c0.status, 'non-compliant');
  t.true(c0.missing.includes('AMT not activated: PTHI control mode 0 (pre-provisioning)'));
  t.true(c0.missing.includes('step amt.activate-ccm failed: failed (test)'));
  const after = report('vpro-desktop', await inBand(1));
  t.deepEqual(compliance(policy('use'), DIGEST, after, applied(p)), { mode: 'use', serial: 1, policyDigest: DIGEST, status: 'compliant', missing: [], applied: ['amt.activate-ccm', 'amt.features'] });
});

const idOrg = makeIdentityOrg();
const node = makeNode(idOrg, 'node-a');
const verifyOpts = { org: idOrg.keys.publicKey, now: T0 + 1000 };

test('the attestation record carries policy {serial, digest} and the compliance, and verifies', async (t) => {
  const signed = signPolicy(policy('neutralize', {}, 12), idOrg.keys);
  const l = loadPolicyBytes(signed, idOrg.keys.publicKey);
  const claims = attestationClaims(l, report('vpro-desktop'), null);
  const { bytes } = await makeRecord(node, { input: claims });
  const v = must(verifyRecord(bytes, verifyOpts));
  t.deepEqual(v.payload.policy, { serial: 12, digest: l.ok ? l.digest : '' });
  t.is(v.payload.compliance?.status, 'not-applied');
  t.is(v.payload.compliance?.mode, 'neutralize');
  t.true(v.payload.compliance?.missing.some((m) => m.startsWith('ME active: HFSTS1')));
  // A refused policy is no policy: the record says null, as before the policy engine.
  const refused = attestationClaims(loadPolicyBytes(Uint8Array.of(1, 2, 3), idOrg.keys.publicKey), report('vpro-desktop'), null);
  t.deepEqual(refused, { policy: null, compliance: null });
  const old = await makeRecord(node, { input: refused });
  t.is(must(verifyRecord(old.bytes, verifyOpts)).payload.policy, null);
});

test('a record whose policy or compliance bytes were changed fails; one claiming compliance with another policy is MISMATCH', async (t) => {
  const signed = signPolicy(policy('neutralize', {}, 12), idOrg.keys);
  const claims = attestationClaims(loadPolicyBytes(signed, idOrg.keys.publicKey), report('vpro-desktop'), null);
  const { bytes, session } = await makeRecord(node, { input: claims });
  const digestAt = Buffer.from(bytes).indexOf(Buffer.from(claims.policy?.digest ?? '', 'hex'));
  t.true(digestAt > 0);
  const tampered = bytes.slice();
  tampered[digestAt] = (tampered[digestAt] as number) ^ 0xff;
  const r = verifyRecord(tampered, verifyOpts);
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'BAD_SIGNATURE');

  // Re-signed by the node's own session key, so only the claim is wrong: the compliance names serial 11.
  const s = must(decodeSign1(bytes));
  const payload = must(decodeCbor(s.payload));
  if (!isMap(payload)) return t.fail('payload is not a map');
  const m = new Map(payload as ReadonlyMap<string, Cbor>);
  const comp = m.get('compliance');
  if (!isMap(comp)) return t.fail('no compliance map');
  m.set('compliance', new Map([...(comp as ReadonlyMap<string, Cbor>)]).set('serial', 11));
  const forged = sign1(encodeCbor(m), session.kid, session.privateKey);
  const f = verifyRecord(forged, verifyOpts);
  t.false(f.ok);
  if (!f.ok) t.is(f.error.code, 'MISMATCH');

  m.set('policy', null);
  const orphan = verifyRecord(sign1(encodeCbor(m), session.kid, session.privateKey), verifyOpts);
  t.false(orphan.ok);
  if (!orphan.ok) t.regex(orphan.error.message, /compliance without a policy/);
  // Building one is a programming error the builder refuses.
  await t.throwsAsync(makeRecord(node, { input: { policy: { serial: 11, digest: claims.policy?.digest ?? '' }, compliance: claims.compliance } }), { instanceOf: TypeError });
});

test('fuzz: arbitrary policy and compliance values in a correctly signed record give a typed result, never a throw', async (t) => {
  const { bytes, session } = await makeRecord(node);
  const base = must(decodeCbor(must(decodeSign1(bytes)).payload)) as ReadonlyMap<string, Cbor>;
  const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('use', 'neutralize', 'ignore', 'compliant', 'non-compliant', 'not-applied'));
  const leaf: fc.Arbitrary<Cbor> = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -3, max: 20 }), text, fc.uint8Array({ maxLength: 33 }), fc.array(text, { maxLength: 3 }));
  const claimMap = fc.dictionary(fc.constantFrom('serial', 'digest', 'mode', 'policyDigest', 'status', 'missing', 'applied', 'x'), leaf).map((o) => new Map<string, Cbor>(Object.entries(o)));
  const codes = new Set(['MALFORMED', 'MISMATCH', 'UNSUPPORTED']);
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.constant(null), claimMap, leaf), fc.oneof(fc.constant(null), claimMap, leaf), async (policyV, complianceV) => {
      const m = new Map(base);
      m.set('policy', policyV as Cbor);
      m.set('compliance', complianceV as Cbor);
      const r = verifyRecord(sign1(encodeCbor(m), session.kid, session.privateKey), verifyOpts);
      if (r.ok) return r.value.payload.compliance === null || (r.value.payload.policy !== null && r.value.payload.compliance.serial === r.value.payload.policy.serial);
      return codes.has(r.error.code);
    }),
    { numRuns: 1500 },
  );
  t.pass();
});

test('a compliance with more and longer evidence than a record carries is clipped to the bounds, and verifies', async (t) => {
  const digest = 'ef'.repeat(32);
  const long = 'é'.repeat(1000);
  const claims = {
    policy: { serial: 3, digest },
    compliance: { mode: 'neutralize' as const, serial: 3, policyDigest: digest, status: 'non-compliant' as const, missing: Array.from({ length: 100 }, () => long), applied: ['mei.unbind'] },
  };
  const { bytes } = await makeRecord(node, { input: claims });
  t.true(bytes.length < 64 * 1024, `${bytes.length} bytes`);
  const c = must(verifyRecord(bytes, verifyOpts)).payload.compliance;
  t.is(c?.missing.length, 24);
  t.is(c?.missing[0]?.length, 256);
  t.true(c?.missing[0]?.endsWith('…'));
  t.deepEqual(c?.applied, ['mei.unbind']);
});
