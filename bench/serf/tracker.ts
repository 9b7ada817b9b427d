// What each agent (the observer) believes about each member, fed from the
// agents' own log lines as they arrive. Both sides are judged by the same
// record: "dead" means serf's EventMemberFailed or our "to":"dead" line.

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export interface Observation {
  observer: string;
  member: string;
  state: MemberState;
  /** ms since the epoch. */
  at: number;
}

export class Tracker {
  private readonly views = new Map<string, Map<string, MemberState>>();
  readonly log: Observation[] = [];
  /** Side-specific signals (suspicions, TCP fallback probes) that are not state changes. */
  private readonly signals: { what: string; at: number; key: string | null }[] = [];

  /** A (re)started observer: it knows nothing yet. */
  reset(observer: string): void {
    this.views.set(observer, new Map());
  }

  /** A killed observer: its beliefs no longer count. */
  forget(observer: string): void {
    this.views.delete(observer);
  }

  record(o: Observation): void {
    this.log.push(o);
    this.views.get(o.observer)?.set(o.member, o.state);
  }

  /** One `what` signal; signals with the same `key` count once (one suspicion heard by every observer). */
  count(what: string, at: number, key: string | null = null): void {
    this.signals.push({ what, at, key });
  }

  /** How many distinct `what` signals were counted in [from, to). */
  counted(what: string, from: number, to = Infinity): number {
    const hits = this.signals.filter((s) => s.what === what && s.at >= from && s.at < to);
    const keyed = new Set(hits.flatMap((s) => (s.key === null ? [] : [s.key])));
    return keyed.size + hits.filter((s) => s.key === null).length;
  }

  /** What `observer` last logged about `member`, if it is running and logged anything. */
  stateOf(observer: string, member: string): MemberState | undefined {
    return this.views.get(observer)?.get(member);
  }

  /** Every live observer among `names` sees every other name alive. */
  converged(names: readonly string[]): boolean {
    return this.gaps(names).length === 0;
  }

  /** "observer: member state" for every pair that keeps `names` from having converged. */
  gaps(names: readonly string[]): string[] {
    return names.flatMap((o) => {
      const view = this.views.get(o);
      if (view === undefined) return [`${o}: not running`];
      return names.filter((m) => m !== o && view.get(m) !== 'alive').map((m) => `${o}: ${m} ${view.get(m) ?? 'unknown'}`);
    });
  }

  /** Per observer, the first time at or after `since` it marked `member` dead. */
  deadAt(member: string, since: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const o of this.log) {
      if (o.member === member && o.state === 'dead' && o.at >= since && !out.has(o.observer)) out.set(o.observer, o.at);
    }
    return out;
  }

  /** Dead marks in [from, to) about members not in `killed`. */
  falseDeaths(from: number, to: number, killed: ReadonlySet<string>): Observation[] {
    return this.log.filter((o) => o.state === 'dead' && o.at >= from && o.at < to && !killed.has(o.member));
  }
}
