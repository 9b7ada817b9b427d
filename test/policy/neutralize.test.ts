// neutralize on copies of fixture machines: AMT unprovisioned on the
// simulated ME, mei_me unbound (a fake kernel acts on the sysfs write),
// modprobe blacklist written, and the ME verified disabled from its own
// registers: fails with the evidence on an active vPro ME, passes on the
// HAP-disabled one. Twice: nothing the second time.

import { lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { deadlineIn } from '../../agent/channels/types.ts';
import { mok } from '../../agent/mei/types.ts';
import { applied, applyPlan } from '../../agent/policy/apply.ts';
import { BLACKLIST_PATH } from '../../agent/policy/neutralize-mei.ts';
import { amtWorld } from '../amt/world.ts';
import { baseDeps, fakeKernel, fixtureCopy, MemoryVault, planOf } from './apply-world.ts';

const NEUTRALIZE = planOf('neutralize', [['amt.deactivate', { controlMode: 'ccm' }], ['mei.unbind', { pciAddress: '0000:00:16.0', driver: 'mei_me' }], ['mei.blacklist', { drivers: 'mei_me' }], ['me.verify-disabled']]);
const linked = (p: string): boolean => {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};

test('neutralize an active vPro machine in CCM: unprovisioned, unbound, blacklisted, and "ME active" with the evidence', async (t) => {
  const w = await amtWorld({ state: { controlMode: 1, provisioningState: 2, adminDigest: 'x' } });
  const fx = fixtureCopy('vpro-desktop');
  t.teardown(async () => {
    fx.remove();
    await w.stop();
  });
  const writes: string[] = [];
  const deps = baseDeps({ vault: new MemoryVault('node-a'), openMei: () => mok(w.me), root: fx.root, sysfsWrite: fakeKernel(fx.root, writes) });
  const r = await applyPlan(NEUTRALIZE, deps, deadlineIn(30_000));
  t.deepEqual(r.steps.map((s) => [s.action, s.outcome]), [['amt.deactivate', 'done'], ['mei.unbind', 'done'], ['mei.blacklist', 'done'], ['me.verify-disabled', 'failed']], JSON.stringify(r.steps, null, 1));
  t.is(w.me.state.controlMode, 0);
  t.is(w.me.state.provisioningState, 0);
  t.deepEqual(writes, ['/sys/bus/pci/drivers/mei_me/unbind <- 0000:00:16.0']);
  t.false(linked(join(fx.root, 'sys/bus/pci/devices/0000:00:16.0/driver')));
  t.is(readFileSync(join(fx.root, BLACKLIST_PATH), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join('|'), 'blacklist mei_me|blacklist mei|install mei_me /bin/false');
  const verify = r.steps[3]?.detail ?? '';
  t.regex(verify, /^ME active: /);
  t.regex(verify, /HFSTS1 0x90000245/);
  t.regex(verify, /PTHI|AMT host interface/);
  t.false(applied(r));

  const journal = [...w.me.state.journal];
  writes.length = 0;
  const again = await applyPlan(NEUTRALIZE, deps, deadlineIn(30_000));
  t.deepEqual(again.steps.map((s) => s.outcome), ['already', 'already', 'already', 'failed']);
  t.deepEqual(writes, [], 'nothing written the second time');
  t.deepEqual(w.me.state.journal, journal);
});

test('neutralize the HAP-disabled machine: no AMT, driver unbound, ME verified disabled; second run all already', async (t) => {
  const fx = fixtureCopy('me-hap-disabled');
  t.teardown(() => fx.remove());
  const deps = baseDeps({ vault: new MemoryVault('node-a'), root: fx.root, sysfsWrite: fakeKernel(fx.root) });
  const plan = planOf('neutralize', [['mei.unbind', { pciAddress: '0000:00:16.0', driver: 'mei_me' }], ['mei.blacklist'], ['me.verify-disabled']]);
  const r = await applyPlan(plan, deps, deadlineIn(10_000));
  t.deepEqual(r.steps.map((s) => s.outcome), ['done', 'done', 'already'], JSON.stringify(r.steps, null, 1));
  t.regex(r.steps[2]?.detail ?? '', /^ME disabled: working state Disabled .*operation mode Soft Temporary Disable.*error code Disabled/);
  t.true(applied(r));
  const again = await applyPlan(plan, deps, deadlineIn(10_000));
  t.deepEqual(again.steps.map((s) => s.outcome), ['already', 'already', 'already']);
});

test('verify-disabled after unbind on a machine: /sys/class/mei gone, HFSTS1 from PCI config space', async (t) => {
  const fx = fixtureCopy('vpro-desktop');
  t.teardown(() => fx.remove());
  rmSync(join(fx.root, 'sys/class/mei'), { recursive: true });
  rmSync(join(fx.root, 'sys/bus/mei'), { recursive: true, force: true });
  const cfg = Buffer.alloc(256);
  cfg.writeUInt32LE(0x00032044, 0x40); // System76's disabled tuple (amt-me.md 3)
  writeFileSync(join(fx.root, 'sys/bus/pci/devices/0000:00:16.0/config'), cfg);
  const deps = baseDeps({ vault: new MemoryVault('n'), root: fx.root });
  const r = await applyPlan(planOf('neutralize', [['me.verify-disabled']]), deps, deadlineIn(5000));
  t.is(r.steps[0]?.outcome, 'already', r.steps[0]?.detail);
  cfg.writeUInt32LE(0x90000245, 0x40);
  writeFileSync(join(fx.root, 'sys/bus/pci/devices/0000:00:16.0/config'), cfg);
  const active = await applyPlan(planOf('neutralize', [['me.verify-disabled']]), deps, deadlineIn(5000));
  t.is(active.steps[0]?.outcome, 'failed');
  t.regex(active.steps[0]?.detail ?? '', /^ME active: .*PCI 0000:00:16.0 config HFSTS1 0x90000245/);
});

test('ME state unknown (no registers anywhere) is a failure, never "disabled"', async (t) => {
  const fx = fixtureCopy('vps');
  t.teardown(() => fx.remove());
  const r = await applyPlan(planOf('neutralize', [['me.verify-disabled']]), baseDeps({ vault: new MemoryVault('n'), root: fx.root }), deadlineIn(5000));
  t.is(r.steps[0]?.outcome, 'failed');
  t.regex(r.steps[0]?.detail ?? '', /^ME state unknown/);
});

test('ACM: deactivation needs an operator; the MEI driver stays so the operator can still reach AMT', async (t) => {
  const w = await amtWorld({ state: { controlMode: 2, provisioningState: 2, adminDigest: 'x' } });
  const fx = fixtureCopy('vpro-desktop');
  t.teardown(async () => {
    fx.remove();
    await w.stop();
  });
  const writes: string[] = [];
  const r = await applyPlan(NEUTRALIZE, baseDeps({ vault: new MemoryVault('n'), openMei: () => mok(w.me), root: fx.root, sysfsWrite: fakeKernel(fx.root, writes) }), deadlineIn(30_000));
  t.deepEqual(r.steps.map((s) => s.outcome), ['failed', 'skipped', 'skipped', 'failed']);
  t.regex(r.steps[0]?.detail ?? '', /^needs an operator: AMT is in admin control mode/);
  t.regex(r.steps[1]?.detail ?? '', /amt.deactivate did not succeed/);
  t.deepEqual(writes, []);
  t.is(w.me.state.controlMode, 2);
  t.true(linked(join(fx.root, 'sys/bus/pci/devices/0000:00:16.0/driver')));
});

test('an unbind the kernel refuses is failed with the errno, and a driver that stays bound is failed too', async (t) => {
  const fx = fixtureCopy('vpro-desktop');
  t.teardown(() => fx.remove());
  const plan = planOf('neutralize', [['mei.unbind', { pciAddress: '0000:00:16.0' }]]);
  const refused = await applyPlan(plan, baseDeps({ vault: new MemoryVault('n'), root: fx.root, sysfsWrite: () => { throw Object.assign(new Error('x'), { code: 'EPERM' }); } }), deadlineIn(5000));
  t.is(refused.steps[0]?.outcome, 'failed');
  t.regex(refused.steps[0]?.detail ?? '', /EPERM/);
  const ignored = await applyPlan(plan, baseDeps({ vault: new MemoryVault('n'), root: fx.root, sysfsWrite: () => undefined }), deadlineIn(5000));
  t.regex(ignored.steps[0]?.detail ?? '', /^still bound to mei_me after unbind: 0000:00:16.0/);
});

test('fuzz: arbitrary PCI config bytes give a verdict (failed or already), never a throw', async (t) => {
  const fx = fixtureCopy('vpro-desktop');
  t.teardown(() => fx.remove());
  rmSync(join(fx.root, 'sys/class/mei'), { recursive: true });
  const cfg = join(fx.root, 'sys/bus/pci/devices/0000:00:16.0/config');
  const deps = baseDeps({ vault: new MemoryVault('n'), root: fx.root });
  const plan = planOf('neutralize', [['me.verify-disabled']]);
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 0x120 }), async (bytes) => {
      writeFileSync(cfg, bytes);
      const r = await applyPlan(plan, deps, deadlineIn(5000));
      const s = r.steps[0];
      return s !== undefined && (s.outcome === 'failed' || s.outcome === 'already') && !s.detail.includes('internal error');
    }),
    { numRuns: 200 },
  );
  t.pass();
});
