// The healing decision as a pure state machine. Fed the gossip view,
// confirmations, leases, self-check answers, action reports and the time, it
// says when this node announces a lease and acts, and records every decision
// for the audit log. The rules, each from a fencing system that learned it:
// - K distinct signed confirmations before anything (Lifeguard's K, signed);
// - only with quorum of the last stable membership (Pacemaker: a partition
//   fences only while quorate), so a minority never fences the majority, and
//   only once the view has settled around the death (Akka SBR's stable-after),
//   so a partition seen one member at a time is not taken for one death;
// - one actor: rendezvous rank; rank r waits (r-1) * actorDelayS and acts only
//   if the subject is still dead and nobody's lease was seen (pcmk_delay_base);
// - a self-check before acting (fence_aws race check, fence_heuristics_ping);
// - growing delays between attempts on a subject that keeps dying, then a human.

import type { MemberView } from '../gossip/types.ts';
import { Backoff, type BackoffConfig } from './backoff.ts';
import { Confirmations } from './confirmations.ts';
import { StableMembership, type QuorumConfig } from './quorum.ts';
import { eligible, rank, type Means } from './rank.ts';
import type { AuditEntry, AuditKind, Fencing, HealEvent, HealOutput, Lease } from './types.ts';

export interface DecisionConfig {
  self: string;
  fencing: Fencing;
  quorum: QuorumConfig;
  backoff: BackoffConfig;
  /** What a member holds to fence a subject (vault records, channels, the recovery key). */
  means: (actor: string, subject: string) => Means;
  /** Time the ladder gets for one attempt. */
  actionBudgetMs: number;
  /** A lease outlives the action's deadline by this much, so a slow finish is still covered. */
  leaseMarginMs: number;
  selfCheckTimeoutMs: number;
  /** Self-checks a case may fail before this node stands down for good. */
  maxSelfChecks: number;
  /** After an action reported done, the subject must rejoin within this or the attempt counts as failed. */
  rejoinTimeoutMs: number;
  /**
   * How long after the death the subject is left to its own hardware watchdog
   * (SBD's stonith-watchdog-timeout): the driver grants it to a subject whose
   * attestation says its watchdog is armed, and a rejoin inside it cancels the
   * case. Default none: act at once.
   */
  graceMs?: (subject: string) => number;
  /** The stable membership the last run persisted (stableMembers()), and when the core starts. */
  restore?: { members: readonly string[]; now: number };
}

type Phase = 'waiting' | 'checking' | 'acting' | 'awaiting-rejoin' | 'stood-down' | 'not-eligible' | 'given-up';

interface Case {
  subject: string;
  incarnation: number;
  phase: Phase;
  rank: number;
  /** When the current phase's wait ends: act (waiting), give up on the check (checking), the deadline (acting), the rejoin (awaiting-rejoin). */
  until: number;
  /** Waiting: the backoff's earliest start, and the rank stagger added to whichever comes later, it or the settled view. */
  notBefore: number;
  stagger: number;
  selfChecks: number;
  /** The no-quorum entry is written once per wait, not once per tick. */
  toldNoQuorum: boolean;
  /** The lease this node stood down for. */
  lease: Lease | null;
  /** When K confirmations were reached: the watchdog grace counts from here. */
  confirmedAt: number;
}

export class DecisionCore {
  private now = 0;
  private members: readonly MemberView[] = [];
  private readonly stable: StableMembership;
  private readonly confirmations = new Confirmations();
  private readonly backoff: Backoff;
  private readonly cases = new Map<string, Case>();
  private readonly leases = new Map<string, Lease>();
  /** Leases ignored, by actor/subject: audited once each, however often they are repeated (a liar's lies make the subject refute, so each carries a new incarnation). */
  private readonly ignored = new Set<string>();
  private out: HealOutput[] = [];

  constructor(private readonly cfg: DecisionConfig) {
    this.stable = new StableMembership(cfg.quorum);
    this.backoff = new Backoff(cfg.backoff);
    if (cfg.restore) {
      this.now = cfg.restore.now;
      this.stable.restore(cfg.restore.members, cfg.restore.now);
    }
  }

  /** Feeds one event; returns what to do. Every event but `tick` happens at the last tick's time. */
  handle(ev: HealEvent): HealOutput[] {
    switch (ev.type) {
      case 'tick':
        if (ev.now > this.now) this.now = ev.now;
        this.stable.settle(this.now);
        for (const c of [...this.cases.values()]) this.due(c);
        break;
      case 'view':
        this.members = ev.members;
        this.stable.observe(ev.members, this.now);
        break;
      case 'confirmed-dead':
        this.confirmed(ev.subject, ev.incarnation, ev.by);
        break;
      case 'alive':
        this.alive(ev.subject, ev.incarnation);
        break;
      case 'lease':
        this.lease(ev.lease);
        break;
      case 'self-check':
        this.selfChecked(ev.subject, ev.ok, ev.why);
        break;
      case 'action-done':
        this.actionDone(ev.subject, ev.ok, ev.rejoinOnly ? `${ev.detail} (unverifiable channel: done only when ${ev.subject} rejoins)` : ev.detail);
        break;
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  /** When the core next needs a tick (Infinity: only events can change anything). */
  nextWake(): number {
    let t = Infinity;
    for (const c of this.cases.values()) {
      if (c.phase === 'waiting' && c.toldNoQuorum) t = Math.min(t, this.now + 1000);
      else if (c.phase === 'stood-down' && c.lease) t = Math.min(t, c.lease.expires);
      else if (c.phase === 'acting') t = Math.min(t, c.until + this.cfg.leaseMarginMs);
      else if (c.phase === 'waiting' || c.phase === 'checking' || c.phase === 'awaiting-rejoin') t = Math.min(t, c.until);
    }
    return t;
  }

  /** The last stable membership, for the driver to persist under state.dir and pass back as `restore` after a reboot. */
  stableMembers(): string[] {
    return this.stable.stable();
  }

  /** Every open case, for `agent status`: whom, at which incarnation, where it stands and until when (ms, the core's clock). */
  openCases(): { subject: string; incarnation: number; phase: Phase; rank: number; until: number }[] {
    return [...this.cases.values()].map((c) => ({ subject: c.subject, incarnation: c.incarnation, phase: c.phase, rank: c.rank, until: c.until }));
  }

  /** The phase of the open case on `subject`, for tests and `agent status`. */
  phase(subject: string): Phase | null {
    return this.cases.get(subject)?.phase ?? null;
  }

  private audit(kind: AuditKind, c: { subject: string; incarnation: number }, why: string, actor: string | null = null): void {
    const entry: AuditEntry = { at: this.now, kind, subject: c.subject, incarnation: c.incarnation, actor, why };
    this.out.push({ type: 'audit', entry });
  }

  private isVerifiedMember = (name: string): boolean => this.members.some((m) => m.name === name && (m.state === 'alive' || m.state === 'suspect'));

  private confirmed(subject: string, incarnation: number, by: string): void {
    if (subject === this.cfg.self) return;
    const n = this.confirmations.add(subject, incarnation, by, this.isVerifiedMember);
    const open = this.cases.get(subject);
    if (n < this.cfg.fencing.confirmations || (open && open.incarnation >= incarnation)) return;
    const c: Case = { subject, incarnation, phase: 'waiting', rank: 0, until: this.now, notBefore: this.now, stagger: 0, selfChecks: 0, toldNoQuorum: false, lease: null, confirmedAt: this.now };
    this.cases.set(subject, c);
    this.audit('confirmed', c, `${n} distinct confirmations (${this.confirmations.confirmers(subject).join(', ')}), ${this.cfg.fencing.confirmations} needed`);
    this.schedule(c);
    this.due(c);
  }

  /** Ranks this node for the case and sets when it would act, or closes it as not ours or given up. */
  private schedule(c: Case): void {
    const b = this.backoff.next(c.subject, this.now);
    if ('giveUp' in b) {
      c.phase = 'given-up';
      this.audit('give-up', c, b.giveUp);
      this.out.push({ type: 'give-up', subject: c.subject, why: b.giveUp });
      return;
    }
    const order = rank(c.subject, c.incarnation, this.members, { means: this.cfg.means, unattestedPeers: this.cfg.fencing.unattestedPeers });
    const r = order.indexOf(this.cfg.self) + 1;
    if (r === 0) {
      c.phase = 'not-eligible';
      this.audit('not-eligible', c, `this node is not among the ${order.length} able to act (${order.join(', ') || 'none'})`);
      return;
    }
    c.rank = r;
    c.phase = 'waiting';
    c.toldNoQuorum = false;
    // The rank stagger goes on top of every other wait (backoff, the view settling): under a
    // max() of the waits every rank would be due at the same moment.
    const grace = this.cfg.graceMs?.(c.subject) ?? 0;
    c.notBefore = Math.max(b.at, c.confirmedAt + grace);
    c.stagger = (r - 1) * this.cfg.fencing.actorDelayS * 1000;
    c.until = c.notBefore + c.stagger;
    const graceText = grace > 0 ? `; its own watchdog gets ${grace} ms first` : '';
    this.audit('decided', c, `rank ${r} of ${order.length} (${order.join(', ')}); attempt ${this.backoff.attempts(c.subject) + 1}${graceText}; acts in ${c.until - this.now} ms unless the subject rejoins or a lease is seen`, this.cfg.self);
  }

  private otherLease(c: Case): Lease | null {
    const l = this.leases.get(c.subject);
    return l && l.actor !== this.cfg.self && l.incarnation >= c.incarnation && l.expires > this.now ? l : null;
  }

  private standDown(c: Case, l: Lease): void {
    c.phase = 'stood-down';
    c.lease = l;
    this.audit('stood-down', c, `${l.actor} holds a lease on ${c.subject} until ${new Date(l.expires).toISOString()}`, l.actor);
  }

  private due(c: Case): void {
    if (c.phase === 'waiting' || c.phase === 'checking') {
      const l = this.otherLease(c);
      if (l) return this.standDown(c, l);
    }
    switch (c.phase) {
      case 'waiting': {
        if (this.now < c.until) return;
        const q = this.stable.hasQuorum(c.subject, this.cfg.fencing.quorum);
        if (!q.ok) {
          if (!c.toldNoQuorum) this.audit('no-quorum', c, `sees ${q.alive} of ${q.of} stable members alive; quorum '${this.cfg.fencing.quorum}' not met`);
          c.toldNoQuorum = true;
          return;
        }
        const ready = Math.max(c.notBefore, this.stable.settledAround(c.subject, this.now).since) + c.stagger;
        if (this.now < ready) {
          c.until = ready;
          return;
        }
        c.phase = 'checking';
        c.until = this.now + this.cfg.selfCheckTimeoutMs;
        const { peers, need } = this.stable.quorumPeers(c.subject, this.cfg.self, this.cfg.fencing.quorum);
        this.out.push({ type: 'check-self', subject: c.subject, peers, need, deadline: c.until });
        return;
      }
      case 'checking':
        if (this.now >= c.until) this.selfChecked(c.subject, false, `no answer within ${this.cfg.selfCheckTimeoutMs} ms`);
        return;
      case 'acting':
        if (this.now >= c.until + this.cfg.leaseMarginMs) this.actionDone(c.subject, false, 'the ladder did not report by its deadline');
        return;
      case 'awaiting-rejoin':
        if (this.now >= c.until) this.failed(c, `${c.subject} did not rejoin within ${this.cfg.rejoinTimeoutMs} ms of the action`);
        return;
      case 'stood-down':
        if (c.lease && c.lease.expires <= this.now) {
          this.audit('lease-expired', c, `${c.lease.actor}'s lease ran out with ${c.subject} still dead`, c.lease.actor);
          c.lease = null;
          this.schedule(c);
          if ((c.phase as Phase) === 'waiting') this.due(c);
        }
        return;
      default:
        return;
    }
  }

  private selfChecked(subject: string, ok: boolean, why: string): void {
    const c = this.cases.get(subject);
    if (!c || c.phase !== 'checking') return;
    if (ok) {
      const l = this.otherLease(c);
      if (l) return this.standDown(c, l);
      // The view may have changed while the check ran: quorum is asked again at the last moment.
      const q = this.stable.hasQuorum(c.subject, this.cfg.fencing.quorum);
      if (q.ok) return this.act(c, `sees ${q.alive} of ${q.of} stable members alive`);
      why = `quorum lost during the check (${q.alive} of ${q.of})`;
    }
    c.selfChecks++;
    this.audit('self-check-failed', c, `${why} (${c.selfChecks} of ${this.cfg.maxSelfChecks})`);
    if (c.selfChecks >= this.cfg.maxSelfChecks) {
      c.phase = 'stood-down';
      return;
    }
    c.phase = 'waiting';
    c.notBefore = this.now + this.cfg.fencing.actorDelayS * 1000;
    c.until = c.notBefore + c.stagger;
  }

  private act(c: Case, quorum: string): void {
    const deadline = this.now + this.cfg.actionBudgetMs;
    const lease: Lease = { subject: c.subject, incarnation: c.incarnation, actor: this.cfg.self, issued: this.now, expires: deadline + this.cfg.leaseMarginMs };
    this.leases.set(c.subject, lease);
    this.backoff.attempted(c.subject, c.incarnation, this.now);
    c.phase = 'acting';
    c.until = deadline;
    this.out.push({ type: 'announce-lease', lease });
    this.audit('act', c, `rank ${c.rank}, ${quorum}, self-check passed; attempt ${this.backoff.attempts(c.subject)}; deadline ${new Date(deadline).toISOString()}`, this.cfg.self);
    this.out.push({ type: 'act', subject: c.subject, incarnation: c.incarnation, deadline });
  }

  private actionDone(subject: string, ok: boolean, detail: string): void {
    const c = this.cases.get(subject);
    if (!c || c.phase !== 'acting') return;
    if (!ok) return this.failed(c, detail);
    this.audit('action-done', c, detail, this.cfg.self);
    c.phase = 'awaiting-rejoin';
    c.until = this.now + this.cfg.rejoinTimeoutMs;
    // The subject now boots: a renewed lease keeps the next ranks from power-cycling it mid-boot.
    const lease: Lease = { subject: c.subject, incarnation: c.incarnation, actor: this.cfg.self, issued: this.now, expires: c.until };
    this.leases.set(c.subject, lease);
    this.out.push({ type: 'announce-lease', lease });
  }

  private failed(c: Case, why: string): void {
    this.audit('action-failed', c, why, this.cfg.self);
    this.schedule(c);
  }

  private alive(subject: string, incarnation: number): void {
    this.confirmations.alive(subject, incarnation);
    const c = this.cases.get(subject);
    if (!c || incarnation <= c.incarnation) return;
    this.backoff.alive(subject, this.now);
    if (c.phase === 'waiting' || c.phase === 'checking') this.audit('cancelled', c, `${subject} rejoined at incarnation ${incarnation} before any action`);
    else if (c.phase === 'acting' || c.phase === 'awaiting-rejoin') this.audit('rejoined', c, `${subject} is alive at incarnation ${incarnation}`);
    this.cases.delete(subject);
  }

  private lease(l: Lease): void {
    if (l.expires <= this.now) return;
    // Only a member that could act itself may make others stand down: otherwise any member
    // (a liar, a node without the key) could stop every healer by announcing leases it never acts on.
    const actor = this.members.find((m) => m.name === l.actor);
    if (l.actor !== this.cfg.self && (!actor || !eligible(actor, l.subject, { means: this.cfg.means, unattestedPeers: this.cfg.fencing.unattestedPeers }))) {
      const key = `${l.actor}/${l.subject}`;
      if (!this.ignored.has(key) && this.ignored.size < 4096) {
        this.ignored.add(key);
        this.audit('lease-ignored', l, `${l.actor} announced a lease on ${l.subject} but is not a member able to act on it (alive, attested, with a channel and the recovery key)`, l.actor);
      }
      return;
    }
    if (l.actor !== this.cfg.self) this.backoff.attempted(l.subject, l.incarnation, l.issued);
    const held = this.leases.get(l.subject);
    if (!held || l.incarnation > held.incarnation || (l.incarnation === held.incarnation && l.expires > held.expires)) this.leases.set(l.subject, l);
    const c = this.cases.get(l.subject);
    if (!c || l.actor === this.cfg.self || l.incarnation < c.incarnation) return;
    if (c.phase === 'waiting' || c.phase === 'checking') this.standDown(c, l);
    else if (c.phase === 'stood-down' && c.lease && l.expires > c.lease.expires) c.lease = l;
  }
}
