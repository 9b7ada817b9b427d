// Who may fence: only a node that sees a quorum of the last stable membership
// alive (Pacemaker: a partition may fence only while quorate). The stable
// membership is the members seen alive for a settle period; a member leaves
// it only by leaving gracefully or after being dead for `forgetMs`, so a
// partition cannot shrink it to the few members its side still sees and then
// call that a majority.

import type { MemberView } from '../gossip/types.ts';
import type { Fencing } from './types.ts';

export interface QuorumConfig {
  /** A member counts once alive this long (Akka SBR's stable-after is 20 s). */
  settleMs: number;
  /** A member dead this long stops counting: the fleet shrank, not split. */
  forgetMs: number;
  /**
   * Akka SBR's stable-after: act only once the subject has been down this long and no other
   * member changed for this long. A partition is not seen all at once: each far member is
   * suspected when it is next probed, so a view taken at the first death can still count
   * the far side alive. At least one probe round (members x probe interval) covers that.
   */
  stableMs: number;
}

interface Entry {
  /** Since when it has been continuously alive in this node's view; null while suspect, dead or missing. */
  aliveSince: number | null;
  deadSince: number | null;
  stable: boolean;
}

// A suspect does not count: in a partition the far side turns suspect long before it is declared dead.
const isLive = (m: MemberView): boolean => m.state === 'alive';

export class StableMembership {
  private readonly members = new Map<string, Entry>();
  /** The two latest live/down changes, by member: enough to know the latest change of anyone but a given subject. */
  private latest: { name: string; at: number }[] = [];

  private changed(name: string, at: number): void {
    this.latest = [{ name, at }, ...this.latest.filter((c) => c.name !== name)].slice(0, 2);
  }

  /**
   * Whether the view has settled around `subject`'s death: down for stableMs and
   * nobody else changed for stableMs. `wait` is how long until it may have.
   */
  settledAround(subject: string, now: number): { ok: boolean; wait: number; since: number } {
    const e = this.members.get(subject);
    const down = e?.deadSince ?? now;
    const other = this.latest.find((c) => c.name !== subject)?.at ?? Number.NEGATIVE_INFINITY;
    const from = Math.max(down, other) + this.cfg.stableMs;
    return { ok: now >= from, wait: Math.max(0, from - now), since: from };
  }

  constructor(private readonly cfg: QuorumConfig) {}

  /** Feeds this node's current gossip view at `now`. */
  observe(view: readonly MemberView[], now: number): void {
    const seen = new Set<string>();
    for (const m of view) {
      seen.add(m.name);
      let e = this.members.get(m.name);
      if (m.state === 'left') {
        this.members.delete(m.name);
        continue;
      }
      if (!e) {
        e = { aliveSince: null, deadSince: null, stable: false };
        this.members.set(m.name, e);
      }
      if (isLive(m)) {
        if (e.aliveSince === null) this.changed(m.name, now);
        e.aliveSince ??= now;
        e.deadSince = null;
      } else {
        if (e.deadSince === null) this.changed(m.name, now);
        e.aliveSince = null;
        e.deadSince ??= now;
      }
    }
    // A name the view no longer lists is as good as dead to this node.
    for (const [name, e] of this.members) {
      if (seen.has(name)) continue;
      if (e.deadSince === null) this.changed(name, now);
      e.aliveSince = null;
      e.deadSince ??= now;
    }
    this.settle(now);
  }

  /** Moves members in and out of the stable set as their settle and forget periods pass. */
  settle(now: number): void {
    for (const [name, e] of this.members) {
      if (e.aliveSince !== null && now - e.aliveSince >= this.cfg.settleMs) e.stable = true;
      if (e.deadSince !== null && now - e.deadSince >= this.cfg.forgetMs) this.members.delete(name);
    }
  }

  /**
   * Takes the stable membership a previous run persisted (state.dir). Without it a node
   * rebooted inside a partition would build its membership from its own side only and
   * find a majority there; restored members count, as dead, until seen or forgotten.
   */
  restore(names: readonly string[], now: number): void {
    for (const n of names) if (!this.members.has(n)) this.members.set(n, { aliveSince: null, deadSince: now, stable: true });
  }

  /** The last stable membership, sorted. */
  stable(): string[] {
    return [...this.members].filter(([, e]) => e.stable).map(([n]) => n).sort();
  }

  isAlive(name: string): boolean {
    return this.members.get(name)?.aliveSince != null;
  }

  /**
   * The fresh evidence a self-check gathers before acting: which stable members to ping and
   * how many must answer so that, with this node, the quorum is met. The view alone is not
   * enough: Lifeguard slows a node's probing when many probes fail, so the far side of a
   * partition can still look alive in it well after the first death is confirmed.
   */
  quorumPeers(subject: string, self: string, rule: Fencing['quorum']): { peers: string[]; need: number } {
    const stable = this.stable();
    const peers = stable.filter((n) => n !== subject && n !== self);
    const of = stable.length;
    const total = rule === 'all' ? of - (stable.includes(subject) ? 1 : 0) : Math.floor(of / 2) + 1;
    return { peers, need: Math.max(0, total - (stable.includes(self) ? 1 : 0)) };
  }

  /**
   * Whether this node may fence `subject`: 'majority' needs more than half of the
   * stable members alive in its view (the subject counts in the whole and is dead,
   * so a 2|2 split leaves neither side quorate); 'all' needs every stable member
   * but the subject alive.
   */
  hasQuorum(subject: string, rule: Fencing['quorum']): { ok: boolean; alive: number; of: number } {
    const stable = this.stable();
    const alive = stable.filter((n) => n !== subject && this.isAlive(n)).length;
    const of = stable.length;
    if (of === 0) return { ok: false, alive, of };
    const needed = rule === 'all' ? of - (stable.includes(subject) ? 1 : 0) : Math.floor(of / 2) + 1;
    return { ok: alive >= needed, alive, of };
  }
}
