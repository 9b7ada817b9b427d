// What the demo does to X, and what it measures. Each scenario returns what
// happened (audit entries, power-ons from the BMC's log, times from the
// freeze); the test and the bench judge it.

import { existsSync, readFileSync } from 'node:fs';
import type { AuditEntry } from '../../agent/heal/types.ts';
import { execFileSync, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { HOST_ADDRESS } from '../qemu/net.ts';
import type { DemoFleet } from './fleet.ts';
import { GOSSIP_PORT, X, Y_ADDRESS } from './fleet.ts';

export interface Death {
  /** ms from the freeze: X confirmed dead (first `confirmed` audit line), the lease and decision to act, QEMU gone (the power-off), X alive again in both Y and Z. */
  confirmedMs: number | null;
  actMs: number | null;
  offMs: number | null;
  aliveMs: number | null;
  actors: string[];
  powerOns: number;
  qemuExits: number;
  /** X's incarnation before and after. */
  before: number;
  after: number | null;
  /** Every audit entry about X from Y and Z since the freeze, for the log. */
  audit: (AuditEntry & { by: string })[];
}

const NFT = ['/usr/sbin/nft', '/sbin/nft'].find((p) => existsSync(p)) ?? 'nft';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function powerOns(f: DemoFleet): number {
  try {
    return readFileSync(f.vm.bmc?.powerLog ?? '', 'utf8').split('\n').filter((l) => l.endsWith('power-on')).length;
  } catch {
    return 0;
  }
}

async function until<T>(what: string, ms: number, f: () => Promise<T | null | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`demo: ${what} did not happen within ${ms} ms`);
    await sleep(100);
  }
}

/** X alive and attested in both Y's and Z's views: its incarnation as Y holds it. */
export async function xHealthy(f: DemoFleet, ms = 120_000): Promise<number> {
  return until('X alive and attested on Y and Z', ms, async () => {
    const [a, b] = await Promise.all([f.y.member(X), f.z.member(X)]);
    const peers = await Promise.all([f.y.member('z'), f.z.member('y')]);
    return a?.state === 'alive' && a.attested && b?.state === 'alive' && b.attested && peers.every((p) => p?.state === 'alive' && p.attested) ? a.incarnation : null;
  });
}

export function auditOf(f: DemoFleet, since: number): (AuditEntry & { by: string })[] {
  return [...f.y.audit().map((e) => ({ ...e, by: 'y' })), ...f.z.audit().map((e) => ({ ...e, by: 'z' }))].filter((e) => e.at >= since).sort((a, b) => a.at - b.at);
}

async function rejoinedAbove(f: DemoFleet, inc: number, ms: number): Promise<number> {
  return until('X back in gossip at a higher incarnation', ms, async () => {
    const [a, b] = await Promise.all([f.y.member(X), f.z.member(X)]);
    return a?.state === 'alive' && a.incarnation > inc && b?.state === 'alive' && b.incarnation > inc ? a.incarnation : null;
  });
}

/** What the audit logs and the BMC say of one death of X, `t0` being when it was caused. */
function death(f: DemoFleet, m: { t0: number; ons0: number; offMs: number | null; aliveMs: number; exits: number; before: number; after: number }): Death {
  const audit = auditOf(f, m.t0).filter((e) => e.subject === X);
  const confirmed = audit.filter((e) => e.kind === 'confirmed').map((e) => e.at - m.t0);
  const acts = audit.filter((e) => e.kind === 'act');
  return {
    confirmedMs: confirmed.length ? Math.min(...confirmed) : null,
    actMs: acts.length ? Math.min(...acts.map((e) => e.at - m.t0)) : null,
    offMs: m.offMs,
    aliveMs: m.aliveMs,
    actors: acts.map((e) => e.by),
    powerOns: powerOns(f) - m.ons0,
    qemuExits: m.exits,
    before: m.before,
    after: m.after,
    audit,
  };
}

/** QMP stop: X's CPUs, its agent and its watchdog all freeze; only its BMC can bring it back. */
export async function freezeAndHeal(f: DemoFleet): Promise<Death> {
  const before = await xHealthy(f);
  // Past backoffResetSec (10 s in fleet.ts): a new death, not the same one again.
  await sleep(10_500);
  const ons0 = powerOns(f);
  const t0 = Date.now();
  await f.vm.qmp.pause();
  let exits = 0;
  await f.vm.waitForExit(120_000);
  const offMs = Date.now() - t0;
  exits++;
  await f.vm.reconnectQmp(60_000);
  const after = await rejoinedAbove(f, before, 240_000);
  const aliveMs = Date.now() - t0;
  // A second power action would show within the actor delay and a lease: wait it out before counting.
  await sleep(12_000);
  if (f.vm.qmp.isClosed) exits++;
  return death(f, { t0, ons0, offMs, aliveMs, exits, before, after });
}

/**
 * X's agent hangs (SIGSTOP through the debug shell) while its kernel runs: its
 * hardware watchdog resets it. Y and Z grant a node whose attestation says its
 * watchdog is armed `watchdogGraceSec` before acting, so nobody power-cycles it.
 */
export async function hangAgent(f: DemoFleet): Promise<Death> {
  const before = await xHealthy(f);
  await sleep(10_500);
  const ons0 = powerOns(f);
  const mark = f.vm.serial.mark();
  const t0 = Date.now();
  f.vm.sendSerial('kill -STOP $(busybox pidof agent)\n');
  // The watchdog resets the guest: the same QEMU boots again.
  await f.vm.waitForSerial(/agent ready/, 240_000, mark);
  const after = await rejoinedAbove(f, before, 120_000);
  const aliveMs = Date.now() - t0;
  await sleep(5000);
  return death(f, { t0, ons0, offMs: null, aliveMs, exits: f.vm.qmp.isClosed ? 1 : 0, before, after });
}

/**
 * Y cut off from X and Z by nftables in its own namespace (all but X's BMC, both ways) until
 * both sides have noticed (Y no longer holds X alive, Z no longer holds Y alive: Lifeguard
 * slows a node whose probes all fail, so Y can take a while to reach X), then `ms` more: past
 * the actor delay, the time any action would have taken.
 */
export async function partitionY(f: DemoFleet, ms: number): Promise<{ audit: (AuditEntry & { by: string })[]; powerOns: number; qemuAlive: boolean; yView: string; zView: string }> {
  await xHealthy(f);
  const ons0 = powerOns(f);
  const t0 = Date.now();
  const bmcPort = f.vm.bmc?.port ?? 0;
  // By path: under npm scripts node_modules/.bin comes first in PATH, and @vercel/nft installs a `nft` there.
  const nft = (script: string): void => void execFileSync('ip', ['netns', 'exec', f.yNs, NFT, '-f', '-'], { input: script, timeout: 10_000, stdio: ['pipe', 'ignore', 'pipe'] });
  // Everything in and out of Y's namespace is dropped but X's BMC: the worst case, a cut-off node that could still fence.
  nft(
    [
      'table inet heal_demo {',
      `  chain in { type filter hook input priority 0; iif lo accept; udp sport ${bmcPort} accept; drop; }`,
      `  chain out { type filter hook output priority 0; oif lo accept; udp dport ${bmcPort} accept; drop; }`,
      '}',
    ].join('\n'),
  );
  try {
    const lost = async (a: DemoFleet['y'], name: string): Promise<boolean> => (await a.member(name))?.state !== 'alive';
    const view = async (a: DemoFleet['y']): Promise<string> => (await a.members()).map((m) => `${m.name}=${m.state}`).sort().join(' ');
    try {
      await until('both sides of the partition noticing it', 120_000, async () => (await lost(f.y, X)) && (await lost(f.z, 'y')));
    } catch (e) {
      throw new Error(`${(e as Error).message}; Y sees ${await view(f.y)}; Z sees ${await view(f.z)}`);
    }
    await sleep(ms);
    const [yView, zView] = await Promise.all([view(f.y), view(f.z)]);
    return { audit: auditOf(f, t0), powerOns: powerOns(f) - ons0, qemuAlive: !f.vm.qmp.isClosed, yView, zView };
  } finally {
    nft('delete table inet heal_demo');
  }
}

const REPO = resolve(import.meta.dirname, '../..');

export interface LiarRun {
  sent: { rounds: number; deaths: number; ownLeases: number; forgedLeases: number } | null;
  stop(): Promise<void>;
}

/** Starts the liar (liar.ts) in the namespace: it lies about X for `seconds`, naming `forged` as the signer of its forged lease. */
export function startLiar(f: DemoFleet, seconds: number, forged = 'y'): LiarRun {
  const seeds = [`${Y_ADDRESS}:${GOSSIP_PORT.y}`, `${HOST_ADDRESS}:${GOSSIP_PORT.z}`].join(',');
  const argv = [...f.net.exec, process.execPath, '--import', 'tsx', join(REPO, 'tools/demo/liar.ts'), join(f.dir, 'l', 'identity'), `${HOST_ADDRESS}:${GOSSIP_PORT.l}`, seeds, X, forged, String(seconds)];
  const child = spawn(argv[0] as string, argv.slice(1), { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const run: LiarRun = {
    sent: null,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      try {
        run.sent = JSON.parse(out.trim().split('\n').pop() ?? '') as LiarRun['sent'];
      } catch {
        run.sent = null;
      }
    },
  };
  void exited.then(() => {
    try {
      run.sent = JSON.parse(out.trim().split('\n').pop() ?? '') as LiarRun['sent'];
    } catch {
      // Killed before it printed.
    }
  });
  return run;
}

/** The liar lies about a healthy X for `seconds`: X must stay alive, nobody confirms it dead or acts. */
export async function liarAgainstHealthy(f: DemoFleet, seconds: number): Promise<{ sent: LiarRun['sent']; audit: (AuditEntry & { by: string })[]; powerOns: number; xDeadSeen: boolean; liarSeen: boolean }> {
  await xHealthy(f);
  const ons0 = powerOns(f);
  const t0 = Date.now();
  const liar = startLiar(f, seconds);
  let xDeadSeen = false;
  let liarSeen = false;
  const end = Date.now() + seconds * 1000 + 30_000;
  while (Date.now() < end && liar.sent === null) {
    const [a, b, l] = await Promise.all([f.y.member(X), f.z.member(X), f.y.member('l')]);
    if (a?.state === 'dead' || b?.state === 'dead') xDeadSeen = true;
    if (l?.state === 'alive') liarSeen = true;
    await sleep(200);
  }
  await liar.stop();
  return { sent: liar.sent, audit: auditOf(f, t0), powerOns: powerOns(f) - ons0, xDeadSeen, liarSeen };
}
