// One host-side agent of the demo (Y or Z): its process, its JSON log lines,
// its members through the control socket and its heal audit log.

import type { ChildProcess } from 'node:child_process';
import { queryControl } from '../../agent/daemon/control.ts';
import type { MemberView } from '../../agent/gossip/types.ts';
import { readAudit } from '../../agent/heal/audit.ts';
import type { AuditEntry } from '../../agent/heal/types.ts';

export interface LogLine {
  msg: string;
  time: number;
  [k: string]: unknown;
}

/** Calls `onLine` with each whole line a process writes (a child's stderr of JSON log lines). */
export function eachLine(stream: NodeJS.ReadableStream | null, onLine: (text: string) => void): void {
  let partial = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  });
}

export class DemoAgent {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<void>;
  private running = true;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly socket: string,
    readonly stateDir: string,
  ) {
    eachLine(child.stderr, (p) => {
      try {
        this.lines.push(JSON.parse(p) as LogLine);
      } catch {
        // Not a log line (a crash's message): kept out of the parsed lines, which is all the demo reads.
      }
    });
    this.exited = new Promise((r) =>
      child.once('exit', () => {
        this.running = false;
        r();
      }),
    );
  }

  async ready(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.lines.some((l) => l.msg === 'agent ready')) return;
      if (!this.running) throw new Error(`${this.name} exited before it was ready: ${this.lines.slice(-3).map((l) => l.msg).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name}: not ready within ${ms} ms`);
  }

  async members(): Promise<MemberView[]> {
    const r = await queryControl(this.socket, 'members');
    return r.ok ? r.value : [];
  }

  async member(name: string): Promise<MemberView | undefined> {
    return (await this.members()).find((m) => m.name === name);
  }

  /** The audit entries this node wrote (every run of it), verified. */
  audit(): AuditEntry[] {
    const r = readAudit(this.stateDir);
    return r.ok ? r.value.lines.flatMap((l) => (l.type === 'entry' ? [l.entry] : [])) : [];
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(t);
  }

  /** SIGSTOP / SIGCONT: a hung process, as far as its peers can tell. */
  signal(s: NodeJS.Signals): void {
    if (this.running) this.child.kill(s);
  }
}
