// The executor against the simulated ME (PTHI, watchdog client, LME to the
// fake AMT WS-MAN server): use = activate + features, run twice; the vault
// holds the password before the ME gets it; faults mid-apply; the record.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { adminDigest } from '../../agent/amt/calls.ts';
import { deadlineIn } from '../../agent/channels/types.ts';
import { mok } from '../../agent/mei/types.ts';
import { applied, applyPlan, RECORD_FILE, writeApplyRecord } from '../../agent/policy/apply.ts';
import { AMT_PASSWORD_LEN, BMC_PASSWORD_LEN, randomPassword } from '../../agent/policy/apply-password.ts';
import { amtWorld, PASSWORD, type World } from '../amt/world.ts';
import { simulatedAmtMachine } from '../fakes/me/machine.ts';
import { PTHI_GUID } from '../fakes/me/pthi.ts';
import { enroll, loadRecoveryKey } from '../../agent/identity/store.ts';
import { openRecord } from '../../agent/vault/open.ts';
import { openVault } from '../../agent/vault/store.ts';
import { baseDeps, MemoryVault, planOf } from './apply-world.ts';
import { makeOrg, must, tmp } from './fixture.ts';

const USE = planOf('use', [
  ['amt.activate-ccm', { controlMode: 'ccm' }],
  ['amt.features', { sol: true, ider: true, kvm: false }],
]);

function depsFor(w: World, vault: MemoryVault, order: string[] = []) {
  return baseDeps({
    vault,
    openMei: () => mok(w.me),
    randomPassword: (kind) => {
      order.push(`password ${kind}; ME journal ${w.me.state.journal.length}`);
      return Buffer.from(PASSWORD);
    },
  });
}

test('use: activate in CCM and set features; the vault holds the password; a second apply changes nothing', async (t) => {
  const w = await amtWorld();
  t.teardown(() => w.stop());
  const vault = new MemoryVault('node-a');
  const order: string[] = [];
  const deps = depsFor(w, vault, order);
  const first = await applyPlan(USE, deps, deadlineIn(30_000));
  t.deepEqual(first.steps.map((s) => [s.id, s.outcome]), [['amt.activate-ccm', 'done'], ['amt.features', 'done']], JSON.stringify(first.steps));
  t.true(applied(first));
  t.is(w.me.state.controlMode, 1);
  t.is(w.me.state.adminDigest, adminDigest(w.me.state.digestRealm, vault.secret('amt-admin') ?? ''));
  t.deepEqual(w.me.state.redirection, { sol: true, ider: true, kvm: false, listenerEnabled: true });
  t.is(vault.entries.length, 1);
  t.is(vault.entries[0]?.entry.kind, 'amt-admin');
  t.regex(first.steps[0]?.detail ?? '', /amt-admin seq 1/);
  t.false(JSON.stringify(first).includes(PASSWORD), 'no password in the record');

  const journal = [...w.me.state.journal];
  const second = await applyPlan(USE, deps, deadlineIn(30_000));
  t.deepEqual(second.steps.map((s) => s.outcome), ['already', 'skipped'], JSON.stringify(second.steps));
  t.regex(second.steps[0]?.detail ?? '', /vault holds its admin password/);
  t.deepEqual(w.me.state.journal, journal, 'nothing changed on the ME');
  t.is(vault.entries.length, 1, 'no new password');
  t.is(order.length, 1);
});

test('the password is sealed before the ME sees it; a vault that cannot store leaves AMT untouched', async (t) => {
  const w = await amtWorld();
  t.teardown(() => w.stop());
  const vault = new MemoryVault('node-a');
  vault.failPuts = true;
  const r = await applyPlan(USE, depsFor(w, vault), deadlineIn(30_000));
  t.deepEqual(r.steps.map((s) => s.outcome), ['failed', 'skipped']);
  t.regex(r.steps[0]?.detail ?? '', /vault: IO: .*AMT not touched/);
  t.regex(r.steps[1]?.detail ?? '', /amt.activate-ccm did not succeed/);
  t.is(w.me.state.controlMode, 0);
  t.deepEqual(w.me.state.journal.filter((j) => j.startsWith('wsman')), []);
  t.false(applied(r));
});

test('already in CCM with a password the org does not hold: failed, left alone, features skipped', async (t) => {
  const w = await amtWorld({ state: { controlMode: 1, provisioningState: 2 } });
  t.teardown(() => w.stop());
  const vault = new MemoryVault('node-a');
  const r = await applyPlan(planOf('use', [['amt.keep-activation'], ['amt.features', { sol: true }]]), depsFor(w, vault), deadlineIn(30_000));
  t.deepEqual(r.steps.map((s) => s.outcome), ['failed', 'skipped']);
  t.regex(r.steps[0]?.detail ?? '', /does not hold \(no amt-admin record\)/);
  // A record of another node does not count.
  const other = new MemoryVault('node-b');
  await other.put('amt-admin', 'amt-admin', Buffer.from('x'), {});
  const r2 = await applyPlan(planOf('use', [['amt.keep-activation']]), { ...depsFor(w, vault), vault: other }, deadlineIn(30_000));
  t.is(r2.steps[0]?.outcome, 'failed');
});

test('the ME stops answering mid-apply: the record says what was done and what was not', async (t) => {
  const w = await amtWorld();
  t.teardown(() => w.stop());
  const vault = new MemoryVault('node-a');
  const plan = planOf('use', [['amt.activate-ccm'], ['amt.features', { sol: true }], ['vault.record-channel', { channel: 'pdu', host: '10.0.9.2', outlet: 'web1-psuA' }, 'vault.record-channel:pdu']]);
  const progress: string[][] = [];
  const started = Date.now();
  const r = await applyPlan(plan, depsFor(w, vault), deadlineIn(30_000), {
    stepMs: 3000,
    progress: (rec) => {
      progress.push(rec.steps.map((s) => s.outcome));
      if (rec.steps[0]?.outcome === 'done') w.me.inject(PTHI_GUID, { kind: 'no-answer' });
    },
  });
  t.true(Date.now() - started < 15_000, 'bounded by the step deadline');
  t.deepEqual(r.steps.map((s) => s.outcome), ['done', 'failed', 'done'], JSON.stringify(r.steps));
  t.regex(r.steps[1]?.detail ?? '', /TIMEOUT|NO_ANSWER|read control mode/);
  t.regex(r.steps[1]?.detail ?? '', /firmware was not changed/);
  t.is(w.me.state.controlMode, 1, 'the activation stays, and the record says it was done');
  // Written after each step: a crash after step one leaves a record naming the rest as not reached.
  t.deepEqual(progress[0], ['done', 'skipped', 'skipped']);
  t.deepEqual(vault.entries.map((e) => e.entry.id), ['amt-admin', 'channel-ref:pdu']);
});

test('no ME at all: the AMT steps fail with why, the others still run', async (t) => {
  const vault = new MemoryVault('node-a');
  const r = await applyPlan(planOf('use', [['amt.activate-ccm'], ['amt.features'], ['vault.record-channel', { channel: 'proxmox', vm: 104 }]]), baseDeps({ vault }), deadlineIn(5000));
  t.deepEqual(r.steps.map((s) => s.outcome), ['failed', 'skipped', 'done']);
  t.regex(r.steps[0]?.detail ?? '', /no Intel ME: NO_DEVICE/);
  const again = await applyPlan(planOf('use', [['vault.record-channel', { channel: 'proxmox', vm: 104 }]]), baseDeps({ vault }), deadlineIn(5000));
  t.is(again.steps[0]?.outcome, 'already');
  const moved = await applyPlan(planOf('use', [['vault.record-channel', { channel: 'proxmox', vm: 105 }]]), baseDeps({ vault }), deadlineIn(5000));
  t.is(moved.steps[0]?.outcome, 'done');
  t.is(vault.entries.at(-1)?.entry.seq, 2);
});

test('ignore: report-only is already so, exit material', async (t) => {
  const r = await applyPlan(planOf('ignore', [['report-only']]), baseDeps({ vault: new MemoryVault('n') }), deadlineIn(1000));
  t.deepEqual(r.steps.map((s) => s.outcome), ['already']);
  t.true(applied(r));
  t.is(r.serial, 7);
  t.is(r.policyDigest, 'ab'.repeat(32));
});

test('the record is written atomically under state.dir and reads back', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'apply-record-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rec = { serial: 3, policyDigest: 'cd'.repeat(32), startedAt: 1, finishedAt: 2, steps: [{ id: 'mei.blacklist', action: 'mei.blacklist' as const, outcome: 'done' as const, detail: 'x' }] };
  writeApplyRecord(join(dir, 'state'), rec);
  writeApplyRecord(join(dir, 'state'), { ...rec, serial: 4 });
  t.deepEqual(JSON.parse(readFileSync(join(dir, 'state', RECORD_FILE), 'utf8')), { ...rec, serial: 4 });
});

test('random passwords: AMT has every class AMT demands, BMC fits the 16-byte form; all differ', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const a = Buffer.from(randomPassword('amt')).toString('latin1');
    const b = Buffer.from(randomPassword('bmc')).toString('latin1');
    t.is(a.length, AMT_PASSWORD_LEN);
    t.is(b.length, BMC_PASSWORD_LEN);
    t.regex(a, /[a-z]/);
    t.regex(a, /[A-Z]/);
    t.regex(a, /[0-9]/);
    t.regex(a, /[^A-Za-z0-9]/);
    t.notRegex(a, /[",: ]/);
    t.regex(b, /^[A-Za-z0-9]{16}$/);
    seen.add(a).add(b);
  }
  t.is(seen.size, 400);
});

test('with the real vault: the AMT admin password is sealed to the org, and the recovery key opens it', async (t) => {
  const w = await amtWorld();
  t.teardown(() => w.stop());
  const org = makeOrg();
  const dir = tmp();
  must(enroll(org.keys, 'node-a', join(dir, 'id'), Math.floor(Date.now() / 1000) - 60, 86_400));
  const vault = must(openVault({ stateDir: join(dir, 'state'), identityDir: join(dir, 'id') }));
  const r = await applyPlan(USE, baseDeps({ vault, openMei: () => mok(w.me), randomPassword: () => Buffer.from(PASSWORD) }), deadlineIn(30_000));
  t.deepEqual(r.steps.map((s) => s.outcome), ['done', 'done'], JSON.stringify(r.steps));
  const opened = await openRecord(must(vault.raw('node-a', 'amt-admin')), org.keys.publicKey, must(loadRecoveryKey(org.dir)));
  if (!opened.ok) return t.fail(opened.error.message);
  t.is(opened.value.entry.kind, 'amt-admin');
  t.is(w.me.state.adminDigest, adminDigest(w.me.state.digestRealm, Buffer.from(opened.value.secret).toString('latin1')));
  const again = await applyPlan(USE, baseDeps({ vault, openMei: () => mok(w.me) }), deadlineIn(30_000));
  t.deepEqual(again.steps.map((s) => s.outcome), ['already', 'skipped']);
});

test('a plan whose steps do not belong to its mode runs none of them', async (t) => {
  const vault = new MemoryVault('n');
  let asked = 0;
  const deps = baseDeps({ vault, openMei: () => (asked++, mok(simulatedAmtMachine())) });
  const ignore = await applyPlan(planOf('ignore', [['amt.activate-ccm'], ['vault.record-channel', { channel: 'pdu', host: 'h' }]]), deps, deadlineIn(5000));
  t.deepEqual(ignore.steps.map((s) => s.outcome), ['failed', 'failed']);
  t.regex(ignore.steps[0]?.detail ?? '', /not an action of mode ignore/);
  const neutralize = await applyPlan(planOf('neutralize', [['amt.activate-ccm']]), deps, deadlineIn(5000));
  t.is(neutralize.steps[0]?.outcome, 'failed');
  const use = await applyPlan(planOf('use', [['amt.deactivate']]), deps, deadlineIn(5000));
  t.is(use.steps[0]?.outcome, 'failed');
  t.is(asked, 0, 'the ME was never opened');
  t.is(vault.entries.length, 0);
});
