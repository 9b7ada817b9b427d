// The healing ladder over the real channel drivers against the fakes (Redfish,
// Proxmox, a sleeping NIC) and a BMC that never answers (a UDP port that reads
// and stays silent): which channel acts, how the budget is shared, when the
// result is off-only, and that Wake-on-LAN counts only when the node rejoins.
// Timings are checked with loose bounds: the test machines are loaded.

import test, { type ExecutionContext } from 'ava';
import dgram from 'node:dgram';
import * as fs from 'node:fs';
import { deadlineIn, remainingMs, type ChannelOptions, type Deadline } from '../../agent/channels/types.ts';
import type { VerifyTiming } from '../../agent/channels/verify.ts';
import { runLadder } from '../../agent/heal/ladder.ts';
import type { LadderChannel, LadderDeps, LadderResult } from '../../agent/heal/ladder-types.ts';
import { FakeRedfish, type FakeSystem } from '../fakes/redfish/server.ts';
import { PASSWORD as PVE_PASSWORD, TOKEN_SECRET, startPve } from '../fakes/proxmox/harness.ts';
import { FakeNic } from '../fakes/wol/nic.ts';

const FAST: VerifyTiming = { pollMs: 30, backoffMs: 20, backoffMaxMs: 100, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
const USER = 'fence';
const PASSWORD = 'rf-Ladder#Secret-4417';
/** IPMI v2.0 passwords hold at most 20 bytes. */
const IPMI_PASSWORD = 'ipmi-Ldr#Sec-0933';
const MAC = '52:54:00:ab:cd:ef';
/** Loaded machines fire timers late; nothing here may end before its bound, and not much after. */
const SLACK = 600;
/** How late a timer may fire on a loaded machine: the ladder's own bound is its deadline. */
const LATE = 250;

type T = ExecutionContext;

/** Never rejoins: resolves false at its deadline, as the gossip watcher does. */
const never = (_node: string, d: Deadline) => new Promise<boolean>((r) => setTimeout(() => r(false), remainingMs(d)));

const deps = (o: Partial<LadderDeps> = {}): LadderDeps => ({ rejoined: never, timing: FAST, closeReserveMs: 200, ...o });

async function redfish(t: T, system: Partial<FakeSystem> = {}): Promise<{ fake: FakeRedfish; opts: (password?: string) => ChannelOptions }> {
  const fake = new FakeRedfish({ user: USER, password: PASSWORD, systems: [{ id: '1', power: 'On', ...system }], transitionMs: 100 });
  const port = await fake.start();
  t.teardown(() => fake.stop());
  return { fake, opts: (password = PASSWORD) => ({ host: '127.0.0.1', port, user: USER, password, insecureHttp: true }) };
}

/** A BMC that reads every packet and answers none. */
async function silentBmc(t: T): Promise<{ opts: ChannelOptions; seen: () => number }> {
  const s = dgram.createSocket('udp4');
  let seen = 0;
  s.on('message', () => seen++);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  return { opts: { host: '127.0.0.1', port: s.address().port, user: 'admin', password: IPMI_PASSWORD }, seen: () => seen };
}

async function nic(t: T): Promise<FakeNic> {
  const n = await FakeNic.start({ mac: MAC });
  t.teardown(() => n.close());
  return n;
}

const ch = (name: LadderChannel['name'], options: ChannelOptions, verifiable = true): LadderChannel => ({ name, options, verifiable });
const wol = (n: FakeNic) => ch('wol', { host: '127.0.0.1', port: n.port, params: { mac: MAC } }, false);

function noSecrets(t: T, r: LadderResult, ...secrets: string[]): void {
  const text = JSON.stringify(r);
  for (const s of secrets) t.false(text.includes(s), 'a credential in the result');
}

test('the first channel fails AUTH: the second cycles at once, the first took no share of the budget', async (t) => {
  const rf = await redfish(t);
  const pve = await startPve(['pve1']);
  t.teardown(async () => {
    await pve.close();
    fs.rmSync(pve.cert.dir, { recursive: true, force: true });
  });
  const vm = pve.fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'on', delayMs: 80 });
  const budget = 8000;
  const r = await runLadder({ node: 'x', channels: [ch('redfish', rf.opts('wrong-password')), ch('proxmox', pve.token())], allowed: [] }, deps(), deadlineIn(budget));
  t.is(r.verdict, 'verified-cycled', JSON.stringify(r));
  t.is(r.acted, 'proxmox');
  t.deepEqual(
    r.attempts.map((a) => [a.channel, a.action, a.outcome]),
    [
      ['redfish', 'off', 'AUTH'],
      ['proxmox', 'off', 'verified'],
      ['proxmox', 'on', 'verified'],
    ],
  );
  t.true(r.attempts[0]!.elapsedMs < 1500, `AUTH took ${r.attempts[0]!.elapsedMs} ms`);
  t.is(r.attempts[0]!.exchanges, 1, 'a wrong password is not retried');
  t.deepEqual(vm.machine.requests, ['off', 'on']);
  t.is(vm.machine.state(), 'on');
  t.deepEqual(rf.fake.machines.get('1')?.obeyed, []);
  t.is(rf.fake.openSessions, 0);
  t.true(r.elapsedMs <= budget);
  t.is(r.budgetMs, budget);
  noSecrets(t, r, 'wrong-password', PASSWORD, TOKEN_SECRET, PVE_PASSWORD);
});

test('a BMC that never answers gets its share of the budget and no more; the next channel acts', async (t) => {
  const silent = await silentBmc(t);
  const rf = await redfish(t);
  const budget = 4000;
  const t0 = performance.now();
  const r = await runLadder({ node: 'x', channels: [ch('ipmi', silent.opts), ch('redfish', rf.opts())], allowed: [] }, deps(), deadlineIn(budget));
  const took = performance.now() - t0;
  t.is(r.verdict, 'verified-cycled', JSON.stringify(r));
  t.is(r.acted, 'redfish');
  const first = r.attempts[0]!;
  t.like(first, { channel: 'ipmi', action: 'off', outcome: 'TIMEOUT' });
  // Share 2000 ms, of which 200 ms are kept for logging out.
  t.true(first.elapsedMs >= 1700 && first.elapsedMs <= 2000 + SLACK, `the silent BMC took ${first.elapsedMs} ms`);
  t.true(silent.seen() >= 1, 'it was asked');
  t.deepEqual(rf.fake.machines.get('1')?.obeyed, ['ForceOff', 'On']);
  t.true(took <= budget + LATE, `the ladder took ${Math.round(took)} ms of ${budget}`);
  t.is(rf.fake.openSessions, 0);
  noSecrets(t, r, IPMI_PASSWORD, PASSWORD);
});

test('the budget is split as bmclib does: remaining / channels left, each silent one ends on time', async (t) => {
  const a = await silentBmc(t);
  const b = await silentBmc(t);
  const rf = await redfish(t);
  const budget = 6000;
  const t0 = performance.now();
  const r = await runLadder({ node: 'x', channels: [ch('ipmi', a.opts), ch('ipmi', b.opts), ch('redfish', rf.opts())], allowed: [] }, deps(), deadlineIn(budget));
  const took = performance.now() - t0;
  t.is(r.verdict, 'verified-cycled', JSON.stringify(r));
  const [first, second] = r.attempts;
  // 6000/3 = 2000 for the first; then (about 4000)/2 = 2000 for the second; 200 ms of each for logout.
  for (const [i, x] of [first, second].entries()) {
    t.like(x, { channel: 'ipmi', action: 'off', outcome: 'TIMEOUT' });
    t.true(x!.elapsedMs >= 1700 && x!.elapsedMs <= 2000 + SLACK, `silent BMC ${i + 1} took ${x!.elapsedMs} ms`);
  }
  t.true(a.seen() >= 1 && b.seen() >= 1);
  t.deepEqual(rf.fake.machines.get('1')?.obeyed, ['ForceOff', 'On']);
  // The third found about a third of the budget left, enough for the cycle.
  t.true(took >= 3400, `the ladder took ${Math.round(took)} ms`);
  t.true(took <= budget + LATE, `the ladder took ${Math.round(took)} ms of ${budget}`);
});

test('off verified but on refused on every channel: off-only, naming who fenced it and why it stayed off', async (t) => {
  const refuseOn = { allowed: ['On', 'ForceOff'], accepts: ['ForceOff'] } as const;
  const one = await redfish(t, refuseOn);
  const two = await redfish(t, refuseOn);
  const budget = 8000;
  const r = await runLadder({ node: 'x', channels: [ch('redfish', one.opts()), ch('redfish', two.opts())], allowed: [] }, deps(), deadlineIn(budget));
  t.is(r.verdict, 'off-only', JSON.stringify(r));
  t.is(r.acted, 'redfish');
  t.deepEqual(
    r.attempts.map((a) => [a.action, a.outcome]),
    [
      ['off', 'verified'],
      ['on', 'UNSUPPORTED'],
      ['off', 'verified'],
      ['on', 'UNSUPPORTED'],
    ],
  );
  t.regex(r.why ?? '', /^x was verified off by redfish and no channel powered it on \(redfish on: UNSUPPORTED/);
  for (const f of [one, two]) {
    t.deepEqual(f.fake.machines.get('1')?.obeyed, ['ForceOff']);
    t.is(f.fake.openSessions, 0);
  }
  t.true(r.elapsedMs < budget);
});

test('only Wake-on-LAN: one request, success only when the node rejoins', async (t) => {
  const n = await nic(t);
  const asked: string[] = [];
  // Gossip sees the node again some time after its NIC woke it.
  const rejoined = async (node: string, d: Deadline): Promise<boolean> => {
    asked.push(node);
    while (remainingMs(d) > 0) {
      if (n.machine.state() === 'on') {
        await new Promise((r) => setTimeout(r, 300));
        return true;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  };
  const r = await runLadder({ node: 'x', channels: [wol(n)], allowed: [] }, deps({ rejoined }), deadlineIn(5000));
  t.is(r.verdict, 'rejoined-after-unverified', JSON.stringify(r));
  t.is(r.acted, 'wol');
  t.deepEqual(asked, ['x']);
  t.deepEqual(
    r.attempts.map((a) => [a.channel, a.action, a.outcome, a.exchanges]),
    [
      ['wol', 'on', 'sent-unverified', 1],
      ['wol', 'rejoin', 'rejoined', 0],
    ],
  );
  t.true(r.attempts[1]!.elapsedMs >= 250, 'the ladder waited for the rejoin');
  t.true(await n.waitFor(3, 1000));
  t.is(n.log.length, 3, 'one request: its three magic packets, no more');
});

test('only Wake-on-LAN and the node never rejoins: failed at the deadline, still one request', async (t) => {
  const n = await nic(t);
  const budget = 2500;
  const t0 = performance.now();
  const r = await runLadder({ node: 'x', channels: [wol(n)], allowed: [] }, deps(), deadlineIn(budget));
  const took = performance.now() - t0;
  t.is(r.verdict, 'failed');
  t.is(r.acted, null);
  t.regex(r.why ?? '', /wol rejoin: not-rejoined \(x did not rejoin/);
  t.true(took >= budget - 50 && took <= budget + LATE, `the ladder took ${Math.round(took)} ms of ${budget}`);
  await new Promise((res) => setTimeout(res, 300));
  t.is(n.log.length, 3, 'sent once');
  t.true(n.log.every((p) => p.woke));
});

test('the policy filters and orders; an unverifiable channel goes last whatever its place, and is not used when a verified cycle worked', async (t) => {
  const n = await nic(t);
  const silent = await silentBmc(t);
  const rf = await redfish(t);
  const r = await runLadder({ node: 'x', channels: [ch('ipmi', silent.opts), wol(n), ch('redfish', rf.opts())], allowed: ['wol', 'redfish'] }, deps(), deadlineIn(8000));
  t.is(r.verdict, 'verified-cycled');
  t.is(r.acted, 'redfish');
  t.deepEqual(r.excluded, ['ipmi']);
  t.deepEqual([...new Set(r.attempts.map((a) => a.channel))], ['redfish']);
  t.is(silent.seen(), 0, 'the channel the policy leaves out is never asked');
  await new Promise((res) => setTimeout(res, 200));
  t.is(n.log.length, 0, 'no magic packet after a verified cycle');
});

test('after a verified off elsewhere, Wake-on-LAN powers the node on and its rejoin makes the result', async (t) => {
  const n = await nic(t);
  const rf = await redfish(t, { allowed: ['On', 'ForceOff'], accepts: ['ForceOff'] });
  const rejoined = async (_node: string, d: Deadline): Promise<boolean> => {
    while (remainingMs(d) > 0) {
      if (n.machine.state() === 'on') return true;
      await new Promise((res) => setTimeout(res, 20));
    }
    return false;
  };
  const r = await runLadder({ node: 'x', channels: [wol(n), ch('redfish', rf.opts())], allowed: [] }, deps({ rejoined }), deadlineIn(8000));
  t.is(r.verdict, 'rejoined-after-unverified', JSON.stringify(r));
  t.is(r.acted, 'wol');
  t.deepEqual(
    r.attempts.map((a) => [a.channel, a.action, a.outcome]),
    [
      ['redfish', 'off', 'verified'],
      ['redfish', 'on', 'UNSUPPORTED'],
      ['wol', 'on', 'sent-unverified'],
      ['wol', 'rejoin', 'rejoined'],
    ],
  );
});
