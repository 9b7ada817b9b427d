// `agent amt activate|deactivate|features` in-process through amt.ts's
// makeAmtCommand with the simulated firmware as the bus; the password file's
// content is looked for in everything printed.
import test from 'ava';
import { parseArgs } from '../../agent/cli/args.ts';
import { makeAmtCommand } from '../../agent/cli/amt.ts';
import { UsageError } from '../../agent/cli/exit.ts';
import type { Io } from '../../agent/cli/io.ts';
import { merr, mok } from '../../agent/mei/types.ts';
import type { ActionResult } from '../../agent/amt/steps.ts';
import { secretFile } from '../helpers/run.ts';
import { amtWorld, PASSWORD, WRONG } from './world.ts';
import type { World } from './world.ts';

async function amt(w: World | null, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s), err: (s) => (err += s), env: {}, stderrIsTTY: false };
  const cmd = makeAmtCommand({ openBus: () => (w ? mok(w.me) : merr('NO_DEVICE', 'no /dev/mei0..3')) });
  const args = parseArgs('agent amt', argv, cmd.flags, cmd.maxPositionals);
  const code = await cmd.run(args, { io, logger: () => Promise.reject(new Error('no logger in tests')), startedAt: 0 });
  return { code, out, err };
}

test('activate --ccm, features, deactivate through the CLI; --json lists the steps; no password printed', async (t) => {
  const w = await amtWorld();
  t.teardown(() => w.stop());
  const pw = secretFile(t, PASSWORD);
  const act = await amt(w, ['activate', '--ccm', '--password-file', pw, '--json']);
  t.is(act.code, 0, act.err);
  const j = JSON.parse(act.out) as ActionResult;
  t.like(j, { action: 'activate', ok: true, changed: true, error: null });
  t.is(j.steps.at(-2)?.step, 'verify control mode (PTHI)');
  t.is(w.me.state.controlMode, 1);
  const info = await amt(w, ['info', '--json']);
  t.is(info.code, 0, info.err);
  t.like(JSON.parse(info.out), { raw: { controlMode: 1, provisioningState: 2 } });
  t.regex((JSON.parse(info.out) as { controlMode: string }).controlMode, /client control mode/);

  const feat = await amt(w, ['features', '--sol', 'on', '--kvm', 'on', '--password-file', pw]);
  t.is(feat.code, 0, feat.err);
  t.regex(feat.out, /^agent amt features: ok\n/);
  t.regex(feat.out, /done {5}verify redirection state: SOL on, IDE-R off, KVM on, listener on/);

  const de = await amt(w, ['deactivate']);
  t.is(de.code, 0, de.err);
  t.is(w.me.state.controlMode, 0);
  const after = await amt(w, ['info', '--json']);
  t.like(JSON.parse(after.out), { raw: { controlMode: 0, provisioningState: 0 } });
  for (const s of [act, feat, de]) t.false(`${s.out}${s.err}`.includes(PASSWORD));
});

test('failure: exit 1 with the steps on stderr; ACM deactivate with the wrong password changes nothing', async (t) => {
  const w = await amtWorld({ state: { controlMode: 2, provisioningState: 2, adminDigest: 'ffffffffffffffffffffffffffffffff' } });
  t.teardown(() => w.stop());
  const r = await amt(w, ['deactivate', '--password-file', secretFile(t, WRONG)]);
  t.is(r.code, 1);
  t.regex(r.err, /FAILED \(AUTH: .*\); nothing was changed/);
  t.false(r.err.includes(WRONG));
  t.is(w.me.state.controlMode, 2);
});

test('no ME: exit 3 with one line; usage errors before the ME is touched', async (t) => {
  const r = await amt(null, ['deactivate']);
  t.is(r.code, 3);
  t.regex(r.err, /^agent amt deactivate: no Intel ME on this machine: no \/dev\/mei0\.\.3\n$/);
  await t.throwsAsync(amt(null, ['activate', '--password-file', '/nonexistent']), { instanceOf: UsageError, message: /--ccm is required/ });
  await t.throwsAsync(amt(null, ['activate', '--ccm']), { instanceOf: UsageError, message: /--password-file is required/ });
  await t.throwsAsync(amt(null, ['features', '--sol', 'yes', '--password-file', '/x']), { instanceOf: UsageError, message: /--sol takes on or off/ });
  await t.throwsAsync(amt(null, ['features', '--password-file', '/x']), { instanceOf: UsageError, message: /at least one of/ });
  await t.throwsAsync(amt(null, ['deactivate', '--sol', 'on']), { instanceOf: UsageError, message: /belongs to another subcommand/ });
});

test('no AMT client on the ME: exit 3', async (t) => {
  const { SimulatedMe } = await import('../fakes/me/firmware.ts');
  const me = new SimulatedMe({ clients: [] });
  let err = '';
  const io: Io = { out: () => undefined, err: (s) => (err += s), env: {}, stderrIsTTY: false };
  const cmd = makeAmtCommand({ openBus: () => mok(me) });
  const code = await cmd.run(parseArgs('agent amt', ['deactivate'], cmd.flags, 1), { io, logger: () => Promise.reject(new Error('none')), startedAt: 0 });
  t.is(code, 3);
  t.regex(err, /no Intel AMT on this machine/);
});
