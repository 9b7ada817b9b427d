// `agent amt info` in-process: against the simulated ME (text, JSON, exit codes),
// and through main() on this machine, which has no /dev/mei (exit 3, one line).
import test from 'ava';
import { existsSync } from 'node:fs';
import { parseArgs } from '../../agent/cli/args.ts';
import { makeAmtCommand } from '../../agent/cli/amt.ts';
import { UsageError } from '../../agent/cli/exit.ts';
import type { Io } from '../../agent/cli/io.ts';
import { merr, mok, type MeiBus } from '../../agent/mei/types.ts';
import { SimulatedMe } from '../fakes/me/firmware.ts';
import { simulatedAmtMachine } from '../fakes/me/machine.ts';
import { runAgent } from '../helpers/run.ts';

async function run(bus: () => ReturnType<typeof mok<MeiBus>> | ReturnType<typeof merr>, argv: string[]) {
  const cmd = makeAmtCommand({ openBus: bus, osInterfaces: () => ({}) });
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s), err: (s) => (err += s), env: {}, stderrIsTTY: false };
  const args = parseArgs('agent amt', argv, cmd.flags, cmd.maxPositionals);
  const code = await cmd.run(args, { io, logger: async () => { throw new Error('no logger in this test'); }, startedAt: 0 });
  return { code, out, err };
}

test('info: text in the shape of rpc amtinfo', async (t) => {
  const me = simulatedAmtMachine({ state: { controlMode: 1, provisioningState: 2 } });
  const r = await run(() => mok(me), ['info']);
  t.is(r.code, 0, r.err);
  t.is(r.err, '');
  t.regex(r.out, /^Version +: 16\.1\.25$/m);
  t.regex(r.out, /^Features +: AMT Pro Corporate$/m);
  t.regex(r.out, /^Control Mode +: client control mode$/m);
  t.regex(r.out, /^Provisioning State +: post-provisioning$/m);
  t.regex(r.out, /^Operational State +: enabled$/m);
  t.regex(r.out, /^---Wired Adapter---\nDHCP Enabled +: true$/m);
  t.regex(r.out, /^MAC Address +: a4:bb:6d:01:02:ab$/m);
  t.regex(r.out, /^Local System Account +: present \(user \$\$OsAdmin\)$/m);
  t.regex(r.out, /^Simulated SHA384 Root \(Active\)\n {3}SHA384: [0-9a-f]{96}\n {3}note: .*SHA512/m);
  t.false(r.out.includes(me.state.localSystemAccount.password));
});

test('info --json: rpc amtinfo keys, reasons under errors, no secret', async (t) => {
  const me = simulatedAmtMachine({ state: { uuid: new Uint8Array(16) } });
  const r = await run(() => mok(me), ['info', '--json']);
  t.is(r.code, 0, r.err);
  const j = JSON.parse(r.out) as Record<string, unknown> & { errors: Record<string, { code: string }> };
  t.is(j.amt, '16.1.25');
  t.is(j.sku, '16392');
  t.is(j.controlMode, 'not activated');
  t.is(j.heciAvailable, true);
  t.deepEqual(Object.keys(j.wiredAdapter as object), ['isEnable', 'linkStatus', 'dhcpEnabled', 'dhcpMode', 'ipAddress', 'osIpAddress', 'macAddress']);
  t.is(j.uuid, undefined);
  t.is(j.errors.uuid?.code, 'PROTOCOL');
  t.false(r.out.includes(me.state.localSystemAccount.password));
});

test('info: no ME, or an ME without AMT, exits 3 with one line', async (t) => {
  const none = await run(() => merr('NO_DEVICE', 'no MEI device node (/dev/mei0)'), ['info']);
  t.is(none.code, 3);
  t.is(none.out, '');
  t.is(none.err.split('\n').length, 2);
  t.regex(none.err, /^agent amt: no Intel ME on this machine/);
  const noAmt = await run(() => mok(new SimulatedMe({ clients: [] })), ['info', '--json']);
  t.is(noAmt.code, 3);
  t.is(noAmt.out, '');
  t.regex(noAmt.err, /^agent amt: no Intel AMT on this machine: .*\n$/);
});

test('info: an ME that stops answering gives exit 1 within --timeout', async (t) => {
  const me = simulatedAmtMachine();
  me.inject('12f80028-b4b7-4b2d-aca8-46e0ff65814c', { kind: 'no-answer' });
  const start = Date.now();
  const r = await run(() => mok(me), ['info', '--timeout', '1']);
  t.is(r.code, 1);
  t.true(Date.now() - start < 2500);
  t.regex(r.out, /^Version +: unavailable \(TIMEOUT: /m);
  t.is(me.openConnections('12f80028-b4b7-4b2d-aca8-46e0ff65814c'), 0);
});

test('usage errors', async (t) => {
  const bus = () => mok(simulatedAmtMachine());
  await t.throwsAsync(() => run(bus, []), { instanceOf: UsageError });
  await t.throwsAsync(() => run(bus, ['bogus']), { instanceOf: UsageError, message: /unknown subcommand 'bogus'/ });
  await t.throwsAsync(() => run(bus, ['info', '--timeout', '0']), { instanceOf: UsageError });
});

test('through main(): this machine has no /dev/mei, so `agent amt info` exits 3', async (t) => {
  if (['/dev/mei0', '/dev/mei1', '/dev/mei2', '/dev/mei3'].some((p) => existsSync(p))) return t.pass('this machine has an MEI node; the no-ME path is covered above');
  const r = await runAgent(['amt', 'info']);
  t.is(r.code, 3);
  t.is(r.out, '');
  t.regex(r.err, /no Intel ME on this machine/);
});
