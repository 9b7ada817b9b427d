// HashiCorp serf (memberlist with Lifeguard), default LAN profile. Agent sK
// binds 127.0.0.K:7946 and its RPC to 127.0.0.K:7373.
//
// Timing comes from the agent's stdout, timestamped on arrival: serf logs
// "serf: EventMemberFailed: NAME ADDR" the moment memberlist tells it, while
// an event handler (-event-handler member-failed=...) only runs after serf's
// member-event coalescing (it fired about a second later, at the same instant
// on every agent, when checked), and serf's own log stamps have 1 s resolution.

import { execFileSync } from 'node:child_process';
import { Side } from './side.ts';
import type { MemberState } from './tracker.ts';

const PORT = 7946;
const RPC_PORT = 7373;
/** Retries of the initial join, 1 s apart: the first agents start before their peers listen. */
const RETRY_MAX = 60;

const EVENTS: Record<string, MemberState> = { Join: 'alive', Update: 'alive', Failed: 'dead', Leave: 'left', Reap: 'left' };
const EVENT_LINE = /\[INFO\] serf: EventMember(Join|Update|Failed|Leave|Reap): (\S+)/;
/** memberlist's own probe gave up on a member and starts suspicion (serf still reports it alive); suspicions heard by gossip are not logged. */
const SUSPECT_LINE = /memberlist: Suspect (\S+) has failed, no acks received/;
/** The UDP probe and the indirect probes failed, the TCP fallback ping got through. */
const TCP_FALLBACK_LINE = /memberlist: Was able to connect to (\S+) but other probes failed/;
const REFUTE_LINE = /memberlist: Refuting a (suspect|dead) message/;

export const serfAddr = (index: number): string => `127.0.0.${index}`;

interface SerfMembers {
  members: { name: string; status: string }[];
}

function isSerfMembers(v: unknown): v is SerfMembers {
  if (typeof v !== 'object' || v === null || !Array.isArray((v as { members?: unknown }).members)) return false;
  return (v as { members: unknown[] }).members.every(
    (m) => typeof m === 'object' && m !== null && typeof (m as { name?: unknown }).name === 'string' && typeof (m as { status?: unknown }).status === 'string',
  );
}

export class SerfSide extends Side {
  constructor(
    private readonly exec: string[],
    count: number,
  ) {
    super(
      'serf',
      Array.from({ length: count }, (_, i) => `s${i + 1}`),
    );
  }

  private index(name: string): number {
    return this.names.indexOf(name) + 1;
  }

  protected argv(name: string): string[] {
    const i = this.index(name);
    const joins = this.names.filter((n) => n !== name).flatMap((n) => ['-retry-join', `${serfAddr(this.index(n))}:${PORT}`]);
    return [
      ...this.exec,
      'serf',
      'agent',
      '-node',
      name,
      '-bind',
      `${serfAddr(i)}:${PORT}`,
      '-rpc-addr',
      `${serfAddr(i)}:${RPC_PORT}`,
      ...joins,
      '-retry-interval',
      '1s',
      '-retry-max',
      String(RETRY_MAX),
    ];
  }

  protected parse(name: string, line: string, at: number): void {
    const ev = EVENT_LINE.exec(line);
    if (ev) {
      const state = EVENTS[ev[1] ?? ''];
      if (state) this.tracker.record({ observer: name, member: ev[2] ?? '', state, at });
      return;
    }
    if (SUSPECT_LINE.test(line)) this.tracker.count('suspicion', at);
    else if (TCP_FALLBACK_LINE.test(line)) this.tracker.count('tcp-fallback-ping', at);
    else if (REFUTE_LINE.test(line)) this.tracker.count('refutation', at);
  }

  /** Each running agent's `serf members` over RPC against the log-derived view; returns the disagreements. */
  crossCheck(): string[] {
    const out: string[] = [];
    for (const name of this.running()) {
      let doc: unknown;
      try {
        const text = execFileSync(
          this.exec[0] ?? 'ip',
          [...this.exec.slice(1), 'serf', 'members', '-rpc-addr', `${serfAddr(this.index(name))}:${RPC_PORT}`, '-format', 'json'],
          { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        doc = JSON.parse(text);
      } catch (err) {
        out.push(`${name}: serf members failed: ${(err as Error).message.split('\n')[0] ?? ''}`);
        continue;
      }
      if (!isSerfMembers(doc)) {
        out.push(`${name}: serf members printed an unexpected shape`);
        continue;
      }
      for (const m of doc.members) {
        const logged = this.tracker.stateOf(name, m.name);
        const rpc = m.status === 'failed' ? 'dead' : m.status;
        if (logged !== rpc) out.push(`${name} sees ${m.name}: rpc ${m.status}, log ${logged ?? 'nothing'}`);
      }
    }
    return out;
  }
}
