// One member of the cluster, as a state machine: SWIM's failure detector
// (probe, ping-req through k members, suspicion, round-robin targets) and
// infection-style dissemination, with Lifeguard's local health, dynamic
// suspicion timeout, buddy system and nacks. Drivers feed it datagrams,
// stream frames and the time, and send what takeOutbound() returns.

import { createHash } from 'node:crypto';
import { Awareness } from './awareness.ts';
import { ProbeOrder } from './probe-order.ts';
import { decodeFrame, digestHash, encodeFrame, newer, pushPullInterval, STATE_CODE, type DigestEntry, type Frame, type MemberRecord, type Phase } from './pushpull.ts';
import { BroadcastQueue, FINAL_WEIGHT, retransmitLimit } from './queue.ts';
import { MemberTable, sameBytes, type Member, type Outcome, type SelfMember } from './state.ts';
import { gerr, gok, type Addr, type GossipConfig, type GossipError, type GossipResult, type MemberEvent, type MemberView, type Outbound, type Rejection, type Trust, type WakeRequest } from './types.ts';
import { WAKE_FANOUT, WakeDesk } from './wake.ts';
import { LEASE_FANOUT, LeaseDesk, type LeaseMessage } from './lease-desk.ts';
import { RecordBook, type RecordBlob, type RecordClaim, type RecordDigest, type RecordOptions } from './records.ts';
import { decodePacket, decodeUpdate, encodePacket, MAX_LEASE, msgSize, packetOverhead, signUpdate, type Msg, type Signed } from './wire.ts';

interface ProbeRun {
  target: string;
  seq: number;
  timeoutAt: number;
  endAt: number;
  acked: boolean;
  indirect: boolean;
  expectedNacks: number;
  nacks: number;
}

/** A ping-req this member is carrying out for another. */
interface Relay {
  origin: Addr;
  originSeq: number;
  nackAt: number;
  expiresAt: number;
  nacked: boolean;
}

interface Attestation {
  digest: Uint8Array;
  record: Uint8Array;
  expires: number;
}

export interface SwimStats {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  streamBytesIn: number;
  streamBytesOut: number;
}

const attDigest = (record: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(record).digest().subarray(0, 16));
const updateSize = (s: Signed): number => s.body.length + s.sig.length + 8;
const CREDS_ANNOUNCE_MS = 60_000;
const isLive = (m: Member): boolean => m.state === 'alive' || m.state === 'suspect';
/** Peers a new local record is pushed to at once, ahead of the periodic push-pull (records.ts says why not by datagram). */
const PUBLISH_FANOUT = 2;

export class SwimNode {
  private readonly table: MemberTable;
  private readonly me: SelfMember;
  private readonly queue = new BroadcastQueue();
  private readonly awareness: Awareness;
  private readonly order: ProbeOrder;
  /** Every name ever seen, for O(1) random picks at any cluster size. */
  private readonly names: string[] = [];
  private readonly relays = new Map<number, Relay>();
  private readonly atts = new Map<string, Attestation>();
  private readonly wantAtt = new Set<string>();
  private myAtt: Attestation | null = null;
  private readonly asked = new Map<Addr, number>();
  private readonly wakes: WakeDesk;
  private readonly leases = new LeaseDesk();
  private lastAsked = Number.NEGATIVE_INFINITY;
  private readonly reminded = new Map<string, number>();
  /** When each member last sent this node something that verified: fresher than its state, which only changes on news. */
  private readonly heard = new Map<string, number>();
  /** Deaths refused for accusers not known yet, retried as members are learned (see retryParked). */
  private readonly parked = new Map<Signed, { from: Addr; until: number }>();
  private nextParkedAt = 0;
  private probe: ProbeRun | null = null;
  private seq = 0;
  private started = false;
  private startedAt = 0;
  private left = false;
  private now: number;
  private nextProbeAt: number;
  private nextGossipAt: number;
  private nextPushPullAt: number;
  private nextAttFetchAt = 0;
  private out: Outbound[] = [];
  private events: MemberEvent[] = [];
  private rejections: Rejection[] = [];
  private digestHash: Uint8Array | null = null;
  private readonly counters: SwimStats = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, streamBytesIn: 0, streamBytesOut: 0 };
  /** Signed records carried by anti-entropy (records.ts); null when this node carries none. */
  private readonly book: RecordBook | null;
  /** When to push newly published records to a few peers: one push-pull carries a whole batch, so publishes coalesce. */
  private publishPushAt: number | null = null;
  private lastPublishPush = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly cfg: GossipConfig,
    private readonly trust: Trust,
    private readonly random: () => number,
    now: number,
    opts: { records?: RecordOptions } = {},
  ) {
    this.book = opts.records ? RecordBook.from(opts.records, random) : null;
    this.now = now;
    this.me = { name: cfg.name, addr: cfg.addr, incarnation: cfg.incarnation, state: 'alive', key: null, alive: null, final: null, att: null, updatedAt: now };
    this.table = new MemberTable(cfg, trust, this.me);
    this.awareness = new Awareness(cfg.awarenessMax);
    this.order = new ProbeOrder(random);
    // Spread the members' probe rounds so a cluster started at once does not probe in lockstep.
    this.nextProbeAt = now + Math.floor(random() * cfg.probeIntervalMs);
    this.nextGossipAt = now + cfg.gossipIntervalMs;
    this.nextPushPullAt = now + this.rejoinMs();
    // A replayed packet is accepted within the skew window either side: remember request ids for both.
    this.wakes = new WakeDesk(2 * cfg.maxSkewMs);
  }

  // ---- driver interface ----

  start(now: number): void {
    this.now = now;
    if (this.started) return;
    this.started = true;
    this.startedAt = now;
    this.announce(now);
    for (const seed of this.cfg.seeds) if (seed !== this.cfg.addr) this.hello(seed, now, []);
  }

  receivePacket(from: Addr, bytes: Uint8Array, now: number): void {
    this.now = now;
    this.counters.packetsIn++;
    this.counters.bytesIn += bytes.length;
    if (this.left || !this.started) return;
    const d = decodePacket(bytes);
    if (!d.ok) return this.reject(from, d.error, now);
    const { body, signed, sig } = d.value;
    if (body.sender === this.me.name) return this.reject(from, { code: 'NOT_AUTHOR', message: 'packet claims to come from this node' }, now);
    if (Math.abs(body.sentAt - now) > this.cfg.maxSkewMs) return this.reject(from, { code: 'TIME', message: `packet from ${body.sender} sent ${body.sentAt - now} ms from now` }, now);
    if (!this.authentic(body.sender, body.msgs, signed, sig, now, from)) return;
    this.heard.set(body.sender, now);
    for (const m of body.msgs) this.onMsg(from, m, now, body.sender);
  }

  receiveStream(from: Addr, bytes: Uint8Array, now: number): Uint8Array | null {
    this.now = now;
    this.counters.streamBytesIn += bytes.length;
    if (this.left) return null;
    const f = this.openFrame(from, bytes, now);
    if (!f) return null;
    const p = f.body;
    let reply: Phase | null = null;
    if (p.phase === 'hello') {
      // Records count only between two nodes that both carry them.
      const rec = p.rec && this.book ? { book: this.book, theirs: p.rec } : null;
      if (sameBytes(this.hash(), p.hash) && (!rec || sameBytes(rec.book.hash(), rec.theirs))) reply = p.wantAtt.length ? { phase: 'records', records: this.records(p.wantAtt) } : { phase: 'in-sync' };
      else reply = { phase: 'digest', digest: this.digest().entries, ...(rec ? { rec: rec.book.digest() } : {}) };
    } else if (p.phase === 'push') {
      this.merge(p.records, f.sender, from, now);
      if (p.rec) this.mergeRecords(p.rec.blobs, from, now);
      reply = { phase: 'records', records: this.records(p.wants), ...(p.rec && this.book ? { rec: this.book.serve(p.rec.wants) } : {}) };
    } else {
      this.reject(from, { code: 'MALFORMED', message: `stream from ${f.sender} opened with a ${p.phase} frame` }, now);
    }
    return reply ? this.frame(reply, now) : null;
  }

  receiveStreamReply(to: Addr, bytes: Uint8Array, now: number): Uint8Array | null {
    this.now = now;
    this.counters.streamBytesIn += bytes.length;
    const f = this.openFrame(to, bytes, now);
    if (!f) return null;
    const p = f.body;
    if (p.phase === 'digest') {
      const mine = new Map(this.digest().entries.map((e) => [e.name, e]));
      const theirs = new Map(p.digest.map((e) => [e.name, e]));
      const push: MemberRecord[] = [];
      const wants: string[] = [];
      for (const [name, e] of mine) {
        const t = theirs.get(name);
        if (!t || newer(e, t)) push.push(...this.records([name]));
      }
      for (const [name, t] of theirs) {
        const e = mine.get(name);
        const m = this.table.members.get(name);
        const lacksAtt = t.att !== null && m?.att && sameBytes(m.att, t.att) && !this.hasAtt(name, t.att);
        if (name !== this.me.name && (!e || newer(t, e) || lacksAtt || this.wantAtt.has(name))) wants.push(name);
      }
      const rec = p.rec && this.book ? this.book.compare(p.rec, this.isMember) : null;
      if (!push.length && !wants.length && !rec?.blobs.length && !rec?.wants.length) return null;
      return this.frame({ phase: 'push', records: push, wants, ...(rec ? { rec } : {}) }, now);
    }
    if (p.phase === 'records') {
      this.merge(p.records, f.sender, to, now);
      if (p.rec) this.mergeRecords(p.rec, to, now);
    }
    return null;
  }

  streamFailed(to: Addr, now: number): void {
    this.now = now;
    // Nothing to undo: push-pull is repair, the next round or another peer does it.
    void to;
  }

  tick(now: number): void {
    this.now = now;
    if (!this.started) return;
    if (!this.left) {
      this.runProbe(now);
      this.runRelays(now);
      this.runSuspicions(now);
      this.runPushPull(now);
      this.retryParked(now);
      this.runPublishPush(now);
    }
    if (now >= this.nextGossipAt) {
      this.gossip(now);
      this.nextGossipAt = now + this.cfg.gossipIntervalMs;
    }
  }

  takeOutbound(): Outbound[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  takeEvents(): MemberEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  takeRejections(): Rejection[] {
    const r = this.rejections;
    this.rejections = [];
    return r;
  }

  nextWake(): number {
    let t = this.nextGossipAt;
    if (this.left || !this.started) return t;
    const p = this.probe;
    if (!p) t = Math.min(t, this.nextProbeAt);
    else t = Math.min(t, !p.acked && !p.indirect ? p.timeoutAt : p.endAt);
    t = Math.min(t, this.nextPushPullAt);
    for (const r of this.relays.values()) t = Math.min(t, r.nacked ? r.expiresAt : r.nackAt);
    const k = this.table.quorum();
    for (const sp of this.table.suspicions.values()) if (sp.accusers.size >= k && sp.accusers.has(this.me.name)) t = Math.min(t, sp.deadline);
    if (this.wantAtt.size) t = Math.min(t, Math.max(this.nextAttFetchAt, this.now));
    if (this.publishPushAt !== null) t = Math.min(t, this.publishPushAt);
    return t;
  }

  /** Who confirmed `name` suspect or dead at the incarnation accused (state.ts confirmers); empty for a live member. */
  confirmers(name: string): string[] {
    return this.table.confirmers(name);
  }

  members(): MemberView[] {
    const out: MemberView[] = [];
    for (const m of this.table.members.values()) out.push(this.view(m));
    return out;
  }

  self(): MemberView {
    return this.view(this.me);
  }

  leave(now: number): void {
    this.now = now;
    if (this.left || !this.started) return;
    const s = signUpdate({ type: 'leave', name: this.me.name, incarnation: this.me.incarnation, time: now }, this.trust);
    this.me.final = s;
    this.pushEvent(this.table.retire(now));
    this.queue.push(this.me.name, this.me.name, s, updateSize(s), true, FINAL_WEIGHT);
    this.left = true;
    // Several direct copies: a leave that is lost looks like a crash and costs a suspicion round.
    for (const m of this.pick(this.cfg.gossipNodes * 2, () => true)) this.send(m.addr, [{ type: 'update', update: s }], null);
  }

  /**
   * Asks up to WAKE_FANOUT live members to send a Wake-on-LAN packet for `mac` on their own
   * segments: only for a member this node holds dead, as the members asked will check too.
   * Returns how many were asked.
   */
  askWake(subject: string, mac: Uint8Array, now: number): GossipResult<number> {
    this.now = now;
    if (mac.length !== 6) return gerr('MALFORMED', 'a MAC is 6 bytes');
    const m = this.table.members.get(subject);
    if (!m || m.state !== 'dead') return gerr('REFUSED', `${subject} is ${m?.state ?? 'not a member'} here, not dead: members would refuse to wake it`);
    const peers = this.pick(WAKE_FANOUT, (p) => isLive(p) && p.name !== subject);
    for (const p of peers) this.send(p.addr, [{ type: 'wake', nonce: this.nextSeq(), subject, mac }], null);
    return gok(peers.length);
  }

  /**
   * Sends a heal lease straight to up to LEASE_FANOUT live members other than its subject;
   * how many. The daemon calls this for its own leases and once for each peer's lease it verified.
   */
  sendLease(bytes: Uint8Array, subject: string, now: number): GossipResult<number> {
    this.now = now;
    if (bytes.length === 0 || bytes.length > MAX_LEASE) return gerr('TOO_LARGE', `a lease is 1 to ${MAX_LEASE} bytes, not ${bytes.length}`);
    this.leases.own(bytes);
    const peers = this.pick(LEASE_FANOUT, (p) => isLive(p) && p.name !== subject);
    for (const p of peers) this.send(p.addr, [{ type: 'lease', lease: bytes }], null);
    return gok(peers.length);
  }

  /** Leases live members sent since the last call, each distinct one once, unverified: the daemon checks the actor's signature. */
  takeLeases(): LeaseMessage[] {
    return this.leases.take();
  }

  /** When `name` last sent this node a packet or stream frame that verified (ms, the core's clock), or null. */
  heardAt(name: string): number | null {
    return this.heard.get(name) ?? null;
  }

  /** The credentials `name` was admitted with (its org certificate and session binding), or null. */
  credsOf(name: string): Uint8Array | null {
    return this.table.members.get(name)?.key?.creds ?? null;
  }

  /** The verified, unexpired attestation record of `name`'s current announcement, or null. */
  attestationOf(name: string): Uint8Array | null {
    const m = this.table.members.get(name);
    if (!m) return null;
    if (m === this.me) return this.myAtt?.record ?? null;
    const a = this.atts.get(name);
    return m.att && a && sameBytes(a.digest, m.att) && a.expires > this.now ? a.record : null;
  }

  /** Wake requests members sent that this node accepted, for the daemon to carry out. */
  takeWakes(): WakeRequest[] {
    return this.wakes.take();
  }

  /** Every member this node can vouch for, as push-pull sends them: what a snapshot on disk (serf's snapshotter) would hold. */
  snapshot(): MemberRecord[] {
    return this.records(this.names.length ? [this.me.name, ...this.names] : [this.me.name]);
  }

  /**
   * Takes a saved membership as if a push-pull had brought it, every record checked as one
   * from the network is, none passed on: a restart that remembers its cluster, and the
   * simulator's warm start of a cluster too large to join through gossip in useful time.
   */
  restore(records: MemberRecord[], now: number): void {
    this.now = now;
    this.merge(records, '', this.me.addr, now);
    this.digestHash = null;
  }

  setAttestation(record: Uint8Array, now: number): void {
    this.now = now;
    this.myAtt = { digest: attDigest(record), record, expires: Number.POSITIVE_INFINITY };
    this.me.incarnation++;
    if (this.started) this.announce(now);
  }

  stats(): SwimStats {
    return { ...this.counters };
  }

  /**
   * A record of this node's own store (records.ts): verified, held, and
   * pushed to a few live peers at the next tick (with whatever else was
   * published meanwhile); the periodic push-pull carries it on.
   */
  publishRecord(bytes: Uint8Array, now: number): GossipResult<RecordClaim> {
    this.now = now;
    if (!this.book) return gerr('REFUSED', 'this node carries no records');
    const r = this.book.publish(bytes, now);
    if (!r.ok) return r;
    if (r.value.accepted) this.publishPushAt ??= Math.max(now, this.lastPublishPush + this.cfg.gossipIntervalMs);
    return gok({ node: r.value.node, id: r.value.id, seq: r.value.seq });
  }

  /** Records peers brought since the last call, for the daemon to store. */
  takeRecords(): RecordBlob[] {
    return this.book?.takeAccepted() ?? [];
  }

  /** The (key, seq, digest) of every record held. */
  recordDigest(): RecordDigest[] {
    return this.book?.digest() ?? [];
  }

  // ---- packets ----

  /**
   * Checks the packet signature. A joiner's (or a rebooted member's) first
   * packets carry its own alive with its credentials: that one update is taken
   * before the signature check, because it is what makes the check possible;
   * it authenticates itself through the org-signed credentials.
   */
  private authentic(sender: string, msgs: Msg[], signed: Uint8Array, sig: Uint8Array, now: number, from: Addr): boolean {
    const key = this.table.members.get(sender)?.key;
    if (key && key.verify(signed, sig)) return true;
    for (const m of msgs) {
      if (m.type !== 'update') continue;
      const u = decodeUpdate(m.update.body);
      if (u.ok && u.value.type === 'alive' && u.value.name === sender && u.value.creds) this.handle(this.table.apply(m.update, now), m.update, from, now);
    }
    const fresh = this.table.members.get(sender)?.key;
    if (!fresh) {
      this.reject(from, { code: 'UNKNOWN_AUTHOR', message: `packet from ${sender}, whose credentials this node does not hold` }, now);
      this.learnFrom(from, now);
      return false;
    }
    if (fresh !== key && fresh.verify(signed, sig)) return true;
    this.reject(from, { code: 'BAD_SIGNATURE', message: `packet from ${sender} does not verify` }, now);
    // Possibly a restarted member whose new credentials have not reached this node: ask it, at the
    // address this node has for it, so a forged packet cannot point the request elsewhere.
    this.learnFrom(this.table.members.get(sender)?.addr ?? from, now);
    return false;
  }

  private onMsg(from: Addr, m: Msg, now: number, sender: string): void {
    switch (m.type) {
      case 'wake': {
        const subject = this.table.members.get(m.subject);
        const asker = this.table.members.get(sender);
        if (!asker || !isLive(asker)) return this.reject(from, { code: 'REFUSED', message: `wake for ${m.subject} from ${sender}, not a live member here` }, now);
        if (!subject || subject.state !== 'dead') return this.reject(from, { code: 'REFUSED', message: `wake for ${m.subject} from ${sender}: this node holds it ${subject?.state ?? 'unknown'}, not dead` }, now);
        this.wakes.accept({ from: sender, subject: m.subject, mac: m.mac, at: now }, m.nonce);
        return;
      }
      case 'lease': {
        const peer = this.table.members.get(sender);
        if (!peer || !isLive(peer)) return this.reject(from, { code: 'REFUSED', message: `lease from ${sender}, not a live member here` }, now);
        this.leases.accept(sender, m.lease);
        return;
      }
      case 'ping':
        if (m.target === this.me.name) this.send(from, [{ type: 'ack', seq: m.seq }], null);
        return;
      case 'ack': {
        const p = this.probe;
        if (p && p.seq === m.seq) {
          p.acked = true;
          return;
        }
        const r = this.relays.get(m.seq);
        if (r) {
          this.relays.delete(m.seq);
          this.send(r.origin, [{ type: 'ack', seq: r.originSeq }], null);
        }
        return;
      }
      case 'nack':
        if (this.probe && this.probe.seq === m.seq) this.probe.nacks++;
        return;
      case 'ping-req': {
        // Only members are probed on request: a ping-req is not a way to make this node send to any address.
        const t = this.table.members.get(m.target);
        if (!t || t === this.me || this.relays.size >= 256) return;
        const seq = this.nextSeq();
        this.relays.set(seq, { origin: from, originSeq: m.seq, nackAt: now + Math.floor(this.cfg.probeTimeoutMs * 0.8), expiresAt: now + this.cfg.probeIntervalMs, nacked: false });
        this.send(t.addr, [{ type: 'ping', seq, target: t.name }], t.name);
        return;
      }
      case 'update':
        this.handle(this.table.apply(m.update, now), m.update, from, now);
        return;
    }
  }

  private handle(o: Outcome, s: Signed, from: Addr | null, now: number, rebroadcast = true): void {
    switch (o.kind) {
      case 'ignored':
        return;
      case 'rejected':
        this.reject(from ?? '', o.error, now);
        // The relayer holds what this node lacks (a joiner meeting accusers it has not learned yet).
        if (o.error.code === 'UNKNOWN_AUTHOR' && from) {
          this.learnFrom(from, now);
          this.park(s, from, now);
        }
        return;
      case 'refute':
        return this.refute(o.incarnation, o.accusers, now);
      case 'remind':
        for (const a of o.accusers) this.remind(a, now);
        return;
      case 'accepted': {
        this.pushEvent(o.event);
        if (o.joined) {
          this.names.push(o.subject);
          this.order.add(o.subject);
        }
        this.digestHash = null;
        // A suspicion spreads once, when it starts here; later accusers' confirmations go to the
        // accusers themselves (accuse()), the only members that can use them to bury.
        if (rebroadcast && (o.replaces || o.event)) this.queue.push(o.subject, o.key, s, updateSize(s), o.replaces, isFinal(o.event) ? FINAL_WEIGHT : 1);
        const m = this.table.members.get(o.subject);
        if (m?.att && isLive(m) && !this.hasAtt(m.name, m.att)) this.wantAtt.add(m.name);
        if (o.heardSuspicion && this.random() * Math.max(1, this.table.liveCount - 1) < this.cfg.suspectProbeFanout) this.order.prioritize(o.subject);
        return;
      }
    }
  }

  private send(to: Addr, msgs: Msg[], prefer: string | null): void {
    let budget = this.cfg.maxPacketBytes - packetOverhead(this.me.name);
    for (const m of msgs) budget -= msgSize(m);
    const piggy = this.queue.take(budget, retransmitLimit(this.cfg.retransmitMult, this.table.liveCount), prefer);
    const all = piggy.length ? [...msgs, ...piggy.map((update): Msg => ({ type: 'update', update }))] : msgs;
    if (!all.length) return;
    const bytes = encodePacket({ sender: this.me.name, sentAt: this.now, msgs: all }, this.trust);
    this.counters.packetsOut++;
    this.counters.bytesOut += bytes.length;
    this.out.push({ kind: 'packet', to, bytes });
  }

  // ---- failure detection ----

  private runProbe(now: number): void {
    const p = this.probe;
    if (p && !p.acked && !p.indirect && now >= p.timeoutAt) {
      p.indirect = true;
      const target = this.table.members.get(p.target);
      if (target) {
        // A second direct ping alongside the ping-reqs: under loss it is the cheapest extra chance.
        this.send(target.addr, [{ type: 'ping', seq: p.seq, target: target.name }], target.name);
        const helpers = this.pick(this.cfg.indirectChecks, (m) => m.state === 'alive' && m.name !== p.target);
        for (const h of helpers) this.send(h.addr, [{ type: 'ping-req', seq: p.seq, target: target.name, targetAddr: target.addr }], null);
        p.expectedNacks = helpers.length;
      }
    }
    if (p && now >= p.endAt) {
      this.probe = null;
      const sp = this.table.suspicions.get(p.target);
      if (p.acked) {
        this.awareness.apply(-1);
        sp?.withdraw(this.me.name);
      } else {
        // Lifeguard: missing nacks mean this node is not hearing its peers, which is evidence against itself.
        this.awareness.apply(p.expectedNacks > 0 ? Math.max(0, p.expectedNacks - p.nacks) : 1);
        this.accuse(p.target, now);
        // An accuser keeps checking its suspect (and telling it) every period until it refutes or is buried.
        if (this.table.suspicions.has(p.target)) this.order.prioritize(p.target);
      }
    }
    if (!this.probe && now >= this.nextProbeAt) {
      this.nextProbeAt = now + this.awareness.scale(this.cfg.probeIntervalMs);
      const name = this.order.next((n) => {
        const m = this.table.members.get(n);
        return m !== undefined && m !== this.me && isLive(m);
      });
      const t = name === null ? undefined : this.table.members.get(name);
      if (!t) return;
      const seq = this.nextSeq();
      this.probe = { target: t.name, seq, timeoutAt: now + this.cfg.probeTimeoutMs, endAt: this.nextProbeAt, acked: false, indirect: false, expectedNacks: 0, nacks: 0 };
      // Buddy system: a suspect hears of its suspicion on every probe, not only while the update is still queued.
      const sp = this.table.suspicions.get(t.name);
      const tell = sp ? (sp.accusers.get(this.me.name) ?? sp.accusers.values().next().value) : undefined;
      this.send(t.addr, tell ? [{ type: 'ping', seq, target: t.name }, { type: 'update', update: tell }] : [{ type: 'ping', seq, target: t.name }], t.name);
    }
  }

  private runRelays(now: number): void {
    for (const [seq, r] of this.relays) {
      if (!r.nacked && now >= r.nackAt) {
        r.nacked = true;
        this.send(r.origin, [{ type: 'nack', seq: r.originSeq }], null);
      }
      if (now >= r.expiresAt) this.relays.delete(seq);
    }
  }

  /** This node's own probe failed: sign a suspicion and tell the suspect first (buddy system). */
  private accuse(name: string, now: number): void {
    const x = this.table.members.get(name);
    const sp = this.table.suspicions.get(name);
    if (!x || !isLive(x) || sp?.accusers.has(this.me.name)) return;
    // Accuse the incarnation the others accuse, so this suspicion counts with theirs.
    const incarnation = Math.max(x.incarnation, sp?.incarnation ?? 0);
    const s = signUpdate({ type: 'suspect', author: this.me.name, subject: name, incarnation, time: now }, this.trust);
    const o = this.table.confirm(x, incarnation, this.me.name, s, now);
    this.handle(o, s, null, now);
    if (o.kind === 'accepted' && !o.event) {
      for (const a of sp?.accusers.keys() ?? []) {
        const m = a === this.me.name ? undefined : this.table.members.get(a);
        if (m) this.send(m.addr, [{ type: 'update', update: s }], null);
      }
    }
    this.send(x.addr, [{ type: 'update', update: s }], name);
  }

  private runSuspicions(now: number): void {
    const k = this.table.quorum();
    for (const [name, sp] of this.table.suspicions) {
      const x = this.table.members.get(name);
      if (!x || x.state !== 'suspect' || sp.incarnation < x.incarnation) {
        this.table.suspicions.delete(name);
        continue;
      }
      const own = sp.accusers.get(this.me.name);
      // Only a witness buries: the others wait for its death certificate.
      if (!own || now < sp.deadline || sp.accusers.size < k) continue;
      const evidence = [own, ...[...sp.accusers].filter(([a]) => a !== this.me.name).map(([, s]) => s)].slice(0, k);
      const s = signUpdate({ type: 'dead', author: this.me.name, subject: name, incarnation: sp.incarnation, time: now, evidence }, this.trust);
      this.pushEvent(this.table.bury(x, sp.incarnation, s, now));
      this.digestHash = null;
      this.queue.push(name, name, s, updateSize(s), true, FINAL_WEIGHT);
      // Straight to the buried: if it is in fact alive, it refutes at once.
      this.send(x.addr, [], name);
    }
  }

  private refute(incarnation: number, accusers: string[], now: number): void {
    this.me.incarnation = Math.max(this.me.incarnation, incarnation) + 1;
    this.awareness.apply(1);
    this.announce(now);
    for (const a of accusers) {
      const m = this.table.members.get(a);
      if (m) this.send(m.addr, [], this.me.name);
    }
  }

  /** Sends this node's current alive straight to an accuser that missed it, at most once a probe interval each. */
  private remind(accuser: string, now: number): void {
    const m = this.table.members.get(accuser);
    const last = this.reminded.get(accuser) ?? Number.NEGATIVE_INFINITY;
    if (!m || !this.me.alive || now - last < this.cfg.probeIntervalMs) return;
    this.reminded.set(accuser, now);
    this.send(m.addr, [{ type: 'update', update: this.me.alive }], null);
  }

  /**
   * Signs and queues this node's alive. For its first minute a session puts its
   * credentials in every announcement: peers that knew an earlier session of
   * this node (before a restart) can check nothing else it sends until they
   * have them. Later announcements stay small; a peer that still lacks them
   * asks by push-pull (learnFrom).
   */
  private announce(now: number): void {
    const withCreds = now - this.startedAt < CREDS_ANNOUNCE_MS;
    const s = signUpdate(
      { type: 'alive', name: this.me.name, incarnation: this.me.incarnation, time: now, addr: this.me.addr, creds: withCreds ? this.trust.creds : null, att: this.myAtt?.digest ?? null },
      this.trust,
    );
    this.me.alive = s;
    this.me.att = this.myAtt?.digest ?? null;
    this.digestHash = null;
    this.queue.push(this.me.name, this.me.name, s, updateSize(s), true);
  }

  // ---- dissemination ----

  private gossip(now: number): void {
    if (!this.queue.length) return;
    const recentDead = (m: Member): boolean => m.state === 'dead' && now - m.updatedAt < this.cfg.gossipToTheDeadMs;
    for (const m of this.pick(this.cfg.gossipNodes, (x) => isLive(x) || recentDead(x))) {
      this.send(m.addr, [], null);
      if (!this.queue.length) break;
    }
  }

  /** Up to n distinct random members other than this one, by bounded rejection sampling. */
  private pick(n: number, ok: (m: Member) => boolean): Member[] {
    const out: Member[] = [];
    const len = this.names.length;
    if (!len) return out;
    for (let tries = 0; tries < n * 4 + 8 && out.length < n; tries++) {
      const m = this.table.members.get(this.names[Math.floor(this.random() * len)] as string);
      if (m && m !== this.me && ok(m) && !out.includes(m)) out.push(m);
    }
    return out;
  }

  // ---- anti-entropy ----

  private rejoinMs(): number {
    return Math.max(2000, 4 * this.cfg.probeIntervalMs);
  }

  private runPushPull(now: number): void {
    if (this.wantAtt.size && now >= this.nextAttFetchAt) {
      this.nextAttFetchAt = now + 5 * this.cfg.gossipIntervalMs;
      const [name] = this.wantAtt;
      const m = name === undefined ? undefined : this.table.members.get(name);
      if (m && isLive(m)) this.hello(m.addr, now, [...this.wantAtt].slice(0, 16));
      else if (name !== undefined) this.wantAtt.delete(name);
    }
    if (now < this.nextPushPullAt) return;
    const alone = this.table.liveCount <= 1;
    this.nextPushPullAt = now + (alone ? this.rejoinMs() : pushPullInterval(this.cfg.pushPullIntervalMs, this.table.liveCount));
    if (alone) {
      for (const seed of this.cfg.seeds) if (seed !== this.cfg.addr) this.hello(seed, now, []);
      return;
    }
    const [peer] = this.pick(1, (m) => m.state === 'alive');
    if (peer) this.hello(peer.addr, now, []);
  }

  private runPublishPush(now: number): void {
    if (this.publishPushAt === null || now < this.publishPushAt) return;
    this.publishPushAt = null;
    this.lastPublishPush = now;
    for (const m of this.pick(PUBLISH_FANOUT, (x) => x.state === 'alive')) this.hello(m.addr, now, []);
  }

  /**
   * A death whose accusers this node has not learned yet is kept and applied
   * again once a second: the accusers' alives usually arrive within a few
   * gossip rounds, while every relayed copy of the death may already have
   * passed, and a learnFrom stream may be rate-limited or lost. Without this
   * the node would hear of the death only at its next push-pull, minutes later
   * in a large cluster. Bounded in count and by the signed time window.
   */
  private park(s: Signed, from: Addr, now: number): void {
    if (this.parked.size >= 64 && !this.parked.has(s)) return;
    this.parked.set(s, { from, until: now + this.cfg.maxSkewMs });
  }

  private retryParked(now: number): void {
    if (this.parked.size === 0 || now < this.nextParkedAt) return;
    this.nextParkedAt = now + 1000;
    // A retry that fails again parks itself anew: take the batch out first.
    const batch = [...this.parked];
    this.parked.clear();
    for (const [s, p] of batch) {
      if (now > p.until) continue;
      const o = this.table.apply(s, now);
      // Refused again: logged once already; still unknown accusers wait another round.
      if (o.kind !== 'rejected') this.handle(o, s, p.from, now);
      else if (o.error.code === 'UNKNOWN_AUTHOR') this.parked.set(s, p);
    }
  }

  /**
   * A member this node has not heard of yet (it joined moments ago) is talking
   * to it: ask it for its state, at most once per address per rejoin period,
   * so a flood of unknown senders costs a bounded number of streams.
   */
  private learnFrom(addr: Addr, now: number): void {
    const last = this.asked.get(addr);
    if (last !== undefined && now - last < this.rejoinMs()) return;
    // And at most ten a second overall: spoofed source addresses must not turn into a stream flood.
    if (now - this.lastAsked < 100) return;
    this.lastAsked = now;
    if (this.asked.size >= 1024) this.asked.clear();
    this.asked.set(addr, now);
    this.hello(addr, now, []);
  }

  private hello(to: Addr, now: number, wantAtt: string[]): void {
    const bytes = this.frame({ phase: 'hello', hash: this.hash(), wantAtt, ...(this.book ? { rec: this.book.hash() } : {}) }, now);
    this.out.push({ kind: 'stream', to, bytes });
  }

  private frame(body: Phase, now: number): Uint8Array {
    const bytes = encodeFrame({ sender: this.me.name, incarnation: this.me.incarnation, sentAt: now, body }, this.trust);
    this.counters.streamBytesOut += bytes.length;
    return bytes;
  }

  /** Decodes and authenticates a stream frame; null (and a rejection) when it does not hold up. */
  private openFrame(from: Addr, bytes: Uint8Array, now: number): Frame | null {
    const d = decodeFrame(bytes);
    if (!d.ok) return this.reject(from, d.error, now), null;
    const { frame, signed, sig } = d.value;
    if (frame.sender === this.me.name) return this.reject(from, { code: 'NOT_AUTHOR', message: 'stream frame claims to come from this node' }, now), null;
    if (Math.abs(frame.sentAt - now) > this.cfg.maxSkewMs) return this.reject(from, { code: 'TIME', message: `stream frame from ${frame.sender} dated ${frame.sentAt - now} ms from now` }, now), null;
    const k = this.trust.admit(frame.sender, frame.creds, frame.incarnation, now);
    if (!k.ok) return this.reject(from, k.error, now), null;
    if (!k.value.verify(signed, sig)) return this.reject(from, { code: 'BAD_SIGNATURE', message: `stream frame from ${frame.sender} does not verify` }, now), null;
    if (this.table.members.has(frame.sender)) this.heard.set(frame.sender, now);
    return frame;
  }

  /** Only the hash is kept between calls: the entries are rebuilt when a peer differs, which is rare and cheap next to holding them. */
  private digest(): { entries: DigestEntry[]; hash: Uint8Array } {
    const entries: DigestEntry[] = [];
    for (const m of this.table.members.values()) {
      if (!m.alive) continue;
      const code = m.state === 'dead' ? STATE_CODE.dead : m.state === 'left' ? STATE_CODE.left : STATE_CODE.live;
      entries.push({ name: m.name, incarnation: m.incarnation, code, att: m.att });
    }
    return { entries, hash: this.digestHash ?? (this.digestHash = digestHash(entries)) };
  }

  private hash(): Uint8Array {
    return this.digestHash ?? this.digest().hash;
  }

  private records(names: string[]): MemberRecord[] {
    const out: MemberRecord[] = [];
    for (const n of names) {
      const m = this.table.members.get(n);
      if (!m?.alive) continue;
      const attestation = m === this.me ? (this.myAtt?.record ?? null) : (this.atts.get(n)?.record ?? null);
      out.push({ creds: m === this.me ? this.trust.creds : (m.key?.creds ?? null), alive: m.alive, final: m.final, attestation });
    }
    return out;
  }

  /**
   * Takes records from push-pull; only the peer's own news is passed on (a
   * joiner announcing itself). Every alive first, then the deaths and leaves:
   * a death's evidence names accusers that may be further down the list.
   */
  private merge(records: MemberRecord[], peer: string, from: Addr, now: number): void {
    for (const r of records) {
      const a = this.table.apply(r.alive, now, r.creds);
      this.handle(a, r.alive, from, now, a.kind === 'accepted' && a.subject === peer);
    }
    for (const r of records) if (r.final) this.handle(this.table.apply(r.final, now), r.final, from, now, false);
    for (const r of records) if (r.attestation) this.takeAttestation(r.alive, r.attestation, from, now);
  }

  /** Records are taken only from members this node holds verified credentials of (itself included). */
  private readonly isMember = (node: string): boolean => node === this.me.name || this.table.members.get(node)?.key != null;

  private mergeRecords(blobs: RecordBlob[], from: Addr, now: number): void {
    for (const e of this.book?.offerAll(blobs, this.isMember, now) ?? []) this.reject(from, e, now);
  }

  private takeAttestation(alive: Signed, record: Uint8Array, from: Addr, now: number): void {
    const u = decodeUpdate(alive.body);
    if (!u.ok || u.value.type !== 'alive') return;
    const d = u.value.name;
    const m = this.table.members.get(d);
    const digest = attDigest(record);
    if (!m?.att || !sameBytes(m.att, digest) || this.hasAtt(d, digest)) return;
    const checked = this.trust.checkAttestation ? this.trust.checkAttestation(d, record, now) : null;
    if (checked && !checked.ok) return this.reject(from, checked.error, now);
    // A record from an earlier session of the member says nothing about the one gossiping now.
    if (checked && m.key && checked.value.keyId !== m.key.id) return this.reject(from, { code: 'UNTRUSTED', message: `attestation of ${d} was signed by another session than the one it gossips with` }, now);
    this.atts.set(d, { digest, record, expires: checked ? checked.value.expires : Number.POSITIVE_INFINITY });
    this.wantAtt.delete(d);
  }

  private hasAtt(name: string, digest: Uint8Array): boolean {
    const a = this.atts.get(name);
    return a !== undefined && sameBytes(a.digest, digest);
  }

  // ---- bookkeeping ----

  private view(m: Member): MemberView {
    const attested = m === this.me ? this.myAtt !== null : m.att !== null && this.hasAtt(m.name, m.att) && (this.atts.get(m.name)?.expires ?? 0) > this.now;
    return { name: m.name, addr: m.addr, state: m.state, incarnation: m.incarnation, attested, updatedAt: m.updatedAt, self: m === this.me };
  }

  private pushEvent(e: MemberEvent | null): void {
    if (e) this.events.push(e);
  }

  private reject(from: Addr, error: GossipError, now: number): void {
    this.rejections.push({ from, error, at: now });
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) % 0x7fffffff;
    return this.seq;
  }
}

/** A death or a leave: news that ends a membership, sent FINAL_WEIGHT times as often. */
const isFinal = (e: MemberEvent | null | undefined): boolean => e?.to === 'dead' || e?.to === 'left';
