// `agent policy sign|show|plan` in-process, with an org made by initOrg in a
// temp dir: sign the JSON, show the verified policy, plan it on fixture trees;
// a refused policy exits 1 with its code and the mode ignore.
import test from 'ava';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../agent/policy/types.ts';
import { runAgent } from '../helpers/run.ts';
import { makeOrg, tmp } from './fixture.ts';

const org = makeOrg();
const other = makeOrg();

function write(dir: string, name: string, v: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v));
  return p;
}

test('sign -> show -> plan: the signed policy verifies, shows with its defaults, and plans on a fixture', async (t) => {
  const dir = tmp();
  const json = write(dir, 'p.json', { serial: 4, oob: 'neutralize', bmc: { user: 'ops' } });
  const out = join(dir, 'p.cose');
  const s = await runAgent(['policy', 'sign', '--org', org.dir, '--in', json, '--out', out]);
  t.is(s.code, 0, s.err);
  t.regex(s.out, /signed policy serial 4 \(oob neutralize\) with org key [0-9a-f]{32}\ndigest [0-9a-f]{64}\n/);

  const show = await runAgent(['policy', 'show', out, '--org', org.dir, '--json']);
  t.is(show.code, 0, show.err);
  const j = JSON.parse(show.out) as { ok: boolean; mode: string; digest: string; policy: { serial: number; oob: string; bmc: { user: string; privilege: string }; amt: { sol: boolean } } };
  t.true(j.ok);
  t.is(j.mode, 'neutralize');
  t.is(j.policy.serial, 4);
  t.is(j.policy.bmc.user, 'ops');
  t.is(j.policy.bmc.privilege, 'operator');
  t.true(j.policy.amt.sol);
  const text = await runAgent(['policy', 'show', out, '--org', org.dir]);
  t.regex(text.out, /oob\s+: neutralize/);
  t.regex(text.out, /bmc\s+: provision yes, user ops \(operator\)/);

  const plan = await runAgent(['policy', 'plan', '--policy', out, '--org', org.dir, '--root', 'test/fixtures/vpro-desktop', '--json']);
  t.is(plan.code, 0, plan.err);
  const p = JSON.parse(plan.out) as Plan;
  t.deepEqual(
    p.steps.map((x) => x.id),
    ['mei.unbind', 'mei.blacklist', 'me.verify-disabled'],
  );
  t.is(p.policyDigest, j.digest);
  const human = await runAgent(['policy', 'plan', '--policy', out, '--org', org.dir, '--root', 'test/fixtures/me-hap-disabled']);
  t.is(human.code, 0, human.err);
  t.regex(human.out, /nothing has been changed/);
  t.regex(human.out, /3\. me\.verify-disabled: .*working state 4 \(Disabled\)/);
});

test('plan with --facts: enrollment references become vault.record-channel steps', async (t) => {
  const dir = tmp();
  const out = join(dir, 'p.cose');
  t.is((await runAgent(['policy', 'sign', '--org', org.dir, '--in', write(dir, 'p.json', { serial: 1, oob: 'use' }), '--out', out])).code, 0);
  const facts = write(dir, 'facts.json', { channels: [{ channel: 'digitalocean', server: 411922099 }] });
  const r = await runAgent(['policy', 'plan', '--policy', out, '--org', org.dir, '--root', 'test/fixtures/vps', '--facts', facts, '--json']);
  t.is(r.code, 0, r.err);
  t.deepEqual((JSON.parse(r.out) as Plan).steps.map((s) => s.id), ['vault.record-channel:digitalocean']);
  const bad = await runAgent(['policy', 'plan', '--policy', out, '--org', org.dir, '--root', 'test/fixtures/vps', '--facts', write(dir, 'bad.json', { channels: [{ channel: 'pdu', token: 'x' }] })]);
  t.is(bad.code, 1);
  t.regex(bad.err, /MALFORMED: facts: channels\[0\]\.token: a reference carries no secret/);
});

test('refused policies: exit 1 with the typed reason and the effective mode ignore', async (t) => {
  const dir = tmp();
  const json = write(dir, 'p.json', { serial: 2, oob: 'use' });
  const out = join(dir, 'p.cose');
  t.is((await runAgent(['policy', 'sign', '--org', org.dir, '--in', json, '--out', out])).code, 0);
  const bytes = readFileSync(out);
  const tampered = join(dir, 't.cose');
  const b = Buffer.from(bytes);
  b[b.length - 70] = (b[b.length - 70] as number) ^ 1; // inside the payload, before the 64-byte signature
  writeFileSync(tampered, b);
  const cases: [string[], string][] = [
    [['policy', 'show', json, '--org', org.dir], 'UNSIGNED'],
    [['policy', 'show', out, '--org', other.dir], 'FOREIGN'],
    [['policy', 'show', tampered, '--org', org.dir], 'BAD_SIGNATURE'],
    [['policy', 'show', join(dir, 'absent'), '--org', org.dir], 'UNREADABLE'],
    [['policy', 'plan', '--policy', tampered, '--org', org.dir, '--root', 'test/fixtures/vps'], 'BAD_SIGNATURE'],
  ];
  for (const [argv, code] of cases) {
    const r = await runAgent(argv);
    t.is(r.code, 1, argv.join(' '));
    t.regex(r.err, new RegExp(`refused \\(${code}\\)`));
    t.regex(r.err, /effective mode is ignore/);
  }
  const j = await runAgent(['policy', 'show', tampered, '--org', org.dir, '--json']);
  t.like(JSON.parse(j.out), { ok: false, mode: 'ignore', error: { code: 'BAD_SIGNATURE' } });
  // The node's identity directory carries org.pub; a copy of the org's stands in for one here.
  const idDir = tmp();
  copyFileSync(join(org.dir, 'org.pub'), join(idDir, 'org.pub'));
  t.is((await runAgent(['policy', 'show', out, '--identity', idDir])).code, 0);
});

test('sign refuses a malformed JSON policy with the path of the bad field', async (t) => {
  const dir = tmp();
  const r = await runAgent(['policy', 'sign', '--org', org.dir, '--in', write(dir, 'p.json', { serial: 1, fencing: { confirmations: 100 } }), '--out', join(dir, 'o')]);
  t.is(r.code, 1);
  t.regex(r.err, /MALFORMED: fencing\.confirmations: 100 is out of range 1-64/);
});

test('usage errors: no subcommand, no key source, both key sources, a flag of another subcommand', async (t) => {
  for (const argv of [
    ['policy'],
    ['policy', 'frob'],
    ['policy', 'show', 'x'],
    ['policy', 'show', 'x', '--org', 'a', '--identity', 'b'],
    ['policy', 'sign', '--org', 'a', '--in', 'b'],
    ['policy', 'show', 'x', '--org', 'a', '--root', '/'],
  ]) {
    const r = await runAgent(argv);
    t.is(r.code, 2, argv.join(' '));
  }
  const help = await runAgent(['policy', '--help']);
  t.is(help.code, 0);
  t.regex(help.out, /--facts FILE/);
});
