// Runs N gossip cores on one virtual clock. Every call into a core is followed
// by draining what it produced (outbound datagrams and streams, member events,
// rejections) and rescheduling its wake timer, exactly as the daemon's driver
// does around real sockets and timers.
import type { Addr, MemberEvent, Rejection, Trust } from '../../agent/gossip/types.ts';
import type { CoreFactory, SimCore } from './core.ts';
import type { Network } from './network.ts';
import { Rng } from './prng.ts';
import { Scheduler } from './scheduler.ts';
import type { SimRegistry } from './trust.ts';

/** A stream is one push-pull exchange; the core is never allowed more request/reply rounds than this on one stream. */
export const MAX_STREAM_ROUNDS = 8;

export interface ClusterObserver {
  event(observer: number, e: MemberEvent, now: number): void;
  rejection(observer: number, r: Rejection): void;
  started(node: number, incarnation: number, now: number): void;
  killed(node: number, now: number): void;
  packetSent(node: number, bytes: number): void;
  packetReceived(node: number, bytes: number): void;
  frameSent(node: number, bytes: number): void;
  frameReceived(node: number, bytes: number): void;
}

interface Slot {
  name: string;
  addr: Addr;
  seeds: Addr[];
  core: SimCore | null;
  trust: Trust | null;
  /** Bumped on every kill and restart, so late events for an earlier life are dropped. */
  life: number;
  slowMs: number;
  wakeAt: number;
  wakeGen: number;
  rng: Rng;
}

type Ev =
  | { k: 'wake'; node: number; gen: number }
  | { k: 'packet'; to: number; from: number; bytes: Uint8Array }
  | { k: 'req'; client: number; clientLife: number; server: number; bytes: Uint8Array; round: number }
  | { k: 'reply'; client: number; clientLife: number; server: number; serverLife: number; bytes: Uint8Array; round: number }
  | { k: 'fail'; client: number; clientLife: number; to: Addr }
  | { k: 'action'; run: () => void };

export interface ClusterStats {
  events: number;
  vanished: number;
  streams: number;
  streamFailures: number;
  streamsCutAtRoundLimit: number;
}

/** Node i's address: loopback, 127.a.b.c:7946, so no simulated address is ever a real host elsewhere. */
export function simAddr(i: number): Addr {
  const n = i + 1;
  return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}:7946`;
}

export function simName(i: number): string {
  return `n${String(i).padStart(5, '0')}`;
}

export class Cluster {
  private readonly sched: Scheduler<Ev>;
  readonly net: Network;
  private readonly factory: CoreFactory;
  private readonly registry: SimRegistry;
  private readonly observer: ClusterObserver;
  private readonly rng: Rng;
  private readonly slots: Slot[] = [];
  private readonly byAddr = new Map<Addr, number>();
  private readonly byName = new Map<string, number>();
  readonly stats: ClusterStats = { events: 0, vanished: 0, streams: 0, streamFailures: 0, streamsCutAtRoundLimit: 0 };

  constructor(opts: { start: number; net: Network; factory: CoreFactory; registry: SimRegistry; observer: ClusterObserver; rng: Rng }) {
    this.sched = new Scheduler<Ev>(opts.start);
    this.net = opts.net;
    this.factory = opts.factory;
    this.registry = opts.registry;
    this.observer = opts.observer;
    this.rng = opts.rng;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Whole milliseconds, as Date.now() gives the daemon: network delays are fractional, a core's clock is not. */
  now(): number {
    return Math.floor(this.sched.now());
  }

  /** Registers node `simName(size)` without starting it. */
  add(seeds: Addr[]): number {
    const i = this.slots.length;
    const name = simName(i);
    const addr = simAddr(i);
    this.slots.push({ name, addr, seeds, core: null, trust: null, life: 0, slowMs: 0, wakeAt: Infinity, wakeGen: 0, rng: this.rng.fork(i) });
    this.byAddr.set(addr, i);
    this.byName.set(name, i);
    return i;
  }

  name(i: number): string {
    return this.slot(i).name;
  }

  addr(i: number): Addr {
    return this.slot(i).addr;
  }

  indexOfName(name: string): number | undefined {
    return this.byName.get(name);
  }

  indexOfAddr(addr: Addr): number | undefined {
    return this.byAddr.get(addr);
  }

  isAlive(i: number): boolean {
    return this.slot(i).core !== null;
  }

  core(i: number): SimCore | null {
    return this.slot(i).core;
  }

  /** The running session's signer: what a liar node signs its lies with (its own key, never another's). */
  trust(i: number): Trust | null {
    return this.slot(i).trust;
  }

  /** A stalled event loop: everything this node receives, and its own timers, run `ms` late. */
  setSlow(i: number, ms: number): void {
    this.slot(i).slowMs = ms;
  }

  /** Starts (or restarts, after kill) node i with a new session and `incarnation`. */
  start(i: number, incarnation: number): void {
    const s = this.slot(i);
    if (s.core !== null) throw new Error(`${s.name} is already running`);
    const now = this.now();
    const random = s.rng.fork(s.life);
    s.life++;
    const trust = this.registry.issue(s.name);
    s.trust = trust;
    s.core = this.factory({
      index: i,
      name: s.name,
      addr: s.addr,
      seeds: s.seeds.filter((a) => a !== s.addr),
      incarnation,
      trust,
      random: () => random.next(),
      now,
    });
    s.wakeAt = Infinity;
    s.wakeGen++;
    this.observer.started(i, incarnation, now);
    s.core.start(now);
    this.drain(i);
  }

  /** Warm start: every running node restores every running node's own record, as from a snapshot. */
  restoreAll(): void {
    const now = this.now();
    const records = [];
    for (const s of this.slots) {
      const own = s.core?.snapshot?.();
      if (own) records.push(...own);
    }
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slot(i);
      if (!s.core?.restore) continue;
      s.core.restore(records, now);
      this.drain(i);
    }
  }

  /** The process dies: it stops processing, and whatever is sent to it vanishes. */
  kill(i: number): void {
    const s = this.slot(i);
    if (s.core === null) return;
    s.core = null;
    s.trust = null;
    s.life++;
    s.wakeGen++;
    s.wakeAt = Infinity;
    this.observer.killed(i, this.now());
  }

  at(t: number, run: () => void): void {
    this.sched.at(t, { k: 'action', run });
  }

  /** A datagram from node `from` that its core did not produce (the liar's extra lies). */
  sendRaw(from: number, to: Addr, bytes: Uint8Array): void {
    this.sendPacket(from, to, bytes);
  }

  /** Runs events up to and including time `t` (or until `stop` says so); the clock ends at `t` unless stopped. */
  runUntil(t: number, stop?: () => boolean): void {
    const sched = this.sched;
    while (sched.peekTime() <= t) {
      const ev = sched.pop() as Ev;
      this.stats.events++;
      this.dispatch(ev);
      if (stop !== undefined && stop()) return;
    }
    sched.advanceTo(t);
  }

  private slot(i: number): Slot {
    const s = this.slots[i];
    if (s === undefined) throw new RangeError(`no node ${i}`);
    return s;
  }

  private dispatch(ev: Ev): void {
    switch (ev.k) {
      case 'wake':
        return this.onWake(ev.node, ev.gen);
      case 'packet':
        return this.onPacket(ev.to, ev.from, ev.bytes);
      case 'req':
        return this.onRequest(ev);
      case 'reply':
        return this.onReply(ev);
      case 'fail': {
        const s = this.slot(ev.client);
        if (s.core === null || s.life !== ev.clientLife) return;
        s.core.streamFailed(ev.to, this.now());
        return this.drain(ev.client);
      }
      case 'action':
        return ev.run();
    }
  }

  private onWake(i: number, gen: number): void {
    const s = this.slot(i);
    if (s.core === null || gen !== s.wakeGen) return;
    s.wakeAt = Infinity;
    const now = this.now();
    if (now < s.core.nextWake() + s.slowMs) return this.schedule(i, false);
    s.core.tick(now);
    this.drain(i, true);
  }

  private onPacket(to: number, from: number, bytes: Uint8Array): void {
    const s = this.slot(to);
    if (s.core === null) {
      this.stats.vanished++;
      return;
    }
    this.observer.packetReceived(to, bytes.length);
    s.core.receivePacket(this.slot(from).addr, bytes, this.now());
    this.drain(to);
  }

  private onRequest(ev: Extract<Ev, { k: 'req' }>): void {
    const c = this.slot(ev.client);
    if (c.core === null || c.life !== ev.clientLife) return;
    const s = this.slot(ev.server);
    const now = this.now();
    if (s.core === null || !this.net.reachable(ev.client, ev.server, now) || !this.net.reachable(ev.server, ev.client, now)) {
      return this.failStream(ev.client, c.life, s.addr, s.core === null);
    }
    this.observer.frameReceived(ev.server, ev.bytes.length);
    const reply = s.core.receiveStream(c.addr, ev.bytes, now);
    const serverLife = s.life;
    this.drain(ev.server);
    // The server closing without a reply is an EOF the client sees as a failed exchange.
    if (reply === null) return this.failStream(ev.client, c.life, s.addr, true);
    this.observer.frameSent(ev.server, reply.length);
    const t = now + this.net.frameDelay(reply.length) + c.slowMs;
    this.sched.at(t, { k: 'reply', client: ev.client, clientLife: ev.clientLife, server: ev.server, serverLife, bytes: reply, round: ev.round });
  }

  private onReply(ev: Extract<Ev, { k: 'reply' }>): void {
    const c = this.slot(ev.client);
    if (c.core === null || c.life !== ev.clientLife) return;
    const s = this.slot(ev.server);
    this.observer.frameReceived(ev.client, ev.bytes.length);
    const now = this.now();
    const next = c.core.receiveStreamReply(s.addr, ev.bytes, now);
    if (next !== null) {
      if (ev.round + 1 >= MAX_STREAM_ROUNDS) {
        // The daemon's transport fails such a stream (TOO_MANY_ROUNDS), and so does the simulator.
        this.stats.streamsCutAtRoundLimit++;
        this.failStream(ev.client, c.life, s.addr, true);
      } else {
        this.observer.frameSent(ev.client, next.length);
        if (s.core === null || s.life !== ev.serverLife) {
          this.failStream(ev.client, c.life, s.addr, true);
        } else {
          const t = now + this.net.frameDelay(next.length) + s.slowMs;
          this.sched.at(t, { k: 'req', client: ev.client, clientLife: ev.clientLife, server: ev.server, bytes: next, round: ev.round + 1 });
        }
      }
    }
    this.drain(ev.client);
  }

  /** A refused connection (dead process) fails in a round trip; an unreachable peer only at the connect timeout. */
  private failStream(client: number, life: number, to: Addr, refused: boolean): void {
    this.stats.streamFailures++;
    const delay = refused ? this.net.connectDelay() : this.net.cfg.streamConnectTimeoutMs;
    this.sched.at(this.now() + delay, { k: 'fail', client, clientLife: life, to });
  }

  private drain(i: number, afterTick = false): void {
    const s = this.slot(i);
    const core = s.core;
    if (core === null) return;
    const out = core.takeOutbound();
    for (const o of out) {
      if (o.kind === 'packet') this.sendPacket(i, o.to, o.bytes);
      else this.openStream(i, o.to, o.bytes);
    }
    const events = core.takeEvents();
    for (const e of events) this.observer.event(i, e, this.now());
    const rejections = core.takeRejections();
    for (const r of rejections) this.observer.rejection(i, r);
    this.schedule(i, afterTick);
  }

  private sendPacket(from: number, to: Addr, bytes: Uint8Array): void {
    this.observer.packetSent(from, bytes.length);
    const dst = this.byAddr.get(to);
    if (dst === undefined) {
      this.stats.vanished++;
      return;
    }
    const t = this.net.packet(from, dst, this.now());
    if (t === null) return;
    this.sched.at(t + this.slot(dst).slowMs, { k: 'packet', to: dst, from, bytes });
  }

  private openStream(client: number, to: Addr, bytes: Uint8Array): void {
    this.stats.streams++;
    this.observer.frameSent(client, bytes.length);
    const c = this.slot(client);
    const server = this.byAddr.get(to);
    const now = this.now();
    if (server === undefined || !this.net.reachable(client, server, now) || !this.net.reachable(server, client, now)) {
      return this.failStream(client, c.life, to, false);
    }
    const s = this.slot(server);
    if (s.core === null) return this.failStream(client, c.life, to, true);
    const t = now + this.net.connectDelay() + this.net.frameDelay(bytes.length) + s.slowMs;
    this.sched.at(t, { k: 'req', client, clientLife: c.life, server, bytes, round: 0 });
  }

  private schedule(i: number, afterTick: boolean): void {
    const s = this.slot(i);
    if (s.core === null) return;
    const want = s.core.nextWake();
    if (!Number.isFinite(want)) return;
    const now = this.now();
    // Deadlines can be fractional (suspicion timeouts); the core's clock is whole milliseconds, so wake at
    // the first whole millisecond at or after the deadline, never earlier, or the core would not see it due.
    let t = Math.ceil(want + s.slowMs);
    if (t < now) t = now;
    // A core asking to be woken at or before the tick it just had would spin the clock in place.
    if (afterTick && t <= now) t = now + 1;
    if (t >= s.wakeAt) return;
    s.wakeAt = t;
    s.wakeGen++;
    this.sched.at(t, { k: 'wake', node: i, gen: s.wakeGen });
  }
}
