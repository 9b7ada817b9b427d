// The simulated network between node indices: per-packet latency (base plus
// uniform jitter), uniform loss, one-way cuts (A->B dropped, B->A fine) and
// timed partitions. It decides a packet's fate when the packet is sent; the
// cluster decides whether anyone is there to receive it on arrival.
import type { Rng } from './prng.ts';

export interface NetworkConfig {
  /** One-way base latency. */
  latencyMs: number;
  /** Added to each packet: uniform in [0, jitterMs). */
  jitterMs: number;
  /** Probability that a datagram is dropped. */
  loss: number;
  /** Stream throughput, for a frame's serialisation time. */
  bandwidthBytesPerMs: number;
  /** How long a stream to an unreachable (partitioned) peer takes to fail; a dead process refuses in one round trip. */
  streamConnectTimeoutMs: number;
}

export const DEFAULT_NETWORK: NetworkConfig = {
  latencyMs: 1,
  jitterMs: 1,
  loss: 0,
  bandwidthBytesPerMs: 12_500, // 100 Mbit/s
  streamConnectTimeoutMs: 1_000,
};

export interface Partition {
  /** Nodes with different sides cannot reach each other while the partition holds. */
  side: (node: number) => number;
  from: number;
  until: number;
}

export interface NetworkStats {
  sent: number;
  lost: number;
  cut: number;
}

export class Network {
  readonly cfg: NetworkConfig;
  private readonly rng: Rng;
  private readonly oneWay = new Set<number>();
  private readonly partitions: Partition[] = [];
  readonly stats: NetworkStats = { sent: 0, lost: 0, cut: 0 };

  constructor(cfg: NetworkConfig, rng: Rng) {
    if (!(cfg.loss >= 0 && cfg.loss <= 1)) throw new RangeError(`loss ${cfg.loss} outside [0, 1]`);
    if (!(cfg.latencyMs >= 0 && cfg.jitterMs >= 0)) throw new RangeError('latency and jitter must be >= 0');
    this.cfg = cfg;
    this.rng = rng;
  }

  /** Drops every datagram and stream from `from` to `to`; the other direction is untouched. */
  cutOneWay(from: number, to: number): void {
    this.oneWay.add(pairKey(from, to));
  }

  addPartition(p: Partition): void {
    if (!(p.until > p.from)) throw new RangeError('a partition must end after it starts');
    this.partitions.push(p);
  }

  /** Reachability without loss: the cuts and the partitions holding at `t`. */
  reachable(from: number, to: number, t: number): boolean {
    if (this.oneWay.size > 0 && this.oneWay.has(pairKey(from, to))) return false;
    for (const p of this.partitions) {
      if (t >= p.from && t < p.until && p.side(from) !== p.side(to)) return false;
    }
    return true;
  }

  /**
   * True when a partition held at any time in [t - graceMs, t]. Deaths then are the partition's doing even
   * between members on one side: after the heal, push-pull hands each side the other's signed deaths.
   */
  partitionedWithin(t: number, graceMs: number): boolean {
    for (const p of this.partitions) if (p.from <= t && p.until >= t - graceMs) return true;
    return false;
  }

  /** The arrival time of a datagram sent at `t`, or null when it is lost or cut. */
  packet(from: number, to: number, t: number): number | null {
    this.stats.sent++;
    if (!this.reachable(from, to, t)) {
      this.stats.cut++;
      return null;
    }
    if (this.cfg.loss > 0 && this.rng.next() < this.cfg.loss) {
      this.stats.lost++;
      return null;
    }
    return t + this.oneWayDelay();
  }

  oneWayDelay(): number {
    return this.cfg.latencyMs + (this.cfg.jitterMs > 0 ? this.rng.next() * this.cfg.jitterMs : 0);
  }

  /** One stream frame's transit: TCP retransmits hide loss, so a frame costs latency and serialisation, never a drop. */
  frameDelay(bytes: number): number {
    return this.oneWayDelay() + bytes / this.cfg.bandwidthBytesPerMs;
  }

  /** Connection setup before the first frame: one round trip (SYN, SYN-ACK). */
  connectDelay(): number {
    return this.oneWayDelay() + this.oneWayDelay();
  }
}

function pairKey(from: number, to: number): number {
  return from * 0x200000 + to;
}
