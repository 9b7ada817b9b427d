// Runs the gossip core on real sockets and a real clock. The core never does
// I/O; after every call into it the driver sends what it queued, logs what
// changed and what was refused, and sleeps until the core's next deadline.
// The core's input is the network's: whatever arrives, the daemon keeps going.

import type { Logger } from 'pino';
import { StreamTransport, type StreamLimits } from './stream.ts';
import type { SwimStats } from './swim.ts';
import type { RecordBlob, RecordClaim, RecordDigest } from './records.ts';
import { gerr, type Addr, type GossipResult, type MemberEvent, type MemberState, type MemberView, type Outbound, type Rejection, type WakeRequest } from './types.ts';
import { UdpTransport } from './udp.ts';
import type { LeaseMessage } from './lease-desk.ts';

/** The part of SwimNode the driver uses (a fake core in the driver's tests). */
export interface GossipCore {
  start(now: number): void;
  receivePacket(from: Addr, bytes: Uint8Array, now: number): void;
  receiveStream(from: Addr, bytes: Uint8Array, now: number): Uint8Array | null;
  receiveStreamReply(to: Addr, bytes: Uint8Array, now: number): Uint8Array | null;
  streamFailed(to: Addr, now: number): void;
  tick(now: number): void;
  leave(now: number): void;
  takeOutbound(): Outbound[];
  takeEvents(): MemberEvent[];
  takeRejections(): Rejection[];
  nextWake(): number;
  members(): MemberView[];
  self(): MemberView;
  stats(): SwimStats;
  setAttestation(record: Uint8Array, now: number): void;
  askWake?(subject: string, mac: Uint8Array, now: number): GossipResult<number>;
  takeWakes?(): WakeRequest[];
  publishRecord?(bytes: Uint8Array, now: number): GossipResult<RecordClaim>;
  takeRecords?(): RecordBlob[];
  recordDigest?(): RecordDigest[];
  sendLease?(bytes: Uint8Array, subject: string, now: number): GossipResult<number>;
  takeLeases?(): LeaseMessage[];
  credsOf?(name: string): Uint8Array | null;
  attestationOf?(name: string): Uint8Array | null;
  confirmers?(name: string): string[];
  heardAt?(name: string): number | null;
}

export interface DriverOptions {
  core: GossipCore;
  /** Where UDP and TCP listen (may be a wildcard; the core announces its own address). */
  bind: Addr;
  maxPacketBytes: number;
  log: Logger;
  /** Rejection lines per second before they are only counted. */
  rejectionLogPerSec?: number;
  streamLimits?: Partial<StreamLimits>;
  clock?: () => number;
  /** A member asked this node to wake a dead peer on its segment (the daemon's relay sends the packet). */
  onWake?: (w: WakeRequest) => void;
  /** A peer brought a signed record (records.ts) that verified: the daemon stores it. */
  onRecord?: (r: RecordBlob) => void;
  /** Member state changes, after they are logged: the heal loop's input. */
  onEvents?: (events: MemberEvent[]) => void;
  /** A live member passed on a heal lease: unverified bytes, for the heal loop to check. */
  onLease?: (l: LeaseMessage) => void;
}

export interface DriverCounters {
  rejections: number;
  rejectionsSuppressed: number;
  coreErrors: number;
}

/**
 * How long a leaving node keeps running after it announced its leave: the
 * direct copies go out at once, and a gossip round or two repeats it for
 * members those copies missed. Short, because it delays the daemon's stop.
 */
export const LEAVE_GRACE_MS = 500;

export class GossipDriver {
  readonly counters: DriverCounters = { rejections: 0, rejectionsSuppressed: 0, coreErrors: 0 };
  private udp: UdpTransport | null = null;
  private tcp: StreamTransport | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private startedAt = 0;
  // Rejection lines are rate-limited per one-second window; the suppressed count is logged when the window turns.
  private windowStart = 0;
  private windowLines = 0;
  private windowSuppressed = 0;
  private readonly core: GossipCore;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly perSec: number;

  constructor(private readonly opts: DriverOptions) {
    this.core = opts.core;
    this.log = opts.log;
    this.clock = opts.clock ?? Date.now;
    this.perSec = opts.rejectionLogPerSec ?? 20;
  }

  /** The UDP address actually bound (after a port-0 bind, the port chosen). */
  get addr(): Addr {
    return this.udp?.addr ?? this.opts.bind;
  }

  async start(): Promise<void> {
    const { log } = this;
    this.udp = await UdpTransport.open({
      bind: this.opts.bind,
      maxPacketBytes: this.opts.maxPacketBytes,
      log,
      onMessage: (from, bytes) => this.call('packet', from, (now) => this.core.receivePacket(from, bytes, now)),
    });
    try {
      this.tcp = await StreamTransport.listen({
        bind: this.udp.addr,
        log,
        limits: this.opts.streamLimits ?? {},
        handler: {
          request: (from, bytes) => this.call('stream', from, (now) => this.core.receiveStream(from, bytes, now)) ?? null,
          reply: (to, bytes) => this.call('stream reply', to, (now) => this.core.receiveStreamReply(to, bytes, now)) ?? null,
          failed: (to) => this.call('stream failure', to, (now) => this.core.streamFailed(to, now)),
        },
      });
    } catch (e) {
      await this.udp.close();
      this.udp = null;
      throw e;
    }
    this.running = true;
    this.startedAt = this.clock();
    this.call('start', null, (now) => this.core.start(now));
  }

  /**
   * Runs one core call at the current time and then everything that follows
   * from it. A throw is a core bug; it costs a log line and a count, and the
   * core is driven on (its state is whatever the call left).
   */
  private call<T>(what: string, peer: Addr | null, f: (now: number) => T): T | undefined {
    let out: T | undefined;
    try {
      out = f(this.clock());
    } catch (e) {
      this.counters.coreErrors++;
      this.log.error({ what, peer, err: (e as Error).message }, 'gossip core threw');
    }
    this.drain();
    return out;
  }

  private drain(): void {
    let outbound: Outbound[] = [];
    let events: MemberEvent[] = [];
    let rejections: Rejection[] = [];
    let wakes: WakeRequest[] = [];
    let records: RecordBlob[] = [];
    let leases: LeaseMessage[] = [];
    try {
      outbound = this.core.takeOutbound();
      events = this.core.takeEvents();
      rejections = this.core.takeRejections();
      wakes = this.core.takeWakes?.() ?? [];
      records = this.core.takeRecords?.() ?? [];
      leases = this.core.takeLeases?.() ?? [];
    } catch (e) {
      this.counters.coreErrors++;
      this.log.error({ err: (e as Error).message }, 'gossip core threw while draining');
    }
    for (const e of events) this.log.info({ member: e.name, from: e.from, to: e.to, incarnation: e.incarnation }, 'member state');
    for (const r of rejections) this.reject(r);
    if (this.windowSuppressed > 0) this.turnWindow();
    for (const w of wakes) {
      try {
        this.opts.onWake?.(w);
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'wake handler threw');
      }
    }
    for (const r of records) {
      try {
        this.opts.onRecord?.(r);
      } catch (e) {
        this.log.error({ node: r.node, id: r.id, err: (e as Error).message }, 'record handler threw');
      }
    }
    // Handlers may call back into the driver (sendLease): they run after this drain's queues were taken.
    try {
      if (events.length) this.opts.onEvents?.(events);
      for (const l of leases) this.opts.onLease?.(l);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'heal handler threw');
    }
    if (this.running) {
      for (const o of outbound) {
        if (o.kind === 'packet') this.udp?.send(o.to, o.bytes);
        // Deferred: a stream failure calls back into the core, which must not happen inside this drain.
        else queueMicrotask(() => this.tcp?.open(o.to, o.bytes));
      }
    }
    this.arm();
  }

  private reject(r: Rejection): void {
    this.counters.rejections++;
    this.turnWindow();
    if (this.windowLines >= this.perSec) {
      this.windowSuppressed++;
      this.counters.rejectionsSuppressed++;
      return;
    }
    this.windowLines++;
    this.log.warn({ from: r.from, code: r.error.code, message: r.error.message }, 'gossip rejected');
  }

  /** Starts a new one-second window once the last has passed, first saying how many lines the last one swallowed. */
  private turnWindow(): void {
    const now = this.clock();
    if (now - this.windowStart < 1000) return;
    if (this.windowSuppressed > 0) this.log.warn({ suppressed: this.windowSuppressed }, 'gossip rejections suppressed');
    this.windowStart = now;
    this.windowLines = 0;
    this.windowSuppressed = 0;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.running) return;
    let wake: number;
    try {
      wake = this.core.nextWake();
    } catch (e) {
      this.counters.coreErrors++;
      this.log.error({ err: (e as Error).message }, 'gossip core threw in nextWake');
      wake = this.clock() + 1000;
    }
    // A non-finite wake is a core bug; waking once a second keeps the node alive while it is logged above.
    const delay = Number.isFinite(wake) ? Math.max(0, Math.min(wake - this.clock(), 2 ** 31 - 1)) : 1000;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.call('tick', null, (now) => this.core.tick(now));
    }, delay);
  }

  /** With leave, the core announces its departure and keeps running LEAVE_GRACE_MS (the option graceMs) for it to go out. */
  async stop({ leave, graceMs = LEAVE_GRACE_MS }: { leave: boolean; graceMs?: number }): Promise<void> {
    if (!this.running) return;
    if (leave) {
      this.call('leave', null, (now) => this.core.leave(now));
      await new Promise((r) => setTimeout(r, graceMs));
      await this.udp?.flushed(100);
    }
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.all([this.udp?.close(), this.tcp?.close()]);
  }

  /** Announces a new attestation record of this node; peers fetch it by push-pull. */
  attest(record: Uint8Array): void {
    if (this.running) this.call('attest', null, (now) => this.core.setAttestation(record, now));
  }

  /** Publishes a signed record of this node's store through anti-entropy; the key and seq it verified with. */
  publishRecord(bytes: Uint8Array): GossipResult<RecordClaim> {
    const publish = this.core.publishRecord?.bind(this.core);
    if (!this.running || !publish) return gerr('REFUSED', 'gossip is not running');
    return this.call('publish record', null, (now) => publish(bytes, now)) ?? gerr('REFUSED', 'the gossip core failed');
  }

  members(): MemberView[] {
    return this.core.members();
  }

  /** Sends a heal lease to a few live members (lease-desk.ts): how many. */
  sendLease(bytes: Uint8Array, subject: string): GossipResult<number> {
    const send = this.core.sendLease?.bind(this.core);
    if (!this.running || !send) return gerr('REFUSED', 'gossip is not running');
    return this.call('lease', null, (now) => send(bytes, subject, now)) ?? gerr('REFUSED', 'the gossip core failed');
  }

  credsOf(name: string): Uint8Array | null {
    return this.core.credsOf?.(name) ?? null;
  }

  attestationOf(name: string): Uint8Array | null {
    return this.core.attestationOf?.(name) ?? null;
  }

  confirmers(name: string): string[] {
    return this.core.confirmers?.(name) ?? [];
  }

  heardAt(name: string): number | null {
    return this.core.heardAt?.(name) ?? null;
  }

  /** Has members wake `subject` (which this node must hold dead) on their segments: how many were asked. */
  askWake(subject: string, mac: Uint8Array): GossipResult<number> {
    const ask = this.core.askWake?.bind(this.core);
    if (!this.running || !ask) return gerr('REFUSED', 'gossip is not running');
    return this.call('wake', null, (now) => ask(subject, mac, now)) ?? gerr('REFUSED', 'the gossip core failed');
  }

  status(): GossipStatus {
    const self = this.core.self();
    const byState: Record<MemberState, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
    for (const m of this.core.members()) byState[m.state]++;
    return {
      name: self.name,
      addr: self.addr,
      bound: this.addr,
      state: self.state,
      incarnation: self.incarnation,
      members: byState,
      uptimeMs: this.running ? this.clock() - this.startedAt : 0,
      records: this.core.recordDigest?.().length ?? null,
      core: this.core.stats(),
      udp: this.udp ? { ...this.udp.stats } : null,
      tcp: this.tcp ? { ...this.tcp.stats } : null,
      driver: { ...this.counters },
    };
  }
}

export interface GossipStatus {
  name: string;
  addr: Addr;
  bound: Addr;
  state: MemberState;
  incarnation: number;
  members: Record<MemberState, number>;
  uptimeMs: number;
  /** Signed records held (records.ts); null when the core carries none. */
  records: number | null;
  core: SwimStats;
  udp: Record<string, number> | null;
  tcp: Record<string, number> | null;
  driver: Record<string, number>;
}
