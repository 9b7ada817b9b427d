// One side of the comparison: N agents of one implementation inside the
// namespace, each spawned guarded (it dies with the bench) and read line by
// line, so every membership change is timed as it is logged.

import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawnTracked, type Spawned } from '../../tools/qemu/reaper.ts';
import { Tracker } from './tracker.ts';

/** Lines kept per agent for the error message when one exits on its own. */
const TAIL_LINES = 20;

export interface AgentProc {
  proc: Spawned;
  tail: string[];
  /** Set when the bench itself killed it. */
  killed: boolean;
}

export abstract class Side {
  readonly tracker = new Tracker();
  protected readonly procs = new Map<string, AgentProc>();
  /** Agents that exited without being killed, with their last lines. */
  readonly crashes: string[] = [];

  /** Where each agent's lines are appended (LABEL-NAME.log), or null. */
  logDir: string | null = null;

  constructor(
    readonly label: string,
    readonly names: readonly string[],
  ) {}

  /** argv (already inside the namespace) that runs agent `name`. */
  protected abstract argv(name: string): string[];
  /** Turns one log line of observer `name` into tracker records; `at` is the line's arrival time. */
  protected abstract parse(name: string, line: string, at: number): void;
  /** Asks each running agent for its member list and returns where it disagrees with the logged view. */
  abstract crossCheck(): string[];

  start(name: string): void {
    if (this.procs.has(name)) throw new Error(`${this.label}: ${name} is already running`);
    this.tracker.reset(name);
    const proc = spawnTracked(`${this.label} ${name}`, this.argv(name), { stdio: ['ignore', 'pipe', 'pipe'] });
    const entry: AgentProc = { proc, tail: [], killed: false };
    this.procs.set(name, entry);
    const file = this.logDir === null ? null : createWriteStream(join(this.logDir, `${this.label}-${name}.log`), { flags: 'a' });
    // 'close' comes after both pipes ended, so no line arrives after the file is closed.
    proc.child.once('close', () => file?.end());
    file?.on('error', (err) => this.crashes.push(`${this.label} ${name}: log file: ${err.message}`));
    for (const stream of [proc.child.stdout, proc.child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        const at = Date.now();
        entry.tail.push(line);
        if (entry.tail.length > TAIL_LINES) entry.tail.shift();
        file?.write(`${line}\n`);
        this.parse(name, line, at);
      });
    }
    void proc.exited.then((how) => {
      if (this.procs.get(name) === entry) this.procs.delete(name);
      this.tracker.forget(name);
      if (!entry.killed) this.crashes.push(`${this.label} ${name} exited (${how}):\n  ${entry.tail.join('\n  ')}`);
    });
  }

  /** SIGKILLs `name`; returns the moment of the kill (ms since the epoch). */
  kill(name: string): number {
    const entry = this.procs.get(name);
    if (!entry) throw new Error(`${this.label}: ${name} is not running`);
    entry.killed = true;
    this.procs.delete(name);
    this.tracker.forget(name);
    const at = Date.now();
    process.kill(entry.proc.pid, 'SIGKILL');
    return at;
  }

  /** SIGKILLs every running agent at once and waits until they are gone, so their ports are free for a fresh cluster. */
  async killAll(): Promise<void> {
    const gone = [...this.procs.values()].map((e) => e.proc.exited);
    for (const name of this.running()) this.kill(name);
    await Promise.all(gone);
  }

  running(): string[] {
    return [...this.procs.keys()];
  }

  /** Resident set size of each running agent, KiB (0 for one that just exited). */
  rssKiB(): number[] {
    return [...this.procs.values()].map(({ proc }) => {
      try {
        const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
        return m ? Number(m[1]) : 0;
      } catch {
        return 0;
      }
    });
  }

  async stopAll(): Promise<void> {
    const all = [...this.procs.values()];
    for (const e of all) e.killed = true;
    this.procs.clear();
    await Promise.all(all.map((e) => e.proc.stop(2000)));
  }
}
