// The BMC queries and actions, and `agent bmc` in-process, against a real BMC
// implementation: ipmi_sim (openipmi) on loopback, reached over RMCP+ with an
// admin session. The queries are written against IpmiTransport, so the same
// code runs in band over /dev/ipmi0 (test/vm/bmc-inband.test.ts). ipmitool is
// the independent reader of what the BMC holds after each action; the new
// user's password is distinctive and looked for in everything printed.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { parseArgs } from '../../agent/cli/args.ts';
import { makeBmcCommand, type BmcDeps } from '../../agent/cli/bmc.ts';
import { UsageError } from '../../agent/cli/exit.ts';
import { cerr, cok, deadlineIn, type ChannelResult } from '../../agent/channels/types.ts';
import { addUser } from '../../agent/ipmi/add-user.ts';
import { readBmcInfo } from '../../agent/ipmi/bmc-info.ts';
import { type IpmiRequest, type IpmiResponse } from '../../agent/ipmi/messages.ts';
import type { IpmiTransport } from '../../agent/ipmi/transport.ts';
import { PASSWORD_OP, setUserAccess, setUserPassword, USER_CMD } from '../../agent/ipmi/users.ts';
import { probeBmcInBand } from '../../agent/probe/bmc-live.ts';
import { runAgent, secretFile } from '../helpers/run.ts';
import { field, userList } from './ipmitool-text.ts';
import { simWithAdmin, type Sim } from './sim.ts';

const run = promisify(execFile);
const PASSWORD = 'Zq7-oob-Wk2pX9vT'; // 16 bytes: see the note on ipmi_sim's Set User Password below

async function ipmitool(sim: Sim, user: string, passwordFile: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', sim.host, '-p', String(sim.port), '-U', user, '-f', passwordFile, '-N', '1', '-R', '2', ...args], { timeout: 15_000 });
  return stdout;
}
const admin = (sim: Sim, ...args: string[]): Promise<string> => ipmitool(sim, 'admin', sim.passwordFile, ...args);

const withSim = simWithAdmin;

/** `agent bmc ARGS` in-process with the transport injected. */
async function bmc(argv: string[], deps: BmcDeps): Promise<{ code: number; out: string; err: string }> {
  const cmd = makeBmcCommand(deps);
  let out = '';
  let err = '';
  const io = { out: (s: string) => (out += s), err: (s: string) => (err += s), env: {}, stderrIsTTY: false };
  try {
    const code = await cmd.run(parseArgs('agent bmc', argv, cmd.flags, cmd.maxPositionals), { io, logger: () => Promise.reject(new Error('no logger')), startedAt: 0 });
    return { code, out, err };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, out, err: err + e.message };
    throw e;
  }
}

const over = (c: IpmiTransport): BmcDeps => ({ open: async () => cok({ transport: c, close: async () => {} }) });


test('info: device id, LAN channel, cipher suites and users agree with ipmitool', async (t) => {
  const { sim, c } = await withSim(t);
  const info = await readBmcInfo(c, deadlineIn(20_000));
  t.true(info.complete, info.errors.join('; '));
  const mc = await admin(sim, 'mc', 'info');
  t.is(info.device?.deviceId, Number(field(mc, 'Device ID')));
  t.is(info.device?.firmware, field(mc, 'Firmware Revision'));
  t.is(info.device?.manufacturer, Number(field(mc, 'Manufacturer ID')));
  t.deepEqual(info.channels.filter((x) => x.lan).map((x) => x.channel), [1]);
  // ipmi_sim has no Get Self Test Results: reported, not invented.
  t.is(info.selfTest, null);
  t.true(info.errors.some((e) => /Self Test/.test(e)));
  const lan = await admin(sim, 'lan', 'print', '1');
  const l = info.lan[0];
  t.is(l?.cipherSuites?.map((s) => s.suite).join(','), field(lan, 'RMCP\\+ Cipher Suites'));
  t.is(l?.cipherSuites?.map((s) => (s.privilege === 4 ? 'a' : s.privilege === 3 ? 'o' : s.privilege === 0 ? 'X' : '?')).join(''), field(lan, 'Cipher Suite Priv Max'));
  t.is(l?.ipAddress, field(lan, 'IP Address'));
  t.is(l?.mac, field(lan, 'MAC Address'));
  const users = userList(await admin(sim, 'user', 'list', '1'));
  t.is(info.users?.maxUsers, users.size);
  t.is(info.users?.users.find((u) => u.id === 2)?.name, 'admin');
  t.is(users.get(2)?.name, 'admin');
  t.true(info.users?.users.find((u) => u.id === 2)?.enabled);
});

test('agent bmc add-user: a free slot, ipmitool logs in as the new operator; the name again is refused', async (t) => {
  const { sim, c } = await withSim(t);
  const pw = secretFile(t, PASSWORD);
  const r = await bmc(['add-user', '--name', 'fortros-oob', '--password-file', pw], over(c));
  t.is(r.code, 0, r.err);
  t.regex(r.out, /added fortros-oob in slot 3 \(LAN channel 1\)/);
  t.regex(r.out, /done\s+test password \(slot 3\)/);
  t.false((r.out + r.err).includes(PASSWORD));

  t.is((await ipmitool(sim, 'fortros-oob', pw, '-L', 'OPERATOR', 'chassis', 'power', 'status')).trim(), 'Chassis Power is off');
  const users = userList(await admin(sim, 'user', 'list', '1'));
  t.deepEqual(users.get(3), { name: 'fortros-oob', msg: 'true', priv: 'OPERATOR' });
  t.is(users.get(2)?.name, 'admin');

  const again = await bmc(['add-user', '--name', 'fortros-oob', '--password-file', pw, '--json'], over(c));
  t.is(again.code, 1);
  const j = JSON.parse(again.out) as { ok: boolean; error: { code: string }; steps: unknown[] };
  t.is(j.error.code, 'EXISTS');
  t.deepEqual(j.steps, []);
  t.false(again.out.includes(PASSWORD));
});

test('add-user --privilege admin in the next free slot', async (t) => {
  const { sim, c } = await withSim(t);
  const pw = secretFile(t, 'Adm1n-0nly-Fleet');
  t.is((await bmc(['add-user', '--name', 'a1', '--password-file', pw], over(c))).code, 0);
  const r = await bmc(['add-user', '--name', 'a2', '--password-file', pw, '--privilege', 'admin'], over(c));
  t.regex(r.out, /slot 4/);
  t.is((await ipmitool(sim, 'a2', pw, 'chassis', 'power', 'status')).trim(), 'Chassis Power is off');
});

/** Passes every command through, except that `fail` may replace the answer to one. */
function faulty(inner: IpmiTransport, fail: (req: IpmiRequest) => ChannelResult<IpmiResponse> | null): IpmiTransport {
  return { command: async (req, d) => fail(req) ?? inner.command(req, d) };
}

test('a write that gets no answer: later steps skipped, the done ones undone, all reported; the slot is free again', async (t) => {
  const { sim, c } = await withSim(t);
  const t1 = faulty(c, (req) => (req.cmd === USER_CMD.setUserAccess && req.netFn === 0x06 ? cerr('TIMEOUT', 'no answer (injected)') : null));
  const r = await addUser(t1, { name: 'half', password: Buffer.from(PASSWORD), privilege: 3 }, deadlineIn(10_000));
  t.false(r.ok);
  t.is(r.error?.code, 'BMC');
  t.deepEqual(
    r.steps.map((s) => [s.step, s.outcome]),
    [
      ['set name (slot 3)', 'done'],
      ['verify name (slot 3)', 'done'],
      ['set password (slot 3, 16-byte form)', 'done'],
      ['set access (slot 3, channel 1, operator, IPMI messaging on)', 'failed'],
      ['enable user (slot 3)', 'skipped'],
      ['test password (slot 3)', 'skipped'],
      // The unanswered write may have taken effect: its undo runs too (and is itself refused by the fault).
      ['remove access (slot 3, channel 1)', 'failed'],
      ['clear name (slot 3)', 'done'],
    ],
  );
  const users = userList(await admin(sim, 'user', 'list', '1'));
  t.is(users.get(3)?.name, '');
  t.is(users.get(3)?.msg, 'false');
});

test('a reply for another command is a failed step, not a success', async (t) => {
  const { c } = await withSim(t);
  const t1 = faulty(c, (req) => (req.cmd === USER_CMD.setUserName ? cok({ netFn: 0x06, cmd: 0x01, rqSeq: 0, completion: 0, data: Buffer.alloc(0) }) : null));
  const r = await addUser(t1, { name: 'x', password: Buffer.from(PASSWORD), privilege: 3 }, deadlineIn(10_000));
  t.false(r.ok);
  t.like(r.steps[0], { step: 'set name (slot 3)', outcome: 'failed' });
  t.regex(r.steps[0]?.detail ?? '', /PROTOCOL/);
});

test('agent bmc harden: the enabled null user is disabled, every suite but 3 unused; ipmitool reads it back', async (t) => {
  const { sim, c } = await withSim(t);
  // Turn anonymous login on, as a careless BMC default would have it.
  const d = deadlineIn(5000);
  t.true((await c.command(setUserAccess(1, 1, { privilege: 2, messaging: true, linkAuth: false, callbackOnly: false }), d)).ok);
  t.true((await c.command(setUserPassword(1, PASSWORD_OP.enable), d)).ok);
  t.is(userList(await admin(sim, 'user', 'list', '1')).get(1)?.msg, 'true');

  const r = await bmc(['harden', '--json'], over(c));
  t.is(r.code, 0, r.out + r.err);
  const j = JSON.parse(r.out) as { ok: boolean; steps: { step: string; outcome: string; detail?: string }[] };
  t.deepEqual(
    j.steps.map((s) => [s.step, s.outcome]),
    [
      ['user 1 (null user): no access on channel 1', 'done'],
      ['user 1 (null user): disable', 'done'],
      ['channel 1: cipher suites other than 17, 3 unused: suites 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15', 'done'],
    ],
  );
  t.regex(j.steps[2]?.detail ?? '', /suite 0 is not offered/);
  // ipmi_sim indexes parameter 24 by the requested privilege, not by entry
  // (lanserv_ipmi.c, max_priv_for_cipher_suite[priv >> 1]): after this only
  // admin sessions open there. ipmitool's default is admin.
  t.is(field(await admin(sim, 'lan', 'print', '1'), 'Cipher Suite Priv Max'), 'XXaXXXXXXXXXXXX');
  t.is(userList(await admin(sim, 'user', 'list', '1')).get(1)?.msg, 'false');

  const again = await bmc(['harden'], over(c));
  t.is(again.code, 0);
  t.regex(again.out, /not-applicable\s+nameless users/);
  t.regex(again.out, /not-applicable\s+channel 1: cipher suites/);
});

test('without a BMC device: exit 3, one line; usage errors touch nothing', async (t) => {
  const none: BmcDeps = { open: async () => cerr('UNSUPPORTED', 'no BMC device (/dev/ipmi0 absent)') };
  const r = await bmc(['info'], none);
  t.is(r.code, 3);
  t.is(r.err.trim().split('\n').length, 1);
  t.regex(r.err, /no BMC on this machine/);
  let opened = 0;
  const counting: BmcDeps = { open: async () => (opened++, cerr('UNSUPPORTED', 'x')) };
  t.is((await bmc(['add-user', '--name', 'x'], counting)).code, 2);
  t.is((await bmc(['add-user', '--password-file', '/nonexistent', '--name', 'x'], counting)).code, 2);
  t.is((await bmc(['add-user', '--name', 'has space', '--password-file', secretFile(t, PASSWORD)], counting)).code, 2);
  t.is((await bmc(['add-user', '--name', 'x', '--password-file', secretFile(t, 'x'.repeat(21))], counting)).code, 2);
  t.is((await bmc(['harden', '--name', 'x'], counting)).code, 2);
  t.is((await bmc(['reboot'], counting)).code, 2);
  t.is(opened, 0);
  // The real command on this host, which has no /dev/ipmi0 unless it is a server.
  const real = await runAgent(['bmc', 'info']);
  if (real.code === 3) t.regex(real.err, /^agent bmc: no BMC on this machine: .*\n$/);
  else t.log(`this host has a BMC device: exit ${real.code}`);
});

test('agent bmc set-lan: a static address inside set-in-progress; ipmitool reads it back', async (t) => {
  const { sim, c } = await withSim(t);
  const r = await bmc(['set-lan', '--ip', '10.9.8.7', '--netmask', '255.255.255.0', '--gateway', '10.9.8.1', '--json'], over(c));
  t.is(r.code, 0, r.out + r.err);
  const j = JSON.parse(r.out) as { channel: number; steps: { step: string; outcome: string; detail?: string }[] };
  t.is(j.channel, 1);
  t.deepEqual(
    j.steps.map((s) => s.outcome),
    ['done', 'done', 'done', 'done', 'done', 'done', 'done', 'done'],
  );
  t.is(j.steps.at(-1)?.detail, 'static 10.9.8.7/255.255.255.0 via 10.9.8.1');
  const lan = await admin(sim, 'lan', 'print', '1');
  t.is(field(lan, 'IP Address Source'), 'Static Address');
  t.is(field(lan, 'IP Address'), '10.9.8.7');
  t.is(field(lan, 'Subnet Mask'), '255.255.255.0');
  t.is(field(lan, 'Default Gateway IP'), '10.9.8.1');
  // Bad addresses are usage errors, before the BMC is touched.
  let opened = 0;
  const counting: BmcDeps = { open: async () => (opened++, cerr('UNSUPPORTED', 'x')) };
  t.is((await bmc(['set-lan', '--ip', '10.9.8.7', '--netmask', '255.0.255.0', '--gateway', '10.9.8.1'], counting)).code, 2);
  t.is((await bmc(['set-lan', '--ip', '10.9.8.7', '--netmask', '255.255.255.0', '--gateway', '10.9.9.1'], counting)).code, 2);
  t.is((await bmc(['set-lan', '--ip', '10.9.8.700', '--netmask', '255.255.255.0', '--gateway', '10.9.8.1'], counting)).code, 2);
  t.is(opened, 0);
});

test('probeBmcInBand: the info under a device path, or why the BMC could not be asked', async (t) => {
  const { c } = await withSim(t);
  let closed = 0;
  const r = await probeBmcInBand({ open: () => cok({ path: '/dev/ipmi0', transport: c, close: () => void closed++ }) });
  if ('unavailable' in r) return t.fail(r.unavailable);
  t.is(r.devicePath, '/dev/ipmi0');
  t.is(r.device?.manufacturer, 10876);
  t.true(r.complete);
  t.is(closed, 1);
  t.deepEqual(await probeBmcInBand({ open: () => cerr('UNSUPPORTED', 'no BMC device (/dev/ipmi0 absent)') }), { unavailable: 'UNSUPPORTED: no BMC device (/dev/ipmi0 absent)' });
  // A BMC that stops answering part-way: what was read, marked incomplete, within the time given.
  let n = 0;
  const dying = faulty(c, () => (++n > 5 ? cerr('TIMEOUT', 'no answer (injected)') : null));
  const started = Date.now();
  const part = await probeBmcInBand({ open: () => cok({ path: '/dev/ipmi0', transport: dying, close: () => {} }), timeoutMs: 3000 });
  if ('unavailable' in part) return t.fail(part.unavailable);
  t.false(part.complete);
  t.truthy(part.device);
  t.regex(part.errors.at(-1) ?? '', /TIMEOUT/);
  t.true(Date.now() - started < 3000);
});

const answer = (req: IpmiRequest, completion: number): ChannelResult<IpmiResponse> => cok({ netFn: req.netFn, cmd: req.cmd, rqSeq: 0, completion, data: Buffer.alloc(0) });

test('a wrong password on Test Password (81h): everything done is undone, in reverse, and the slot is free', async (t) => {
  const { sim, c } = await withSim(t);
  const t1 = faulty(c, (req) => (req.cmd === USER_CMD.setUserPassword && ((req.data[1] ?? 0) & 3) === PASSWORD_OP.test ? answer(req, 0x81) : null));
  const r = await addUser(t1, { name: 'undone', password: Buffer.from(PASSWORD), privilege: 3 }, deadlineIn(10_000));
  t.false(r.ok);
  t.deepEqual(r.steps.slice(5).map((s) => [s.step, s.outcome]), [
    ['test password (slot 3)', 'refused'],
    ['disable user (slot 3)', 'done'],
    ['remove access (slot 3, channel 1)', 'done'],
    ['clear name (slot 3)', 'done'],
  ]);
  t.is(r.steps[5]?.completion, 0x81);
  t.deepEqual(userList(await admin(sim, 'user', 'list', '1')).get(3), { name: '', msg: 'false', priv: 'NO ACCESS' });
});

test('harden: a refused parameter 24 and a BMC that says yes but keeps the old value are both reported, exit 1', async (t) => {
  const { c } = await withSim(t);
  const isSet24 = (req: IpmiRequest): boolean => req.netFn === 0x0c && req.cmd === 0x01 && req.data[1] === 24;
  const refused = await bmc(['harden', '--json'], over(faulty(c, (req) => (isSet24(req) ? answer(req, 0x82) : null))));
  t.is(refused.code, 1);
  const j = JSON.parse(refused.out) as { ok: boolean; steps: { outcome: string; completion?: number }[] };
  t.false(j.ok);
  t.like(j.steps.at(-1), { outcome: 'refused', completion: 0x82 });
  const liar = await bmc(['harden'], over(faulty(c, (req) => (isSet24(req) ? answer(req, 0) : null))));
  t.is(liar.code, 1);
  t.regex(liar.out, /failed\s+channel 1: cipher suites .*: the BMC answered success but reads back other privileges/);
});
