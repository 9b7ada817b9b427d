// Real `agent run` processes on loopback for the multi-process gossip tests:
// an org and one enrolled identity per agent in a temp directory, a config
// file each, JSON log lines collected from stderr, and every process killed
// in the test's teardown whatever happened.

import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MemberView } from '../../agent/gossip/types.ts';
import { enroll, initOrg, loadOrg, type NodeIdentity } from '../../agent/identity/store.ts';
import { runAgent } from './run.ts';
import { eachLine } from '../../tools/demo/agent.ts';

export interface TestOrg {
  root: string;
  dir: string;
  keys: { privateKey: KeyObject; publicKey: KeyObject };
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** What `agent org init --out ROOT/org` does, in-process. */
export function makeOrg(prefix = 'agents-'): TestOrg {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dir = join(root, 'org');
  must(initOrg(dir));
  return { root, dir, keys: must(loadOrg(dir)) };
}

/** What `agent enroll --org ... --name NAME --out ROOT/NAME/identity` does, in-process; valid from a minute ago for a day. */
export function enrollNode(org: TestOrg, name: string): { dir: string; identity: NodeIdentity } {
  const dir = join(org.root, name, 'identity');
  return { dir, identity: must(enroll(org.keys, name, dir, Math.floor(Date.now() / 1000) - 60, 86_400)) };
}

/** A port free for both UDP and TCP on `host` right now (another process may still take it; the agent's bind error would say so). */
export async function freePort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const u = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const port = await new Promise<number>((r, reject) => {
      u.once('error', reject);
      u.bind(0, host, () => r(u.address().port));
    });
    const tcpFree = await new Promise<boolean>((r) => {
      const s = createServer();
      s.once('error', () => r(false));
      s.listen(port, host, () => s.close(() => r(true)));
    });
    await new Promise<void>((r) => u.close(() => r()));
    if (tcpFree) return port;
  }
  throw new Error(`no port free for UDP and TCP on ${host}`);
}

export const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

export interface LogLine {
  level: number;
  msg: string;
  time: number;
  [k: string]: unknown;
}

export interface AgentSpec {
  name: string;
  /** host:port, e.g. 127.0.0.10:40000 or [::1]:40000 */
  bind: string;
  seeds: string[];
  gossip?: Record<string, number>;
}

const REPO = resolve(import.meta.dirname, '../..');

export class AgentProc {
  readonly lines: LogLine[] = [];
  /** Stderr that was not a JSON log line (a crash's message). */
  readonly raw: string[] = [];
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined = undefined;
  private waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  constructor(
    readonly name: string,
    readonly addr: string,
    readonly socket: string,
    readonly child: ChildProcess,
    readonly configFile: string,
  ) {
    eachLine(child.stderr, (p) => this.line(p));
    this.exited = new Promise((r) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        r(code);
      }),
    );
  }

  private line(text: string): void {
    if (!text.trim()) return;
    let l: LogLine;
    try {
      l = JSON.parse(text) as LogLine;
    } catch {
      this.raw.push(text);
      return;
    }
    this.lines.push(l);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(l)) return true;
      w.resolve(l);
      return false;
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The first log line (already seen or still to come) that matches, or an error after `ms`. */
  waitForLog(pred: (l: LogLine) => boolean, ms: number, what = 'a log line'): Promise<LogLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolveLine, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.name}: no ${what} within ${ms} ms; last lines: ${this.lines.slice(-5).map((x) => x.msg).join(' | ')} ${this.raw.slice(-3).join(' | ')}`));
      }, ms);
      const done = (l: LogLine): void => {
        clearTimeout(timer);
        resolveLine(l);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  /** `agent members --json --socket PATH`, run in-process. */
  async members(): Promise<MemberView[]> {
    const r = await runAgent(['members', '--json', '--socket', this.socket]);
    if (r.code !== 0) throw new Error(`${this.name}: agent members exit ${r.code}: ${r.err}`);
    return JSON.parse(r.out) as MemberView[];
  }

  /** `agent status --json --socket PATH`, run in-process. */
  async status(): Promise<Record<string, unknown>> {
    const r = await runAgent(['status', '--json', '--socket', this.socket]);
    if (r.code !== 0) throw new Error(`${this.name}: agent status exit ${r.code}: ${r.err}`);
    return JSON.parse(r.out) as Record<string, unknown>;
  }

  /** What this agent holds about `name`, or undefined. */
  async stateOf(name: string): Promise<string | undefined> {
    return (await this.members()).find((m) => m.name === name)?.state;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }
}

export interface Cluster {
  org: TestOrg;
  agents: AgentProc[];
}

/** Writes the identity and config of one agent and starts it; the caller's teardown kills it. */
export function startAgent(t: ExecutionContext, org: TestOrg, spec: AgentSpec, extraConfig: Record<string, unknown> = {}): AgentProc {
  const { dir: identityDir } = enrollNode(org, spec.name);
  const home = join(org.root, spec.name);
  mkdirSync(join(home, 'state'), { recursive: true });
  const socket = join(home, 'state', 'control.sock');
  const config = {
    node: { name: spec.name, identityDir },
    gossip: { bind: spec.bind, seeds: spec.seeds, ...spec.gossip },
    control: { socket },
    state: { dir: join(home, 'state') },
    ...extraConfig,
  };
  const file = join(home, 'agent.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return spawnAgent(t, spec.name, spec.bind, file, socket);
}

/** Starts (or starts again, same identity and config) the agent whose config is `file`. */
export function spawnAgent(t: ExecutionContext, name: string, addr: string, file: string, socket: string): AgentProc {
  const child = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts', 'run', '--config', file], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FORTROS_LOG_FORMAT: 'json', FORTROS_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const a = new AgentProc(name, addr, socket, child, file);
  t.teardown(async () => {
    a.kill('SIGKILL');
    await Promise.race([a.exited, new Promise((r) => setTimeout(r, 3000))]);
  });
  return a;
}

/** Polls `cond` every 200 ms until it holds or `ms` pass; returns whether it held. Errors from cond count as false. */
export async function eventually(cond: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await cond()) return true;
    } catch {
      // A daemon not answering yet is the same as the condition not holding yet.
    }
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts agents on 127.0.0.(base+i) with free ports, all seeded with the first; resolves when each logged 'agent ready'. */
export async function startCluster(t: ExecutionContext, names: string[], opts: { base?: number; gossip?: Record<string, number>; org?: TestOrg } = {}): Promise<Cluster> {
  const org = opts.org ?? makeOrg();
  const base = opts.base ?? 10;
  const addrs: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const host = `127.0.0.${base + i}`;
    addrs.push(hostPort(host, await freePort(host)));
  }
  const agents = names.map((name, i) => startAgent(t, org, { name, bind: addrs[i] as string, seeds: [addrs[0] as string], ...(opts.gossip ? { gossip: opts.gossip } : {}) }));
  await Promise.all(agents.map((a) => a.waitForLog((l) => l.msg === 'agent ready', 30_000, "'agent ready'")));
  return { org, agents };
}

/** Every agent lists exactly `names`, all in `state`. */
export async function allSee(agents: AgentProc[], names: string[], state: string): Promise<boolean> {
  for (const a of agents) {
    const ms = await a.members();
    const got = ms.map((m) => `${m.name}:${m.state}`).sort();
    if (got.join(',') !== names.map((n) => `${n}:${state}`).sort().join(',')) return false;
  }
  return true;
}
