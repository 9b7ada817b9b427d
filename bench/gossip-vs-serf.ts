// Failure detection against HashiCorp serf under 20 % UDP loss: N serf agents
// and N of ours in one network namespace whose nftables drops that share of
// UDP. Each round SIGKILLs one agent of each side at the same moment and times
// how long until every survivor marks it dead; then a soak with nobody killed
// counts false deaths. Usage: bench/gossip-vs-serf [--rounds N] [--soak-sec S]
// [--quick] [--sides serf,ours] [--loss P] [--agents N] [--agent-src]
// [--json-out FILE] [--log-dir DIR] [--restart victim|all]. Between rounds
// the victims restart (--restart all: every agent, a fresh cluster). TCP is
// not dropped: both sides push-pull over TCP, and memberlist falls back to a
// TCP ping when UDP probes fail.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { registerCleanup } from '../tools/qemu/reaper.ts';
import { LossyNamespace, reapLeftovers } from './serf/netns.ts';
import { OurSide } from './serf/our-side.ts';
import { SerfSide } from './serf/serf-side.ts';
import type { Side } from './serf/side.ts';
import { table, verdict, type Round, type RunResult, type SideResult } from './serf/summary.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const POLL_MS = 20;
/** After convergence, before a kill: lets the joins' gossip and any pending suspicion die down. */
const SETTLE_MS = 3000;
const PROBE_DATAGRAMS = 2000;
/** How far the measured loss may sit from the configured one (percentage points; binomial sd at 2000 is ~0.9). */
const LOSS_TOLERANCE = 4;

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'soak-sec': { type: 'string', default: '600' },
    quick: { type: 'boolean', default: false },
    sides: { type: 'string', default: 'serf,ours' },
    loss: { type: 'string', default: '20' },
    agents: { type: 'string', default: '8' },
    'agent-src': { type: 'boolean', default: false },
    agent: { type: 'string', default: join(ROOT, 'dist/agent') },
    'detect-timeout-sec': { type: 'string', default: '60' },
    'converge-timeout-sec': { type: 'string', default: '60' },
    'json-out': { type: 'string' },
    'log-dir': { type: 'string' },
    restart: { type: 'string', default: 'victim' },
  },
  strict: true,
});

function int(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`--${name} must be an integer in ${min}..${max}\n`);
    process.exit(2);
  }
  return n;
}

const rounds = int('rounds', opt.rounds, 1, 50);
const soakSec = opt.quick ? 0 : int('soak-sec', opt['soak-sec'], 0, 24 * 3600);
const loss = int('loss', opt.loss, 0, 100);
const agents = int('agents', opt.agents, 3, 100);
const detectTimeoutMs = int('detect-timeout-sec', opt['detect-timeout-sec'], 1, 600) * 1000;
const convergeTimeoutMs = int('converge-timeout-sec', opt['converge-timeout-sec'], 1, 600) * 1000;
const restart = opt.restart;
if (restart !== 'victim' && restart !== 'all') {
  process.stderr.write('--restart takes victim or all\n');
  process.exit(2);
}
const sideNames = (opt.sides ?? '').split(',').filter(Boolean);
if (sideNames.length === 0 || sideNames.some((s) => s !== 'serf' && s !== 'ours')) {
  process.stderr.write('--sides takes serf, ours or serf,ours\n');
  process.exit(2);
}

const say = (msg: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() >= end) return false;
    await sleep(POLL_MS);
  }
  return true;
}

function crashed(sides: Side[]): void {
  const c = sides.flatMap((s) => s.crashes);
  if (c.length) throw new Error(`agents exited on their own:\n${c.join('\n')}`);
}

async function converge(sides: Side[], what: string): Promise<void> {
  const ok = await until(() => sides.every((s) => s.crashes.length > 0 || s.tracker.converged(s.names)), convergeTimeoutMs);
  crashed(sides);
  if (!ok) {
    const late = sides.filter((s) => !s.tracker.converged(s.names)).map((s) => `${s.label} (${s.tracker.gaps(s.names).slice(0, 12).join('; ')})`);
    throw new Error(`${what}: did not converge within ${convergeTimeoutMs / 1000} s: ${late.join(', ')}`);
  }
}

const reaped = reapLeftovers();
if (reaped.length) say(`removed leftover namespaces: ${reaped.join(', ')}`);

const ns = LossyNamespace.create(loss);
const work = mkdtempSync('/tmp/fortros-bench-gossip-');
registerCleanup(`work dir ${work}`, () => rmSync(work, { recursive: true, force: true }));
say(`namespace ${ns.name}, ${loss} % of UDP dropped on loopback input`);

// The drop rule is only trusted once it is seen doing what it says.
const probeOut: unknown = JSON.parse(
  execFileSync(ns.exec[0] ?? 'ip', [...ns.exec.slice(1), process.execPath, '--import', 'tsx', join(ROOT, 'bench/serf/udp-probe.ts'), String(PROBE_DATAGRAMS)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  }),
);
const isProbe = (v: unknown): v is { sent: number; received: number } =>
  typeof v === 'object' && v !== null && typeof (v as { sent?: unknown }).sent === 'number' && typeof (v as { received?: unknown }).received === 'number';
if (!isProbe(probeOut) || probeOut.sent <= 0) throw new Error(`the UDP probe printed ${JSON.stringify(probeOut)}`);
const probe = probeOut;
const measured = (100 * (probe.sent - probe.received)) / probe.sent;
say(`UDP probe: ${probe.received}/${probe.sent} datagrams arrived, ${measured.toFixed(1)} % lost`);
if (Math.abs(measured - loss) > LOSS_TOLERANCE) throw new Error(`the drop rule lost ${measured.toFixed(1)} % instead of ${loss} %: not trusting it`);
const probed = ns.counters();

const sides: Side[] = [];
if (sideNames.includes('serf')) sides.push(new SerfSide(ns.exec, agents));
if (sideNames.includes('ours')) {
  const agentCmd = opt['agent-src'] ? [process.execPath, '--import', 'tsx', join(ROOT, 'agent/main.ts')] : [opt.agent ?? ''];
  const ours = new OurSide(ns.exec, agentCmd, work, agents);
  ours.prepare();
  sides.push(ours);
}

const logDir = opt['log-dir'];
if (logDir !== undefined) {
  mkdirSync(logDir, { recursive: true });
  for (const s of sides) s.logDir = logDir;
}

const results = new Map<Side, SideResult>(
  sides.map((s) => [s, { side: s.label, rounds: [], falseDeathsRounds: 0, falseDeathsSoak: null, suspicionsSoak: null, signals: {}, rssKiB: [], crossCheck: [], crashes: [] }]),
);

try {
  for (const s of sides) for (const n of s.names) s.start(n);
  await converge(sides, 'start');
  say(`converged: ${sides.map((s) => `${s.label} ${s.names.length}/${s.names.length} alive everywhere`).join(', ')}`);
  await sleep(SETTLE_MS);

  for (let r = 0; r < rounds; r++) {
    // The victim rotates over agents 2..N: agent 1, the first started, is never the one killed.
    const victim = (s: Side): string => s.names[1 + (r % (s.names.length - 1))] ?? '';
    // Back to back, so both sides lose their member at the same moment.
    const killedAt = new Map(sides.map((s) => [s, s.kill(victim(s))]));
    const survivors = (s: Side): string[] => s.names.filter((n) => n !== victim(s));
    await until(() => sides.every((s) => s.tracker.deadAt(victim(s), killedAt.get(s) ?? 0).size >= survivors(s).length), detectTimeoutMs);
    for (const s of sides) {
      const t0 = killedAt.get(s) ?? 0;
      const marks = [...s.tracker.deadAt(victim(s), t0)].filter(([o]) => survivors(s).includes(o));
      const times = marks.map(([, at]) => at - t0);
      const first = marks.reduce<[string, number] | null>((a, m) => (a === null || m[1] < a[1] ? m : a), null);
      const round: Round = {
        victim: victim(s),
        detectMs: marks.length === survivors(s).length ? Math.max(...times) : null,
        firstMs: times.length ? Math.min(...times) : null,
        firstObserver: first ? first[0] : null,
        marked: marks.length,
        survivors: survivors(s).length,
      };
      results.get(s)?.rounds.push(round);
      say(`round ${r + 1}/${rounds} ${s.label}: killed ${round.victim}; all ${round.marked}/${round.survivors} marked it dead after ${round.detectMs === null ? 'timeout' : `${round.detectMs} ms`}, first ${round.firstObserver ?? '—'} after ${round.firstMs ?? '—'} ms`);
    }
    const again = r < rounds - 1 || soakSec > 0;
    if (again && restart === 'victim') {
      for (const s of sides) s.start(victim(s));
      await converge(sides, `round ${r + 1} restart of the victims`);
      await sleep(SETTLE_MS);
    }
    // Up to here every dead mark about anyone but the victim is false; a full restart's kills are not.
    const end = Date.now();
    for (const s of sides) {
      const res = results.get(s);
      if (res) res.falseDeathsRounds += s.tracker.falseDeaths(killedAt.get(s) ?? 0, end, new Set([victim(s)])).length;
    }
    if (again && restart === 'all') {
      await Promise.all(sides.map((s) => s.killAll()));
      for (const s of sides) for (const n of s.names) s.start(n);
      await converge(sides, `round ${r + 1} restart of every agent`);
      await sleep(SETTLE_MS);
    }
  }

  if (soakSec > 0) {
    const soakStart = Date.now();
    say(`soak: ${soakSec} s with nobody killed`);
    for (let left = soakSec * 1000; left > 0; left -= 60_000) {
      await sleep(Math.min(left, 60_000));
      crashed(sides);
      say(`soak: ${sides.map((s) => `${s.label} ${s.tracker.falseDeaths(soakStart, Date.now(), new Set()).length} false deaths`).join(', ')}`);
    }
    const soakEnd = Date.now();
    for (const s of sides) {
      const res = results.get(s);
      if (!res) continue;
      const fd = s.tracker.falseDeaths(soakStart, soakEnd, new Set());
      res.falseDeathsSoak = fd.length;
      res.suspicionsSoak = s.tracker.counted('suspicion', soakStart, soakEnd);
      for (const o of fd) say(`false death (${s.label}): ${o.observer} marked ${o.member} dead at ${new Date(o.at).toISOString()}`);
    }
  }

  for (const s of sides) {
    const res = results.get(s);
    if (!res) continue;
    res.rssKiB = s.rssKiB();
    res.crossCheck = s.crossCheck();
    for (const what of ['suspicion', 'tcp-fallback-ping', 'refutation']) res.signals[what] = s.tracker.counted(what, 0);
  }
} finally {
  for (const s of sides) {
    const res = results.get(s);
    if (res) res.crashes = [...s.crashes];
  }
  await Promise.all(sides.map((s) => s.stopAll()));
}

const after = ns.counters();
ns.destroy();
const sideResults = [...results.values()];
const { ratio, verdict: v } = verdict(sideResults);
const run: RunResult = {
  lossPercent: loss,
  measuredLoss: { sent: probe.sent, received: probe.received },
  udpCounters: { seen: after.seen - probed.seen, dropped: after.dropped - probed.dropped },
  soakSec,
  sides: sideResults,
  ratio,
  verdict: v,
};
const agentUdp = run.udpCounters;
process.stdout.write(`\n${table(run)}\n`);
process.stdout.write(
  `agents' UDP on loopback input: ${agentUdp.seen} packets, ${agentUdp.dropped} dropped (${agentUdp.seen ? ((100 * agentUdp.dropped) / agentUdp.seen).toFixed(1) : '0'} %)\n`,
);
for (const r of sideResults) {
  const sig = Object.entries(r.signals)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  if (sig) process.stdout.write(`${r.side} log signals over the run: ${sig}\n`);
  for (const c of r.crossCheck) process.stdout.write(`${r.side} cross-check: ${c}\n`);
  if (r.crossCheck.length === 0) process.stdout.write(`${r.side} cross-check: member lists agree with the logged states\n`);
}
if (opt['json-out']) writeFileSync(opt['json-out'], `${JSON.stringify(run, null, 2)}\n`);
if (v.detection === 'FAIL' || v.falseDeaths === 'FAIL') process.exitCode = 1;
