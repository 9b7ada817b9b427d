// The planner (agent/policy/plan.ts) on every fixture machine in every mode, then
// with what the firmware answers in band: the simulated ME (control mode 0, 1, 2)
// and a real ipmi_sim BMC. Step ids and the notes that explain what was left
// alone are asserted per machine; planning changes nothing and is deterministic.
import test from 'ava';
import fc from 'fast-check';
import { cerr, cok } from '../../agent/channels/types.ts';
import { merr } from '../../agent/mei/types.ts';
import { factsFromJson } from '../../agent/policy/facts.ts';
import { plan } from '../../agent/policy/plan.ts';
import type { OobMode, Plan } from '../../agent/policy/types.ts';
import { askInBand } from '../../agent/probe/in-band.ts';
import { simulatedAmtMachine } from '../fakes/me/machine.ts';
import { simWithAdmin } from '../ipmi/sim.ts';
import { DIGEST, MACHINES, type Machine, must, policy, report } from './fixture.ts';

const ids = (p: Plan): string[] => p.steps.map((s) => s.id);
const noted = (p: Plan, re: RegExp): boolean => p.notes.some((n) => re.test(n));

/** Per machine and mode: the step ids, and a note every such plan must carry. File probes only (a --root tree). */
const EXPECTED: Record<Machine, Record<OobMode, { steps: string[]; note?: RegExp }>> = {
  'amd-dash': {
    use: { steps: [], note: /AMT: not present/ },
    neutralize: { steps: ['me.verify-disabled'], note: /MEI: no platform MEI controller/ },
    ignore: { steps: ['report-only'] },
  },
  'me-hap-disabled': {
    use: { steps: [], note: /BMC: not present/ },
    neutralize: { steps: ['mei.unbind', 'mei.blacklist', 'me.verify-disabled'], note: /AMT: not present; nothing to unprovision/ },
    ignore: { steps: ['report-only'] },
  },
  'qemu-q35': {
    use: { steps: [], note: /BMC: present but not read in band/ },
    neutralize: { steps: ['me.verify-disabled'], note: /AMT: not present/ },
    ignore: { steps: ['report-only'] },
  },
  'server-bmc': {
    use: { steps: [], note: /BMC: present but not read in band/ },
    neutralize: { steps: ['me.verify-disabled'] },
    ignore: { steps: ['report-only'] },
  },
  'this-machine': {
    use: { steps: [], note: /running under Firecracker but enrollment gave no VM or server reference/ },
    neutralize: { steps: ['me.verify-disabled'] },
    ignore: { steps: ['report-only'] },
  },
  'vpro-desktop': {
    use: { steps: [], note: /AMT: present but not read in band .*nothing is planned/ },
    neutralize: { steps: ['mei.unbind', 'mei.blacklist', 'me.verify-disabled'], note: /ME: active now; only HAP/ },
    ignore: { steps: ['report-only'] },
  },
  vps: {
    use: { steps: [], note: /running under DigitalOcean but enrollment gave no VM or server reference/ },
    neutralize: { steps: ['me.verify-disabled'] },
    ignore: { steps: ['report-only'] },
  },
};

for (const m of MACHINES) {
  for (const mode of ['use', 'neutralize', 'ignore'] as const) {
    test(`${m} / ${mode}: ${EXPECTED[m][mode].steps.join(', ') || 'no steps'}`, (t) => {
      const r = report(m);
      const p = plan(policy(mode, {}, 3), DIGEST, r);
      const want = EXPECTED[m][mode];
      t.deepEqual(ids(p), want.steps);
      if (want.note) t.true(noted(p, want.note), p.notes.join('\n'));
      t.is(p.mode, mode);
      t.is(p.serial, 3);
      t.is(p.policyDigest, DIGEST);
      for (const s of p.steps) t.regex(s.why, /\w{3}/);
      // Deterministic: the same inputs give the same plan.
      t.deepEqual(plan(policy(mode, {}, 3), DIGEST, report(m)), p);
    });
  }
}

test('neutralize: what verify-disabled was planned on: active (vpro-desktop), disabled by HFSTS1 (me-hap-disabled), no ME (amd-dash)', (t) => {
  const verify = (m: Machine) => plan(policy('neutralize'), DIGEST, report(m)).steps.find((s) => s.action === 'me.verify-disabled');
  const vpro = verify('vpro-desktop');
  t.is(vpro?.params.reported, 'active');
  t.regex(vpro?.why ?? '', /HFSTS1 0x90000245: working state 5 \(Normal\).*PTHI/);
  const hap = verify('me-hap-disabled');
  t.is(hap?.params.reported, 'disabled');
  t.regex(hap?.why ?? '', /HFSTS1 0x00032044: working state 4 \(Disabled\)/);
  t.is(verify('amd-dash')?.params.reported, 'absent');
  const unbind = plan(policy('neutralize'), DIGEST, report('vpro-desktop')).steps[0];
  t.deepEqual(unbind?.params, { pciAddress: '0000:00:16.0', driver: 'mei_me' });
});

test('policy switches: amt.provision and bmc.provision false leave both alone, with notes', (t) => {
  const p = plan(policy('neutralize', { amt: { provision: false } }), DIGEST, report('vpro-desktop'));
  t.true(noted(p, /policy amt\.provision is false/));
  const u = plan(policy('use', { bmc: { provision: false } }), DIGEST, report('server-bmc'));
  t.deepEqual(ids(u), []);
  t.true(noted(u, /policy bmc\.provision is false/));
});

test('use with enrollment references: one vault.record-channel per reference, no secret accepted', (t) => {
  const facts = must(factsFromJson({ channels: [{ channel: 'digitalocean', server: 411922099 }, { channel: 'pdu', host: '10.0.9.2', outlet: 'web1-psuA' }] }));
  const p = plan(policy('use'), DIGEST, report('vps'), facts);
  t.deepEqual(ids(p), ['vault.record-channel:digitalocean', 'vault.record-channel:pdu']);
  t.deepEqual(p.steps[1]?.params, { channel: 'pdu', host: '10.0.9.2', outlet: 'web1-psuA' });
  t.false(noted(p, /enrollment gave no VM/));
  const neutral = plan(policy('neutralize'), DIGEST, report('vps'), facts);
  t.deepEqual(ids(neutral), ['me.verify-disabled']);
  for (const bad of [{ channels: [{ channel: 'pdu', password: 'x' }] }, { channels: [{ channel: 'ipmi', host: 'h' }] }, { channels: [{ channel: 'pdu' }] }, { lan: { ip: '10.0.0.5', netmask: '255.255.255.0', gateway: '10.0.1.1' } }, { extra: 1 }]) {
    const r = factsFromJson(bad);
    t.false(r.ok, JSON.stringify(bad));
  }
});

function meInBand(controlMode: 0 | 1 | 2) {
  const me = simulatedAmtMachine({ state: { controlMode, provisioningState: controlMode === 0 ? 0 : 2 } });
  return askInBand({ openMei: () => ({ ok: true, value: me }), openBmc: () => cerr('UNSUPPORTED', 'no BMC (test)'), timeoutMs: 10_000 });
}

test('vpro-desktop with the simulated ME, control mode 0: use activates (CCM) and sets the features; neutralize has nothing to unprovision', async (t) => {
  const r = report('vpro-desktop', await meInBand(0));
  const p = plan(policy('use', { amt: { ider: true } }), DIGEST, r);
  t.deepEqual(ids(p), ['amt.activate-ccm', 'amt.features']);
  t.regex(p.steps[0]?.why ?? '', /control mode not activated \(0\)/);
  t.deepEqual(p.steps[1]?.params, { sol: true, ider: true, kvm: false });
  t.false(JSON.stringify(p).toLowerCase().includes('password='));
  const n = plan(policy('neutralize'), DIGEST, r);
  t.deepEqual(ids(n), ['mei.unbind', 'mei.blacklist', 'me.verify-disabled']);
  t.true(noted(n, /already not activated/));
});

test('vpro-desktop, control mode 1 (CCM): use keeps the activation; neutralize deactivates over PTHI', async (t) => {
  const r = report('vpro-desktop', await meInBand(1));
  const p = plan(policy('use'), DIGEST, r);
  t.deepEqual(ids(p), ['amt.keep-activation', 'amt.features']);
  t.deepEqual(p.steps[0]?.params, { controlMode: 'ccm' });
  const n = plan(policy('neutralize'), DIGEST, r);
  t.deepEqual(ids(n), ['amt.deactivate', 'mei.unbind', 'mei.blacklist', 'me.verify-disabled']);
  t.deepEqual(n.steps[0]?.params, { controlMode: 'ccm' });
  t.regex(n.steps[3]?.why ?? '', /PTHI answered in band/);
});

test('vpro-desktop, control mode 2 (ACM): kept under use; neutralize plans the ACM unprovision and notes the stored password', async (t) => {
  const r = report('vpro-desktop', await meInBand(2));
  const p = plan(policy('use'), DIGEST, r);
  t.deepEqual(ids(p), ['amt.keep-activation', 'amt.features']);
  t.true(noted(p, /admin control mode by someone else/));
  const n = plan(policy('neutralize'), DIGEST, r);
  t.deepEqual(n.steps[0], { id: 'amt.deactivate', action: 'amt.deactivate', why: n.steps[0]?.why ?? '', params: { controlMode: 'acm' } });
  t.true(noted(n, /org's stored admin password/));
});

test('an ME that is not there in band (no MEI node) is a note, not a guess', async (t) => {
  const inBand = await askInBand({ openMei: () => merr('NO_DEVICE', 'no MEI device node (test)'), openBmc: () => cerr('UNSUPPORTED', 'none'), timeoutMs: 2_000 });
  const p = plan(policy('use'), DIGEST, report('vpro-desktop', inBand));
  t.deepEqual(ids(p), []);
  t.true(noted(p, /AMT: present but not read in band \(no MEI device node \(test\)\)/));
});

test('server-bmc with a real BMC (ipmi_sim) in band: add-user, harden, set-lan; an existing user is noted, not re-created', async (t) => {
  const { sim, c } = await simWithAdmin(t);
  const inBand = await askInBand({ openMei: () => merr('NO_DEVICE', 'none'), openBmc: () => cok({ path: '/dev/ipmi0', transport: c, close: () => {} }), timeoutMs: 20_000 });
  const r = report('server-bmc', inBand);
  const facts = must(factsFromJson({ lan: { ip: '10.0.8.21', netmask: '255.255.255.0', gateway: '10.0.8.1' } }));
  const p = plan(policy('use', { bmc: { harden: true, lan: 'static', privilege: 'admin' } }), DIGEST, r, facts);
  t.deepEqual(ids(p), ['bmc.add-user', 'bmc.harden', 'bmc.set-lan']);
  t.deepEqual(p.steps[0]?.params, { user: 'fortros-oob', privilege: 'admin' });
  t.like(p.steps[2]?.params, { ip: '10.0.8.21', netmask: '255.255.255.0', gateway: '10.0.8.1' });
  t.is(typeof p.steps[2]?.params.channel, 'number');
  t.false(JSON.stringify(p).includes(sim.password));
  const existing = plan(policy('use', { bmc: { user: 'admin' } }), DIGEST, r);
  t.deepEqual(ids(existing), []);
  t.true(noted(existing, /user admin already exists in slot \d+/));
  t.true(noted(existing, /harden is false/));
  const noAddress = plan(policy('use', { bmc: { lan: 'static' } }), DIGEST, r);
  t.deepEqual(ids(noAddress), ['bmc.add-user']);
  t.true(noted(noAddress, /enrollment gave no address/));
  // The same address already set statically: a note, no step (apply twice changes nothing).
  const b = r.bmc.inBand;
  if ('unavailable' in b) return t.fail(b.unavailable);
  const channel = p.steps[2]?.params.channel;
  const lan = b.lan.map((l) => (l.channel === channel ? { ...l, ipSource: 'static' as const, ipAddress: '10.0.8.21', netmask: '255.255.255.0', gateway: '10.0.8.1' } : l));
  const set = plan(policy('use', { bmc: { lan: 'static' } }), DIGEST, { ...r, bmc: { ...r.bmc, inBand: { ...b, lan } } }, facts);
  t.deepEqual(ids(set), ['bmc.add-user']);
  t.true(noted(set, /already has static 10\.0\.8\.21\/255\.255\.255\.0 via 10\.0\.8\.1/));
});

test('neutralize after the driver was unbound: no unbind, but the blacklist is still planned for the MEI function', (t) => {
  const r = report('vpro-desktop');
  const unbound = { ...r, mei: { ...r.mei, devices: r.mei.devices.map((d) => ({ ...d, driver: null })) } };
  const p = plan(policy('neutralize'), DIGEST, unbound);
  t.deepEqual(ids(p), ['mei.blacklist', 'me.verify-disabled']);
  t.deepEqual(p.steps[0]?.params, { functions: '0000:00:16.0', drivers: '' });
  t.true(noted(p, /nothing to unbind/));
});

test('fuzz: arbitrary JSON facts give facts or MALFORMED, never a throw', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), fc.record({ channels: fc.array(fc.dictionary(fc.constantFrom('channel', 'host', 'vm', 'token', 'x y'), fc.oneof(fc.constantFrom('pdu', 'proxmox', 'ipmi', 'nope'), fc.jsonValue())), { maxLength: 4 }), lan: fc.jsonValue() })), (v) => {
      const r = factsFromJson(v);
      return r.ok ? r.value.channels.every((c) => Object.keys(c.ref).length > 0) : r.error.code === 'MALFORMED';
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
