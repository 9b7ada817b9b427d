// Member states and the rules that move them (SWIM section 4.2 precedence,
// hardened for members that lie):
// - alive and leave are accepted only as signed by the member itself, so
//   nobody can resurrect, retire or re-address another member;
// - a suspicion is signed by its accuser and names the incarnation it
//   accuses; the member clears it only by announcing a higher incarnation;
// - a death is accepted only with signed suspicions of that incarnation from
//   K distinct verified members, so one compromised member alone cannot get
//   a healthy one declared dead (and power-cycled);
// - anything not newer than what is held is dropped unverified (cheap
//   duplicates) and an old signed update can never undo a newer one.

import { Suspicion, suspicionTimes, type SuspicionTimes } from './suspicion.ts';
import { type Addr, type GossipConfig, type GossipError, type MemberEvent, type MemberState, type PeerKey, type Trust } from './types.ts';
import { decodeUpdate, type Signed, type Update } from './wire.ts';

/**
 * What a node holds about one member. Immutable: a change replaces the record,
 * so cores that hold the same signed alive can share one (the simulator's
 * 10,000 nodes would otherwise keep 10^8 copies). Only `self` is changed in place.
 */
export interface Member {
  readonly name: string;
  readonly addr: Addr;
  readonly incarnation: number;
  readonly state: MemberState;
  readonly key: PeerKey | null;
  /** The member's latest signed alive: what push-pull hands to others. */
  readonly alive: Signed | null;
  /** The signed dead or leave that ended it. */
  readonly final: Signed | null;
  /** Digest of the attestation record its alive announces. */
  readonly att: Uint8Array | null;
  /** When this node saw it change; for an alive, the time its member signed it (so it can be shared). */
  readonly updatedAt: number;
}

export type SelfMember = { -readonly [K in keyof Member]: Member[K] };

export type Outcome =
  | { kind: 'ignored' }
  | { kind: 'rejected'; error: GossipError }
  | {
      kind: 'accepted';
      subject: string;
      /** Queue key: suspicions by different accusers travel side by side. */
      key: string;
      /** An alive, dead or leave retires the queued updates about its subject. */
      replaces: boolean;
      event: MemberEvent | null;
      joined: boolean;
      /** A new suspicion this node did not raise: worth checking independently. */
      heardSuspicion: boolean;
    }
  /** Someone suspects or buried this node: announce a higher incarnation. */
  | { kind: 'refute'; incarnation: number; accusers: string[] }
  /** Someone still accuses an incarnation this node already refuted: it missed the refutation. */
  | { kind: 'remind'; accusers: string[] };

const IGNORED: Outcome = { kind: 'ignored' };
const rejected = (code: GossipError['code'], message: string): Outcome => ({ kind: 'rejected', error: { code, message } });
const bad = (r: { ok: false; error: GossipError }): Outcome => ({ kind: 'rejected', error: r.error });

type Cfg = Pick<GossipConfig, 'name' | 'deathQuorum' | 'maxSkewMs' | 'probeIntervalMs' | 'suspicionMult' | 'suspicionMaxTimeoutMult' | 'suspicionConfirmations'>;

export class MemberTable {
  readonly members = new Map<string, Member>();
  readonly suspicions = new Map<string, Suspicion>();
  /** The confirmers of each member this node buried, kept past the suspicion they came from until it comes back or leaves. */
  private readonly buried = new Map<string, readonly string[]>();
  /** Members not dead or left, this node included: what the timeouts and the quorum scale with. */
  private live = 1;

  constructor(
    private readonly cfg: Cfg,
    private readonly trust: Trust,
    readonly self: SelfMember,
  ) {
    this.members.set(self.name, self);
  }

  get liveCount(): number {
    return this.live;
  }

  times(): SuspicionTimes {
    return suspicionTimes(this.live, this.cfg.probeIntervalMs, this.cfg.suspicionMult, this.cfg.suspicionMaxTimeoutMult, this.cfg.suspicionConfirmations);
  }

  /**
   * The distinct verified members whose signed suspicion or death of `name` this
   * node holds at the incarnation accused: its accusers while suspect, the
   * accusers it was buried on while dead, none otherwise.
   */
  confirmers(name: string): string[] {
    const m = this.members.get(name);
    if (m?.state === 'dead') return [...(this.buried.get(name) ?? [])];
    const sp = this.suspicions.get(name);
    return m?.state === 'suspect' && sp ? distinctOthers(name, sp.accusers.keys()) : [];
  }

  /** K, capped by the members that could confirm: a death needs that many distinct accusers. */
  quorum(): number {
    return Math.max(1, Math.min(this.cfg.deathQuorum, this.live - 1));
  }

  /** Replaces `m` by `m` with `patch` (or changes self in place) and counts members entering or leaving life. */
  private put(m: Member, patch: Partial<Member>, now: number): { member: Member; event: MemberEvent | null } {
    const from = m.state;
    const to = patch.state ?? from;
    if (isLiveState(from) !== isLiveState(to)) this.live += isLiveState(to) ? 1 : -1;
    let member: Member;
    if (m === this.self) member = Object.assign(this.self, patch, { updatedAt: patch.updatedAt ?? now });
    else {
      member = { ...m, ...patch, updatedAt: patch.updatedAt ?? now };
      this.members.set(m.name, member);
    }
    const event = from === to ? null : { name: m.name, from, to, incarnation: member.incarnation, at: now };
    return { member, event };
  }

  private timeOk(t: number, now: number): boolean {
    return t <= now + this.cfg.maxSkewMs && t >= now - this.cfg.maxSkewMs;
  }

  apply(signed: Signed, now: number, creds: Uint8Array | null = null): Outcome {
    const s = this.trust.intern?.(signed) ?? signed;
    const d = decodeShared(s.body);
    if (!d.ok) return bad(d);
    const u = d.value;
    switch (u.type) {
      case 'alive':
        return this.alive(u, s, now, u.creds ?? creds);
      case 'suspect':
        return this.suspect(u, s, now);
      case 'dead':
        return this.dead(u, s, now);
      case 'leave':
        return this.leave(u, s, now);
    }
  }

  private alive(u: Extract<Update, { type: 'alive' }>, s: Signed, now: number, creds: Uint8Array | null): Outcome {
    // Only this node signs its own alive; a copy coming back is an echo.
    if (u.name === this.self.name) return IGNORED;
    const m = this.members.get(u.name);
    if (m && u.incarnation <= m.incarnation) return IGNORED;
    let key = m?.key ?? null;
    if (creds) {
      // The trust caches admitted credentials, so a repeated announcement costs a lookup.
      const k = this.trust.admit(u.name, creds, u.incarnation, now);
      if (!k.ok) return bad(k);
      key = k.value;
    }
    if (!key) return IGNORED; // credentials arrive with its join announcement or by push-pull
    if (!key.verify(s.body, s.sig)) return rejected('BAD_SIGNATURE', `alive of ${u.name} does not verify with its session key`);
    if (u.time > now + this.cfg.maxSkewMs) return rejected('TIME', `alive of ${u.name} is dated ${u.time - now} ms ahead`);
    // Alive(j) overrides a suspicion of incarnation i only when j > i (SWIM 4.2).
    const sp = this.suspicions.get(u.name);
    const stillSuspect = sp !== undefined && sp.incarnation >= u.incarnation;
    if (!stillSuspect) this.suspicions.delete(u.name);
    // A higher incarnation is a refutation or a rejoin: the old death's confirmers no longer count.
    this.buried.delete(u.name);
    const state = stillSuspect ? 'suspect' : 'alive';
    let member: Member = { name: u.name, addr: u.addr, incarnation: u.incarnation, state, key, alive: s, final: null, att: u.att, updatedAt: u.time };
    if (state === 'alive') {
      const shared = sharedAlive.get(s);
      if (shared && shared.key === key) member = shared;
      else sharedAlive.set(s, member);
    }
    let event: MemberEvent | null;
    if (!m) {
      this.members.set(u.name, member);
      this.live++;
      event = { name: u.name, from: null, to: 'alive', incarnation: u.incarnation, at: now };
    } else {
      if (!isLiveState(m.state)) this.live++;
      this.members.set(u.name, member);
      event = m.state === state ? null : { name: u.name, from: m.state, to: state, incarnation: u.incarnation, at: now };
    }
    return { kind: 'accepted', subject: u.name, key: u.name, replaces: true, event, joined: !m, heardSuspicion: false };
  }

  private author(name: string): Member | null {
    const a = this.members.get(name);
    return a?.key ? a : null;
  }

  private suspect(u: Extract<Update, { type: 'suspect' }>, s: Signed, now: number): Outcome {
    if (u.author === this.self.name) return IGNORED;
    const a = this.author(u.author);
    if (!a) return IGNORED;
    if (u.subject === this.self.name) {
      if (u.incarnation < this.self.incarnation) return { kind: 'remind', accusers: [u.author] };
      if (!a.key?.verify(s.body, s.sig)) return rejected('BAD_SIGNATURE', `suspicion by ${u.author} does not verify`);
      return { kind: 'refute', incarnation: u.incarnation, accusers: [u.author] };
    }
    const x = this.members.get(u.subject);
    // A suspicion of a newer incarnation than this node has seen still counts: the
    // accusers saw it. It never raises the incarnation held, so it cannot shut out the member's own alive.
    if (!x || x.state === 'dead' || x.state === 'left' || u.incarnation < x.incarnation) return IGNORED;
    const sp = this.suspicions.get(u.subject);
    if (sp && (sp.incarnation > u.incarnation || (sp.incarnation === u.incarnation && sp.accusers.has(u.author)))) return IGNORED;
    if (!a.key?.verify(s.body, s.sig)) return rejected('BAD_SIGNATURE', `suspicion by ${u.author} does not verify`);
    if (!this.timeOk(u.time, now)) return rejected('TIME', `suspicion by ${u.author} of ${u.subject} is dated ${u.time - now} ms from now`);
    return this.confirm(x, u.incarnation, u.author, s, now);
  }

  /** Records a verified suspicion (this node's or a peer's) of `x` at `incarnation`. */
  confirm(x: Member, incarnation: number, author: string, s: Signed, now: number): Outcome {
    let sp = this.suspicions.get(x.name);
    let event: MemberEvent | null = null;
    const first = !sp;
    if (!sp || sp.incarnation < incarnation) {
      sp = new Suspicion(incarnation, now, this.times());
      this.suspicions.set(x.name, sp);
      event = this.put(x, { state: 'suspect' }, now).event;
    }
    sp.confirm(author, s);
    if (event) event.confirmers = distinctOthers(x.name, sp.accusers.keys());
    return { kind: 'accepted', subject: x.name, key: `s:${x.name}:${author}`, replaces: false, event, joined: false, heardSuspicion: first && author !== this.self.name };
  }

  private dead(u: Extract<Update, { type: 'dead' }>, s: Signed, now: number): Outcome {
    const a = this.author(u.author);
    if (!a) return IGNORED;
    const x = u.subject === this.self.name ? this.self : this.members.get(u.subject);
    if (x === this.self && u.incarnation < x.incarnation) return { kind: 'remind', accusers: [u.author] };
    if (!x || u.incarnation < x.incarnation) return IGNORED;
    if (x !== this.self && (x.state === 'dead' || x.state === 'left')) return IGNORED;
    if (!a.key?.verify(s.body, s.sig)) return rejected('BAD_SIGNATURE', `death by ${u.author} does not verify`);
    if (u.time > now + this.cfg.maxSkewMs) return rejected('TIME', `death of ${u.subject} by ${u.author} is dated ahead`);
    const accusers = this.evidence(u, now);
    if (!Array.isArray(accusers)) return rejected(accusers.code, `death of ${u.subject} by ${u.author}: ${accusers.reason}`);
    // Only a witness signs a death: its own failed probe is part of the evidence.
    if (!accusers.includes(u.author)) return rejected('NO_QUORUM', `death of ${u.subject} by ${u.author}, who is not among its accusers`);
    if (x === this.self) return { kind: 'refute', incarnation: u.incarnation, accusers: [...new Set([u.author, ...accusers])] };
    const event = this.bury(x, u.incarnation, s, now, accusers);
    return { kind: 'accepted', subject: x.name, key: x.name, replaces: true, event, joined: false, heardSuspicion: false };
  }

  /**
   * The distinct verified accusers in a death's evidence, or why they are not
   * enough: NO_QUORUM for evidence that fails, UNKNOWN_AUTHOR when an accuser is
   * a member this node has not learned yet (a joiner; it asks the relayer).
   */
  private evidence(u: Extract<Update, { type: 'dead' }>, now: number): string[] | { code: 'NO_QUORUM' | 'UNKNOWN_AUTHOR'; reason: string } {
    const seen = new Set<string>();
    let unknown = 0;
    const fail = (reason: string) => ({ code: 'NO_QUORUM' as const, reason });
    for (const e of u.evidence) {
      const d = decodeUpdate(e.body);
      if (!d.ok || d.value.type !== 'suspect') return fail('evidence is not a suspicion');
      const v = d.value;
      if (v.subject !== u.subject || v.incarnation !== u.incarnation) return fail(`evidence by ${v.author} accuses another member or incarnation`);
      if (seen.has(v.author)) continue;
      const acc = v.author === this.self.name ? this.self : this.author(v.author);
      if (!acc) {
        unknown++;
        continue;
      }
      // This node holds no key to check its own signatures with: evidence in its name counts only if
      // it is the very suspicion it signed (a liar would otherwise forge "this node's" accusation).
      const mine = acc === this.self ? this.suspicions.get(u.subject)?.accusers.get(this.self.name) : undefined;
      const ok = acc === this.self ? mine !== undefined && sameBytes(mine.body, e.body) && sameBytes(mine.sig, e.sig) : acc.key?.verify(e.body, e.sig) === true;
      if (!ok) return fail(`evidence by ${v.author} does not verify`);
      if (v.time > u.time + this.cfg.maxSkewMs || v.time < u.time - this.cfg.maxSkewMs || v.time > now + this.cfg.maxSkewMs) return fail(`evidence by ${v.author} is out of its time window`);
      seen.add(v.author);
    }
    const k = this.quorum();
    if (seen.size >= k) return [...seen];
    const reason = `${seen.size} verified accuser(s), ${k} needed`;
    return unknown > 0 && seen.size + unknown >= k ? { code: 'UNKNOWN_AUTHOR', reason: `${reason}; ${unknown} not known here yet` } : fail(reason);
  }

  private leave(u: Extract<Update, { type: 'leave' }>, s: Signed, now: number): Outcome {
    if (u.name === this.self.name) return IGNORED;
    const x = this.author(u.name);
    if (!x || u.incarnation < x.incarnation || x.state === 'left') return IGNORED;
    if (!x.key?.verify(s.body, s.sig)) return rejected('BAD_SIGNATURE', `leave of ${u.name} does not verify`);
    if (u.time > now + this.cfg.maxSkewMs) return rejected('TIME', `leave of ${u.name} is dated ahead`);
    this.suspicions.delete(x.name);
    this.buried.delete(x.name);
    const event = this.put(x, { incarnation: u.incarnation, final: s, state: 'left' }, now).event;
    return { kind: 'accepted', subject: x.name, key: x.name, replaces: true, event, joined: false, heardSuspicion: false };
  }

  /**
   * Buries a member on a death this node signed (its suspicion ran out with a
   * quorum of accusers) or accepted (`accusers`: the death's verified evidence).
   * Its confirmers are those accusers and any this node heard itself at that incarnation.
   */
  bury(x: Member, incarnation: number, s: Signed, now: number, accusers: readonly string[] = []): MemberEvent | null {
    const sp = this.suspicions.get(x.name);
    const confirmers = distinctOthers(x.name, [...accusers, ...(sp && sp.incarnation === incarnation ? sp.accusers.keys() : [])]);
    this.suspicions.delete(x.name);
    this.buried.set(x.name, confirmers);
    const event = this.put(x, { incarnation, final: s, state: 'dead' }, now).event;
    if (event) event.confirmers = [...confirmers];
    return event;
  }

  /** This node leaves. */
  retire(now: number): MemberEvent | null {
    return this.put(this.self, { state: 'left' }, now).event;
  }
}

/**
 * Decoded updates by body. With an interning trust (the simulator) every core
 * holding an update holds the same body, so they share one decoded copy and
 * its strings; without one (the daemon) entries die with their bodies.
 */
const decodedBodies = new WeakMap<Uint8Array, Update>();

/** Alive records by their signed update, on the same terms: shared between cores only when the update is. */
const sharedAlive = new WeakMap<Signed, Member>();

/** Sorted, each once, never the subject: a member cannot confirm its own death, nor count twice. */
function distinctOthers(subject: string, names: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const n of names) if (n !== subject) out.add(n);
  return [...out].sort();
}

const isLiveState = (s: MemberState): boolean => s === 'alive' || s === 'suspect';

function decodeShared(body: Uint8Array): ReturnType<typeof decodeUpdate> {
  const hit = decodedBodies.get(body);
  if (hit) return { ok: true, value: hit };
  const d = decodeUpdate(body);
  if (d.ok) decodedBodies.set(body, d.value);
  return d;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

