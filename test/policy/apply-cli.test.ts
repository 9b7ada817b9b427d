// `agent policy apply` in-process with a real org, a node identity and the
// real vault under a temp state.dir, on copies of fixture machines (--root:
// no device is asked, so only file-backed steps are planned).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { parseArgs } from '../../agent/cli/args.ts';
import { UsageError } from '../../agent/cli/exit.ts';
import { policyCommand } from '../../agent/cli/policy.ts';
import { enroll } from '../../agent/identity/store.ts';
import { RECORD_FILE } from '../../agent/policy/apply.ts';
import { signPolicy } from '../../agent/policy/document.ts';
import { BLACKLIST_PATH } from '../../agent/policy/neutralize-mei.ts';
import type { ApplyRecord } from '../../agent/policy/types.ts';
import { openVault } from '../../agent/vault/store.ts';
import { fixtureCopy } from './apply-world.ts';
import { ISSUED, makeOrg, must, policy, tmp } from './fixture.ts';

async function agent(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { out: (s: string) => (out += s), err: (s: string) => (err += s), env: {}, stderrIsTTY: false };
  try {
    const code = await policyCommand.run(parseArgs('agent policy', argv, policyCommand.flags, policyCommand.maxPositionals), { io, logger: () => Promise.reject(new Error('no logger')), startedAt: 0 });
    return { code, out, err };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, out, err: err + e.message };
    throw e;
  }
}

function world(machine: string) {
  const org = makeOrg();
  const dir = tmp();
  const identity = join(dir, 'identity');
  must(enroll(org.keys, 'node-a', identity, ISSUED, 10 * 365 * 86400));
  const state = join(dir, 'state');
  const fx = fixtureCopy(machine);
  const signed = (p: ReturnType<typeof policy>, name = 'policy.cose'): string => {
    const f = join(dir, name);
    writeFileSync(f, signPolicy(p, org.keys));
    return f;
  };
  return { org, identity, state, fx, dir, signed };
}

const record = (state: string): ApplyRecord => JSON.parse(readFileSync(join(state, RECORD_FILE), 'utf8')) as ApplyRecord;

test('ignore: report only, exit 0, the record under state.dir', async (t) => {
  const w = world('me-hap-disabled');
  t.teardown(() => w.fx.remove());
  const r = await agent(['apply', '--policy', w.signed(policy('ignore')), '--identity', w.identity, '--state', w.state, '--root', w.fx.root, '--json']);
  t.is(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { ok: boolean; mode: string; record: ApplyRecord };
  t.true(j.ok);
  t.is(j.mode, 'ignore');
  t.deepEqual(j.record.steps.map((s) => [s.action, s.outcome]), [['report-only', 'already']]);
  t.deepEqual(record(w.state), j.record);
});

test('a tampered policy is refused: mode ignore, nothing changed, no record, exit 1', async (t) => {
  const w = world('me-hap-disabled');
  t.teardown(() => w.fx.remove());
  const f = w.signed(policy('neutralize'));
  const b = readFileSync(f);
  b[b.length - 70] = (b[b.length - 70] ?? 0) ^ 1;
  writeFileSync(f, b);
  const r = await agent(['apply', '--policy', f, '--identity', w.identity, '--state', w.state, '--root', w.fx.root]);
  t.is(r.code, 1);
  t.regex(r.err, /refused \((BAD_SIGNATURE|MALFORMED)\).*\n.*ignore: nothing was changed/);
  t.false(existsSync(join(w.state, RECORD_FILE)));
  t.false(existsSync(join(w.fx.root, BLACKLIST_PATH)));
});

test('neutralize on the HAP-disabled machine: blacklist written, ME verified disabled; an older serial is then refused', async (t) => {
  const w = world('me-hap-disabled');
  t.teardown(() => w.fx.remove());
  // The fixture's sysfs is files, not a kernel: make the unbind attribute exist so the write lands and the read-back tells the truth.
  mkdirSync(join(w.fx.root, 'sys/bus/pci/drivers/mei_me'), { recursive: true });
  writeFileSync(join(w.fx.root, 'sys/bus/pci/drivers/mei_me/unbind'), '');
  const r = await agent(['apply', '--policy', w.signed(policy('neutralize', {}, 5)), '--identity', w.identity, '--state', w.state, '--root', w.fx.root]);
  t.is(r.code, 1, 'the driver is still bound: nothing unbinds it in a file tree');
  const rec = record(w.state);
  t.is(rec.serial, 5);
  t.deepEqual(rec.steps.map((s) => [s.action, s.outcome]), [['mei.unbind', 'failed'], ['mei.blacklist', 'done'], ['me.verify-disabled', 'already']]);
  t.regex(rec.steps[0]?.detail ?? '', /still bound to mei_me after unbind: 0000:00:16.0/);
  t.regex(readFileSync(join(w.fx.root, BLACKLIST_PATH), 'utf8'), /^blacklist mei_me$/m);
  t.regex(r.err, /NOT fully applied/);

  const old = await agent(['apply', '--policy', w.signed(policy('neutralize', {}, 4), 'old.cose'), '--identity', w.identity, '--state', w.state, '--root', w.fx.root]);
  t.is(old.code, 1);
  t.regex(old.err, /refused \(ROLLBACK\)/);
  t.is(record(w.state).serial, 5, 'the record is the last apply');
});

test('use with an enrollment reference: a channel-ref record in the real vault, signed by the node; second apply already', async (t) => {
  const w = world('vps');
  t.teardown(() => w.fx.remove());
  const facts = join(w.dir, 'facts.json');
  writeFileSync(facts, JSON.stringify({ channels: [{ channel: 'hetzner-cloud', server: '4711' }] }));
  const p = w.signed(policy('use', { amt: { provision: false }, bmc: { provision: false } }));
  const argv = ['apply', '--policy', p, '--identity', w.identity, '--state', w.state, '--root', w.fx.root, '--facts', facts];
  const r = await agent(argv);
  t.is(r.code, 0, r.err + r.out);
  t.regex(r.out, /done\s+vault.record-channel:hetzner-cloud: channel-ref:hetzner-cloud seq \d+/);
  const v = must(openVault({ stateDir: w.state, identityDir: w.identity }));
  const entries = must(v.list());
  t.deepEqual(entries.map((e) => [e.node, e.id, e.kind, e.meta]), [['node-a', 'channel-ref:hetzner-cloud', 'channel-ref', { channel: 'hetzner-cloud', server: '4711' }]]);
  const again = await agent(argv);
  t.is(again.code, 0);
  t.regex(again.out, /already\s+vault.record-channel:hetzner-cloud/);
  t.is(must(v.list()).length, 1);
});

test('usage: --policy and --state are required, unknown flags refused', async (t) => {
  t.is((await agent(['apply', '--state', 'x', '--org', 'y'])).code, 2);
  t.is((await agent(['apply', '--policy', 'x', '--org', 'y'])).code, 2);
  t.is((await agent(['apply', '--policy', 'x', '--state', 'y'])).code, 2);
  t.is((await agent(['apply', '--policy', 'x', '--state', 'y', '--org', 'z', '--in', 'q'])).code, 2);
});
