import test from 'ava';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryControl } from '../../agent/daemon/control.ts';
import { parseConfig } from '../../agent/daemon/config.ts';
import { runDaemon } from '../../agent/daemon/run.ts';
import { INCARNATION_SPAN } from '../../agent/gossip/trust.ts';
import { createLogger } from '../../agent/log.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { allSee, enrollNode, eventually, freePort, hostPort, makeOrg, spawnAgent, startAgent, startCluster, type LogLine } from '../helpers/agents.ts';

const NAMES = ['n0', 'n1', 'n2', 'n3'];

test('four agent processes: all alive, a SIGKILLed one dead within 15 s, a SIGTERMed one left', async (t) => {
  t.timeout(90_000);
  const started = Date.now();
  const { agents } = await startCluster(t, NAMES);
  const [n0, n1, n2, n3] = agents;
  if (!n0 || !n1 || !n2 || !n3) return t.fail('four agents');
  t.true(await eventually(() => allSee(agents, NAMES, 'alive'), 20_000), 'every agent sees all four alive');
  // Each agent announces a signed attestation record; the others pull it by push-pull and verify it against the org.
  t.true(await eventually(async () => (await Promise.all(agents.map((a) => a.members()))).every((ms) => ms.every((m) => m.attested)), 20_000), 'every record verified everywhere');
  const seen = await n1.members();
  t.deepEqual(
    seen.map((m) => [m.name, m.addr, m.attested, m.self]).sort(),
    agents.map((a) => [a.name, a.addr, true, a === n1]),
  );
  // A fresh identity directory has no counter: the boot incarnation is the clock's unix seconds at start (identity/store.ts
  // incarnationFor), so the gossip incarnation starts at those seconds * INCARNATION_SPAN, within that boot's span.
  const bootOf = (inc: number): number => Math.floor(inc / INCARNATION_SPAN);
  t.true(seen.every((m) => bootOf(m.incarnation) >= Math.floor(started / 1000) - 120 && bootOf(m.incarnation) <= Math.ceil(Date.now() / 1000)), JSON.stringify(seen.map((m) => m.incarnation)));
  const st = await n0.status();
  t.like(st, { name: 'n0', addr: n0.addr, state: 'alive', members: { alive: 4, suspect: 0, dead: 0, left: 0 }, watchdog: false, gossip: { bound: n0.addr, driver: { coreErrors: 0 } } });
  t.true((st.incarnation as number) >= INCARNATION_SPAN);
  t.true((st.uptimeMs as number) > 0);

  const killedAt = Date.now();
  n3.kill('SIGKILL');
  const survivors = [n0, n1, n2];
  t.true(await eventually(async () => (await Promise.all(survivors.map((a) => a.stateOf('n3')))).every((s) => s === 'dead'), 15_000), 'n3 dead on every survivor within 15 s');
  const deaths = await Promise.all(survivors.map((a) => a.waitForLog((l) => l.msg === 'member state' && l.member === 'n3' && l.to === 'dead', 1000, 'death of n3')));
  for (const d of deaths) t.true(d.time - killedAt < 15_000, `declared ${d.time - killedAt} ms after the kill`);
  t.log(`n3 declared dead after ${deaths.map((d) => d.time - killedAt).join(', ')} ms`);

  n2.kill('SIGTERM');
  t.is(await n2.exited, 0);
  t.truthy(n2.lines.find((l) => l.msg === 'agent stopped'));
  t.true(await eventually(async () => (await n0.stateOf('n2')) === 'left' && (await n1.stateOf('n2')) === 'left', 5000), 'n2 left on n0 and n1');
  t.false((await n0.members()).some((m) => m.name === 'n2' && m.state === 'dead'));
  for (const a of [n0, n1]) {
    t.true(a.running);
    t.false(a.lines.some((l) => l.msg === 'gossip core threw'), `${a.name} core threw`);
  }
});

test('an agent killed and restarted on the same boot rejoins with a new session that outranks the old', async (t) => {
  t.timeout(90_000);
  const { agents } = await startCluster(t, ['r0', 'r1', 'r2'], { base: 30 });
  const [r0, r1, r2] = agents;
  if (!r0 || !r1 || !r2) return t.fail('three agents');
  t.true(await eventually(() => allSee(agents, ['r0', 'r1', 'r2'], 'alive'), 20_000));
  const before = (await r0.members()).find((m) => m.name === 'r1')?.incarnation ?? 0;
  r1.kill('SIGKILL');
  t.true(await eventually(async () => (await r0.stateOf('r1')) === 'dead' && (await r2.stateOf('r1')) === 'dead', 15_000), 'r1 buried');
  const again = spawnAgent(t, 'r1', r1.addr, r1.configFile, r1.socket);
  const back = await eventually(() => allSee([r0, again, r2], ['r0', 'r1', 'r2'], 'alive'), 20_000);
  if (!back) for (const a of [r0, again, r2]) t.log(a.name, JSON.stringify((await a.members()).map((m) => [m.name, m.state, m.incarnation])), a.lines.filter((l) => l.msg === 'member state' || l.msg === 'gossip rejected').map((l) => JSON.stringify(l)).slice(-12).join('\n'));
  t.true(back, 'r1 alive again everywhere');
  const after = (await r2.members()).find((m) => m.name === 'r1')?.incarnation ?? 0;
  // The second run took the next incarnation block, so nothing the first run said can outrank it.
  t.true(after >= before - (before % INCARNATION_SPAN) + INCARNATION_SPAN, `${before} -> ${after}`);
});

test('two agents on [::1]', async (t) => {
  t.timeout(60_000);
  const org = makeOrg();
  const p0 = hostPort('::1', await freePort('::1'));
  const p1 = hostPort('::1', await freePort('::1'));
  const a = startAgent(t, org, { name: 'six-a', bind: p0, seeds: [] });
  const b = startAgent(t, org, { name: 'six-b', bind: p1, seeds: [p0] });
  t.true(await eventually(() => allSee([a, b], ['six-a', 'six-b'], 'alive'), 20_000));
  t.deepEqual(
    (await a.members()).map((m) => m.addr).sort(),
    [p0, p1].sort(),
  );
  t.regex(p0, /^\[::1\]:\d+$/);
});

test('a node without its identity exits 1 with a line naming the problem', async (t) => {
  t.timeout(60_000);
  const org = makeOrg();
  const host = '127.0.0.1';
  const a = startAgent(t, org, { name: 'lost', bind: hostPort(host, await freePort(host)), seeds: [] }, { node: { name: 'lost', identityDir: join(org.root, 'nowhere') } });
  t.is(await Promise.race([a.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 30_000))]), 1);
  t.like(a.lines.find((l) => l.msg === 'gossip cannot start'), { level: 50, code: 'NO_IDENTITY' } as Partial<LogLine>);
});

const signals = (): NodeJS.Process => new EventEmitter() as unknown as NodeJS.Process;
const NO_HW = {
  boot: false,
  sys: new SysRoot('/'),
  openWatchdog: (): never => {
    throw new Error('no watchdog may be opened here');
  },
  sinceMain: () => 0,
  env: {},
  pid: 1,
  notifier: { enabled: false, send: () => {} },
};

test('in-process daemon: a certificate for another name is refused at start with NAME_MISMATCH', async (t) => {
  const org = makeOrg();
  const { dir } = enrollNode(org, 'real-name');
  const lines: LogLine[] = [];
  const config = parseConfig(JSON.stringify({ node: { name: 'other-name', identityDir: dir }, gossip: { bind: '127.0.0.1:1' }, control: { socket: join(org.root, 'c.sock') } }), 'test');
  const code = await runDaemon(config, 'test', { ...NO_HW, log: createLogger({ format: 'json', write: (s) => lines.push(JSON.parse(s) as LogLine) }), signals: signals() });
  t.is(code, 1);
  t.like(lines.find((l) => l.msg === 'gossip cannot start'), { code: 'NAME_MISMATCH' } as Partial<LogLine>);
});

test('in-process daemon without gossip: the control socket answers status with gossip null and no members', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nogossip-'));
  const socket = join(dir, 'control.sock');
  const sig = signals();
  const config = parseConfig(JSON.stringify({ node: { name: 'solo' }, control: { socket } }), 'test');
  const done = runDaemon(config, 'test', { ...NO_HW, log: createLogger({ format: 'json', level: 'silent' }), signals: sig });
  t.true(await eventually(async () => (await queryControl(socket, 'status')).ok, 5000));
  const st = await queryControl(socket, 'status');
  t.like(st, { ok: true, value: { name: 'solo', gossip: null, watchdog: false } });
  t.deepEqual(await queryControl(socket, 'members'), { ok: true, value: [] });
  (sig as unknown as EventEmitter).emit('SIGTERM');
  t.is(await done, 0);
  const after = await queryControl(socket, 'status', 500);
  t.false(after.ok);
});
