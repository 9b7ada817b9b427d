// What a run measures, fed by the cluster's observer calls: convergence of
// the initial join, detection of each kill, deaths of nodes that were alive,
// dissemination of joins and restarts, traffic per node, and rejections.
import type { GossipErrorCode, MemberEvent, Rejection } from '../../agent/gossip/types.ts';
import type { ClusterObserver } from './cluster.ts';
import { summarise, type Summary } from './stats.ts';
import { Traffic, type TrafficReport } from './traffic.ts';

/** What the metrics need to know about the simulated world. */
export interface World {
  isAlive(i: number): boolean;
  indexOfName(name: string): number | undefined;
  readonly size: number;
  /** A partition held at some time in [t - graceMs, t]. */
  partitionedWithin(t: number, graceMs: number): boolean;
}

/** Deaths during a partition and up to this long after it heals are the partition's, not false positives. */
const PARTITION_GRACE_MS = 60_000;

interface KillRecord {
  victim: number;
  at: number;
  pending: Set<number>;
  observers: number;
  firstSuspect: number | null;
  firstDead: number | null;
  allDead: number | null;
  latencies: number[];
}

/**
 * A join or restart, done when every node alive at its start has emitted an
 * alive event for it at its new incarnation. A restart is seen as dead -> alive,
 * so one that comes back before everyone marked it dead stays incomplete for
 * the observers that never did (an incarnation bump on an alive member is no event).
 */
interface SpreadRecord {
  node: number;
  kind: 'join' | 'restart';
  at: number;
  incarnation: number;
  pending: Set<number>;
  done: number | null;
}

export interface DetectionReport {
  kills: number;
  /** Kills that every live node marked dead before the run ended. */
  complete: number;
  /** Observers that never marked their victim dead, summed over kills. */
  missing: number;
  /** Kill until every live node marks the victim dead. */
  all: Summary;
  /** Kill until the first node marks it dead. */
  first: Summary;
  /** Kill until the first suspicion. */
  firstSuspect: Summary;
  /** Per (observer, victim): kill until that observer marks it dead. */
  perObserver: Summary;
}

export interface FalseDeathReport {
  /** (observer, victim) transitions to dead while the victim's process was running, in the measured window. */
  transitions: number;
  victims: number;
  pairs: number;
  /** Transitions to suspect of running nodes (refuted, so harmless, but they cost traffic). */
  suspicions: number;
  /** Deaths during a partition or within a minute after it heals: expected, counted apart. */
  partitionDeaths: number;
  /** Deaths of running nodes while the cluster was still forming (before the window), counted apart from the above. */
  duringJoin: number;
  byVictim: Record<string, number>;
}

export interface DisseminationReport {
  updates: number;
  complete: number;
  all: Summary;
  joins: Summary;
  restarts: Summary;
}

export interface MetricsReport {
  convergedMs: number | null;
  detection: DetectionReport;
  falseDeaths: FalseDeathReport;
  /** Per node per second, over the measurement window. */
  traffic: TrafficReport;
  dissemination: DisseminationReport;
  rejections: Partial<Record<GossipErrorCode, number>>;
}

export class Metrics implements ClusterObserver {
  private world: World | null = null;
  private readonly everStarted = new Set<number>();
  // Convergence of the initial join: how many others each node holds alive.
  private readonly aliveSeen: number[] = [];
  private convergeTarget = 0;
  private convergedCount = 0;
  private convergedAt: number | null = null;
  private convergeFrom = 0;
  // The measurement window.
  private windowStart: number | null = null;
  private readonly lifeIncarnation: number[] = [];
  private readonly traffic = new Traffic();
  private readonly kills: KillRecord[] = [];
  private readonly openKill = new Map<number, KillRecord>();
  private readonly spreads: SpreadRecord[] = [];
  private readonly openSpread = new Map<number, SpreadRecord>();
  private falseTransitions = 0;
  private falseSuspicions = 0;
  private partitionDeaths = 0;
  private joinDeaths = 0;
  private readonly falseVictims = new Map<number, number>();
  private readonly falsePairs = new Set<string>();
  private readonly rejected: Partial<Record<GossipErrorCode, number>> = {};

  attach(world: World): void {
    this.world = world;
  }

  /** Convergence = every one of the first `n` nodes holds the other n-1 alive. */
  expectConvergence(n: number, from: number): void {
    this.convergeTarget = n - 1;
    this.convergeFrom = from;
    this.convergedCount = 0;
    for (let i = 0; i < n; i++) if ((this.aliveSeen[i] ?? 0) === this.convergeTarget) this.convergedCount++;
  }

  converged(): boolean {
    return this.convergedAt !== null;
  }

  /** Starts counting traffic and tracking joins and restarts. */
  beginWindow(t: number): void {
    this.windowStart = t;
    this.traffic.begin(t);
  }

  /** Leaves a node out of the per-node traffic figures (the liar, whose lies are not protocol traffic). */
  exclude(i: number): void {
    this.traffic.exclude(i);
  }

  victimDeaths(i: number): number {
    return this.falseVictims.get(i) ?? 0;
  }

  // ClusterObserver

  started(node: number, incarnation: number, now: number): void {
    const w = this.need();
    const restarted = this.everStarted.has(node);
    this.everStarted.add(node);
    this.traffic.started(node, now);
    this.lifeIncarnation[node] = incarnation;
    this.openKill.delete(node);
    if (this.windowStart === null) return;
    const pending = new Set<number>();
    for (let i = 0; i < w.size; i++) if (i !== node && w.isAlive(i)) pending.add(i);
    const rec: SpreadRecord = { node, kind: restarted ? 'restart' : 'join', at: now, incarnation, pending, done: null };
    this.spreads.push(rec);
    this.openSpread.set(node, rec);
    if (pending.size === 0) rec.done = now;
  }

  killed(node: number, now: number): void {
    const w = this.need();
    this.traffic.stopped(node, now);
    for (const rec of this.openKill.values()) this.observerGone(rec, node, now);
    for (const rec of this.openSpread.values()) {
      if (rec.pending.delete(node) && rec.pending.size === 0 && rec.done === null) rec.done = now;
    }
    this.openSpread.delete(node);
    const pending = new Set<number>();
    for (let i = 0; i < w.size; i++) if (i !== node && w.isAlive(i)) pending.add(i);
    const rec: KillRecord = { victim: node, at: now, pending, observers: pending.size, firstSuspect: null, firstDead: null, allDead: pending.size === 0 ? now : null, latencies: [] };
    this.kills.push(rec);
    this.openKill.set(node, rec);
  }

  event(observer: number, e: MemberEvent, now: number): void {
    const w = this.need();
    const v = w.indexOfName(e.name);
    if (v === undefined || v === observer) return;
    this.trackAlive(observer, e, now);
    if (e.to === 'dead') this.onDead(observer, v, e, now);
    else if (e.to === 'suspect') this.onSuspect(v, now);
    else if (e.to === 'alive') this.onAlive(observer, v, e, now);
  }

  rejection(_observer: number, r: Rejection): void {
    this.rejected[r.error.code] = (this.rejected[r.error.code] ?? 0) + 1;
  }

  packetSent(node: number, bytes: number): void {
    this.traffic.add('packetOut', node, bytes);
  }

  packetReceived(node: number, bytes: number): void {
    this.traffic.add('packetIn', node, bytes);
  }

  frameSent(node: number, bytes: number): void {
    this.traffic.add('frameOut', node, bytes);
  }

  frameReceived(node: number, bytes: number): void {
    this.traffic.add('frameIn', node, bytes);
  }

  // Report

  report(end: number): MetricsReport {
    return {
      convergedMs: this.convergedAt === null ? null : this.convergedAt - this.convergeFrom,
      detection: this.detectionReport(),
      falseDeaths: {
        transitions: this.falseTransitions,
        victims: this.falseVictims.size,
        pairs: this.falsePairs.size,
        suspicions: this.falseSuspicions,
        partitionDeaths: this.partitionDeaths,
        duringJoin: this.joinDeaths,
        byVictim: Object.fromEntries([...this.falseVictims].map(([v, n]) => [String(v), n])),
      },
      traffic: this.traffic.report(end),
      dissemination: {
        updates: this.spreads.length,
        complete: this.spreads.filter((s) => s.done !== null).length,
        all: summarise(this.spreads.flatMap((s) => (s.done === null ? [] : [s.done - s.at]))),
        joins: summarise(this.spreads.flatMap((s) => (s.done === null || s.kind !== 'join' ? [] : [s.done - s.at]))),
        restarts: summarise(this.spreads.flatMap((s) => (s.done === null || s.kind !== 'restart' ? [] : [s.done - s.at]))),
      },
      rejections: { ...this.rejected },
    };
  }

  private need(): World {
    if (this.world === null) throw new Error('metrics used before attach()');
    return this.world;
  }

  private trackAlive(observer: number, e: MemberEvent, now: number): void {
    const delta = (e.to === 'alive' ? 1 : 0) - (e.from === 'alive' ? 1 : 0);
    if (delta === 0) return;
    const before = this.aliveSeen[observer] ?? 0;
    const after = before + delta;
    this.aliveSeen[observer] = after;
    if (this.convergeTarget === 0 || observer > this.convergeTarget) return;
    if (before === this.convergeTarget) this.convergedCount--;
    if (after === this.convergeTarget) this.convergedCount++;
    if (this.convergedAt === null && this.convergedCount === this.convergeTarget + 1) this.convergedAt = now;
  }

  private onDead(observer: number, v: number, e: MemberEvent, now: number): void {
    const w = this.need();
    const kill = this.openKill.get(v);
    if (kill !== undefined) {
      if (kill.firstDead === null) kill.firstDead = now;
      if (kill.pending.delete(observer)) {
        kill.latencies.push(now - kill.at);
        if (kill.pending.size === 0) kill.allDead = now;
      }
      return;
    }
    if (!w.isAlive(v)) return;
    // A death of an earlier life of a restarted node is a late but true report.
    if (e.incarnation < (this.lifeIncarnation[v] ?? 0)) return;
    if (w.partitionedWithin(now, PARTITION_GRACE_MS)) {
      this.partitionDeaths++;
      return;
    }
    if (this.windowStart === null) {
      this.joinDeaths++;
      return;
    }
    this.falseTransitions++;
    this.falseVictims.set(v, (this.falseVictims.get(v) ?? 0) + 1);
    this.falsePairs.add(`${observer}>${v}`);
  }

  private onSuspect(v: number, now: number): void {
    const kill = this.openKill.get(v);
    if (kill !== undefined) {
      if (kill.firstSuspect === null) kill.firstSuspect = now;
      return;
    }
    if (this.windowStart !== null && this.need().isAlive(v)) this.falseSuspicions++;
  }

  private onAlive(observer: number, v: number, e: MemberEvent, now: number): void {
    const rec = this.openSpread.get(v);
    if (rec === undefined || e.incarnation < rec.incarnation) return;
    if (rec.pending.delete(observer) && rec.pending.size === 0) {
      rec.done = now;
      this.openSpread.delete(v);
    }
  }

  private observerGone(rec: KillRecord, node: number, now: number): void {
    if (rec.pending.delete(node) && rec.pending.size === 0 && rec.allDead === null) rec.allDead = now;
  }

  private detectionReport(): DetectionReport {
    const done = this.kills.filter((k) => k.allDead !== null);
    return {
      kills: this.kills.length,
      complete: done.length,
      missing: this.kills.reduce((n, k) => n + k.pending.size, 0),
      all: summarise(done.map((k) => (k.allDead as number) - k.at)),
      first: summarise(this.kills.flatMap((k) => (k.firstDead === null ? [] : [k.firstDead - k.at]))),
      firstSuspect: summarise(this.kills.flatMap((k) => (k.firstSuspect === null ? [] : [k.firstSuspect - k.at]))),
      perObserver: summarise(this.kills.flatMap((k) => k.latencies)),
    };
  }
}
