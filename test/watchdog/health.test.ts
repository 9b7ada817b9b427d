import test from 'ava';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateHealth, type HealthInputs } from '../../agent/watchdog/health.ts';
import { runCheck, type CheckSpec } from '../../agent/watchdog/checks.ts';
import { Stages } from '../../agent/watchdog/stages.ts';
import { Feeder } from '../../agent/watchdog/feeder.ts';
import { createLogger } from '../../agent/log.ts';

const base = (over: Partial<HealthInputs> = {}): HealthInputs => ({
  now: 10_000,
  loopLagMs: 5,
  maxLoopLagMs: 1000,
  subsystems: new Map(),
  checks: new Map(),
  maxCheckAgeMs: 5000,
  stages: new Map(),
  ...over,
});

test('healthy when nothing says otherwise', (t) => {
  t.deepEqual(evaluateHealth(base()), { healthy: true, reasons: [] });
});

test('each input can make the node unhealthy, with a reason naming it', (t) => {
  const cases: [Partial<HealthInputs>, RegExp][] = [
    [{ loopLagMs: 1500 }, /event loop stalled 1500 ms/],
    [{ subsystems: new Map([['gossip', { lastBeat: 1000, maxAgeMs: 5000 }]]) }, /subsystem gossip silent for 9000 ms/],
    [{ checks: new Map([['file /run/ok', undefined]]) }, /check file \/run\/ok has not reported yet/],
    [{ checks: new Map([['file /run/ok', { ok: true, at: 1000, detail: 'exists' }]]) }, /check file \/run\/ok stale/],
    [{ checks: new Map([['command /bin/false', { ok: false, at: 9999, detail: 'exit 1' }]]) }, /check command \/bin\/false failed: exit 1/],
    [{ stages: new Map([['probe', { deadline: 9000, deadlineMs: 2000 }]]) }, /boot stage probe overran its 2000 ms deadline/],
  ];
  for (const [over, re] of cases) {
    const v = evaluateHealth(base(over));
    t.false(v.healthy, String(re));
    t.regex(v.reasons.join('\n'), re);
  }
});

test('fuzz: healthy exactly when no reason is given', (t) => {
  fc.assert(
    fc.property(fc.nat(5000), fc.nat(5000), fc.nat(20_000), fc.boolean(), (lag, max, at, ok) => {
      const v = evaluateHealth(base({ loopLagMs: lag, maxLoopLagMs: max, checks: new Map([['c', { ok, at, detail: '' }]]) }));
      return v.healthy === (v.reasons.length === 0) && v.healthy === (lag <= max && ok && 10_000 - at <= 5000);
    }),
  );
  t.pass();
});

test('checks against real files, processes and sockets, each bounded', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checks-'));
  const now = (): number => Date.now();
  fs.writeFileSync(path.join(dir, 'ok'), '');
  t.true((await runCheck({ kind: 'file', path: path.join(dir, 'ok') }, now)).ok);
  t.regex((await runCheck({ kind: 'file', path: path.join(dir, 'nope') }, now)).detail, /ENOENT/);
  t.true((await runCheck({ kind: 'command', argv: ['/bin/true'], timeoutSec: 5 }, now)).ok);
  t.is((await runCheck({ kind: 'command', argv: ['/bin/false'], timeoutSec: 5 }, now)).detail, 'exit 1');
  const t0 = Date.now();
  const hung = await runCheck({ kind: 'command', argv: ['/bin/sleep', '30'], timeoutSec: 0.3 }, now);
  t.false(hung.ok);
  t.regex(hung.detail, /timeout/);
  t.true(Date.now() - t0 < 5000);
  t.false((await runCheck({ kind: 'command', argv: ['/nonexistent/cmd'], timeoutSec: 1 }, now)).ok);
  const sock = path.join(dir, 'health.sock');
  const server = net.createServer((c) => c.end()).listen(sock);
  await new Promise((r) => server.once('listening', r));
  t.true((await runCheck({ kind: 'socket', path: sock, timeoutSec: 2 }, now)).ok);
  server.close();
  t.false((await runCheck({ kind: 'socket', path: path.join(dir, 'none.sock'), timeoutSec: 2 }, now)).ok);
});

test('stages: within the deadline forgotten, overrun kept even after it ends', async (t) => {
  let clock = 0;
  const s = new Stages({ probe: 100, policy: 100 }, () => clock);
  await s.run('probe', () => {
    clock += 50;
  });
  t.is(s.current.size, 0);
  await s.run('policy', () => {
    clock += 150;
  });
  t.deepEqual([...s.current.keys()], ['policy']);
  await s.run('unlock', () => {
    clock += 10_000;
  });
  t.deepEqual([...s.current.keys()], ['policy'], 'a stage without a deadline is only timed');
});

function feeder(over: { checks?: CheckSpec[]; maxLoopLagMs?: number; stages?: Stages }) {
  const lines: string[] = [];
  let fed = 0;
  const f = new Feeder({
    device: { keepalive: () => void fed++ },
    feedIntervalMs: 50,
    maxLoopLagMs: over.maxLoopLagMs ?? 1000,
    checks: over.checks ?? [],
    checkIntervalMs: 50,
    stages: over.stages ?? new Stages({}, () => performance.now()),
    log: createLogger({ format: 'json', write: (s) => lines.push(s) }),
    now: () => performance.now(),
  });
  return { f, lines, fed: () => fed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('feeder: feeds while healthy, stops when a check fails, resumes when it passes', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feed-'));
  const flag = path.join(dir, 'healthy');
  fs.writeFileSync(flag, '');
  const { f, lines, fed } = feeder({ checks: [{ kind: 'file', path: flag }] });
  f.start();
  await sleep(400);
  t.true(fed() >= 2, `fed ${fed()}`);
  fs.rmSync(flag);
  // Long enough for a check to see the file gone even when CI's QEMU runs starve this loop.
  await sleep(500);
  const before = fed();
  await sleep(400);
  t.is(fed(), before, 'no feeding while the check fails');
  t.true(lines.some((l) => l.includes('watchdog not fed: node unhealthy') && l.includes('ENOENT')));
  fs.writeFileSync(flag, '');
  await sleep(400);
  f.stop();
  t.true(fed() > before);
  t.true(lines.some((l) => l.includes('node healthy again')));
});

test('feeder: a stalled event loop skips the feed', async (t) => {
  const { f, lines, fed } = feeder({ maxLoopLagMs: 100 });
  f.start();
  await sleep(200);
  const spin = performance.now() + 400;
  while (performance.now() < spin) {
    // The stall under test: nothing runs, as in a wedged agent.
  }
  await sleep(120);
  f.stop();
  t.true(lines.some((l) => l.includes('event loop stalled')), lines.join(''));
  t.true(fed() >= 1);
});

test('feeder: a silent subsystem stops the feeding until it beats', async (t) => {
  const { f, fed } = feeder({});
  f.register('gossip', 150);
  f.start();
  await sleep(400);
  const stalled = fed();
  await sleep(300);
  t.is(fed(), stalled);
  f.beat('gossip');
  await sleep(300);
  f.stop();
  t.true(fed() > stalled);
});
