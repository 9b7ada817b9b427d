import test from 'ava';
import { EventEmitter } from 'node:events';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runDaemon } from '../../agent/daemon/run.ts';
import { parseConfig, type AgentConfig } from '../../agent/daemon/config.ts';
import type { Notifier } from '../../agent/daemon/notify.ts';
import { createLogger } from '../../agent/log.ts';
import { notifySocket } from '../helpers/notify-socket.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';

/** No watchdog configured and no preboot stages: nothing may touch hardware. */
const NO_HW = {
  boot: false,
  sys: new SysRoot('/nonexistent'),
  openWatchdog: (): never => {
    throw new Error('no watchdog may be opened here');
  },
  sinceMain: () => 0,
};

/** A config whose control socket lives in a fresh temp dir, so tests never touch /run. */
function config(name: string): AgentConfig {
  const socket = join(mkdtempSync(join(tmpdir(), 'run-ctl-')), 'c.sock');
  return parseConfig(JSON.stringify({ node: { name }, control: { socket } }), 'test');
}

function recorder(fail = false): Notifier & { sent: string[] } {
  const sent: string[] = [];
  return {
    enabled: true,
    sent,
    send(f) {
      if (fail) throw new Error('socket gone');
      sent.push(Object.entries(f).map(([k, v]) => `${k}=${v}`).join(' '));
    },
  };
}

test('lifecycle: READY, WATCHDOG pings at half WATCHDOG_USEC, STOPPING on SIGTERM', async (t) => {
  const lines: string[] = [];
  const signals = new EventEmitter() as unknown as NodeJS.Process;
  const n = recorder();
  const done = runDaemon(config('n1'), 'test', { ...NO_HW, log: createLogger({ format: 'json', write: (s) => lines.push(s) }), notifier: n, env: { WATCHDOG_USEC: '100000' }, pid: 1, signals });
  await new Promise((r) => setTimeout(r, 300));
  (signals as unknown as EventEmitter).emit('SIGTERM');
  t.is(await done, 0);
  t.is(n.sent[0], 'READY=1 STATUS=running as n1');
  const pings = n.sent.filter((s) => s === 'WATCHDOG=1').length;
  // A loaded machine fires timers late, never early: at least two, at most the schedule allows.
  t.true(pings >= 2 && pings <= 6, `${pings} pings in 300 ms at 50 ms`);
  t.is(n.sent.at(-1), 'STOPPING=1 STATUS=stopping on SIGTERM');
  const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
  t.deepEqual(msgs, ['agent starting', 'agent ready', 'agent stopped']);
  t.true(lines[0]?.includes('"watchdog":false'));
  // No ping after stop.
  const count = n.sent.length;
  await new Promise((r) => setTimeout(r, 120));
  t.is(n.sent.length, count);
});

test('a notifier that throws is logged, never fatal', async (t) => {
  const lines: string[] = [];
  const signals = new EventEmitter() as unknown as NodeJS.Process;
  const done = runDaemon(config('n1'), 'test', { ...NO_HW, log: createLogger({ format: 'json', write: (s) => lines.push(s) }), notifier: recorder(true), env: {}, pid: 1, signals });
  (signals as unknown as EventEmitter).emit('SIGINT');
  t.is(await done, 0);
  t.true(lines.some((l) => l.includes('sd_notify failed')));
});

const built = resolve('dist/agent');

test('the single binary under a real notify socket: READY, pings, STOPPING, exit 0', async (t) => {
  if (!existsSync(built)) return t.fail('dist/agent missing: run make build');
  const dir = mkdtempSync(join(tmpdir(), 'run-'));
  const cfg = join(dir, 'agent.json');
  writeFileSync(cfg, JSON.stringify({ node: { name: 'sea-node' }, control: { socket: join(dir, 'c.sock') } }));
  const sock = await notifySocket(join(dir, 'notify'));
  const child = spawn(built, ['run', '--config', cfg], { env: { NOTIFY_SOCKET: join(dir, 'notify'), WATCHDOG_USEC: '200000', FORTROS_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const [ready] = await sock.waitFor(1, 15_000);
    t.is(ready, 'READY=1\nSTATUS=running as sea-node\n');
    await sock.waitFor(3, 5_000);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    t.is(code, 0);
    await sock.waitFor(sock.datagrams.length, 1000);
    t.is(sock.datagrams.at(-1), 'STOPPING=1\nSTATUS=stopping on SIGTERM\n');
    t.true(sock.datagrams.slice(1, -1).every((d) => d === 'WATCHDOG=1\n'));
  } finally {
    child.kill('SIGKILL');
    sock.close();
  }
});

test('run: a bad config exits 1 with one line naming the file; no flags is a usage error', async (t) => {
  if (!existsSync(built)) return t.fail('dist/agent missing: run make build');
  const dir = mkdtempSync(join(tmpdir(), 'run-'));
  const cfg = join(dir, 'agent.json');
  writeFileSync(cfg, '{"node":{"name":"x"},"gosip":{}}');
  const run = (args: string[]) =>
    new Promise<{ code: number | null; err: string }>((r) => {
      const c = spawn(built, args, { env: { FORTROS_LOG_FORMAT: 'json' } });
      let err = '';
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.on('exit', (code) => r({ code, err }));
    });
  const bad = await run(['run', '--config', cfg]);
  t.is(bad.code, 1);
  t.true(bad.err.includes(`agent run: ${cfg}: unknown key gosip`), bad.err);
  const none = await run(['run']);
  t.is(none.code, 2);
  t.is(none.err, 'agent run: give exactly one of --config FILE and --boot\n');
});
