// Our agents: `agent run --config FILE`, agent nK on 127.0.1.K:7946, each with
// its own org-signed identity. Timing comes from the agents' JSON log lines
// ({"time": ms, "msg": "member state", "member", "from", "to"}), stamped by the
// agent itself when the state changes.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Side } from './side.ts';
import type { MemberState } from './tracker.ts';

const PORT = 7946;
const STATES: readonly string[] = ['alive', 'suspect', 'dead', 'left'] satisfies MemberState[];

export const ourAddr = (index: number): string => `127.0.1.${index}`;

interface StateLine {
  msg: 'member state';
  member: string;
  to: MemberState;
  time?: number;
  incarnation?: number;
}

function isStateLine(v: unknown): v is StateLine {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const optionalNumber = (x: unknown): boolean => x === undefined || (typeof x === 'number' && Number.isFinite(x));
  return o.msg === 'member state' && typeof o.member === 'string' && typeof o.to === 'string' && STATES.includes(o.to) && optionalNumber(o.time) && optionalNumber(o.incarnation);
}

interface MemberRow {
  name: string;
  state: string;
}

function memberRows(v: unknown): MemberRow[] | null {
  const list = Array.isArray(v) ? v : typeof v === 'object' && v !== null ? (v as { members?: unknown }).members : undefined;
  if (!Array.isArray(list)) return null;
  const rows: MemberRow[] = [];
  for (const m of list) {
    if (typeof m !== 'object' || m === null) return null;
    const { name, state } = m as { name?: unknown; state?: unknown };
    if (typeof name !== 'string' || typeof state !== 'string') return null;
    rows.push({ name, state });
  }
  return rows;
}

export class OurSide extends Side {
  constructor(
    private readonly exec: string[],
    /** argv prefix of the agent CLI: ['dist/agent'] or ['node', '--import', 'tsx', 'agent/main.ts']. */
    private readonly agent: string[],
    private readonly work: string,
    count: number,
  ) {
    super(
      'ours',
      Array.from({ length: count }, (_, i) => `n${i + 1}`),
    );
  }

  private index(name: string): number {
    return this.names.indexOf(name) + 1;
  }

  private dir(name: string): string {
    return join(this.work, name);
  }

  private cli(args: string[]): string {
    const [cmd, ...rest] = this.agent;
    return execFileSync(cmd ?? 'agent', [...rest, ...args], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** One org and an enrolled identity plus a config file per agent. */
  prepare(): void {
    const org = join(this.work, 'org');
    this.cli(['org', 'init', '--out', org]);
    for (const name of this.names) {
      const dir = this.dir(name);
      this.cli(['enroll', '--org', org, '--name', name, '--out', dir]);
      mkdirSync(join(dir, 'state'), { recursive: true });
      const config = {
        node: { name, identityDir: dir },
        gossip: {
          bind: `${ourAddr(this.index(name))}:${PORT}`,
          seeds: this.names.filter((n) => n !== name).map((n) => `${ourAddr(this.index(n))}:${PORT}`),
          orgKey: join(org, 'org.pub'),
        },
        state: { dir: join(dir, 'state') },
        control: { socket: join(dir, 'control.sock') },
      };
      writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    }
  }

  protected argv(name: string): string[] {
    return [...this.exec, ...this.agent, 'run', '--config', join(this.dir(name), 'config.json')];
  }

  protected parse(name: string, line: string, at: number): void {
    if (!line.includes('"member state"')) return;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      return;
    }
    if (!isStateLine(doc)) return;
    const when = doc.time ?? at;
    this.tracker.record({ observer: name, member: doc.member, state: doc.to, at: when });
    // Every observer logs each suspicion it hears; one member suspected at one incarnation is one suspicion.
    if (doc.to === 'suspect') this.tracker.count('suspicion', when, `${doc.member}/${doc.incarnation ?? when}`);
  }

  /** Each running agent's `agent members --json` against the log-derived view; returns the disagreements. */
  crossCheck(): string[] {
    const out: string[] = [];
    for (const name of this.running()) {
      let rows: MemberRow[] | null;
      try {
        rows = memberRows(JSON.parse(this.cli(['members', '--json', '--socket', join(this.dir(name), 'control.sock')])));
      } catch (err) {
        out.push(`${name}: agent members failed: ${(err as Error).message.split('\n')[0] ?? ''}`);
        continue;
      }
      if (!rows) {
        out.push(`${name}: agent members --json printed an unexpected shape`);
        continue;
      }
      for (const m of rows) {
        if (m.name === name) continue;
        const logged = this.tracker.stateOf(name, m.name);
        if (logged !== m.state) out.push(`${name} sees ${m.name}: members ${m.state}, log ${logged ?? 'nothing'}`);
      }
    }
    return out;
  }
}
