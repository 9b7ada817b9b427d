// Infection-style dissemination (SWIM section 4.1): every update rides on
// outgoing packets a bounded number of times, retransmitMult * ceil(log10(N+1)),
// the least-sent first, so a burst of news still seeds a few members each
// round. A newer update about a member retires the queued older ones.

import type { Signed } from './wire.ts';

interface Item {
  /** The member the update is about; `key` separates confirmations by different authors. */
  subject: string;
  key: string;
  update: Signed;
  /** Encoded size inside a packet. */
  size: number;
  sent: number;
  order: number;
}

export class BroadcastQueue {
  private items = new Map<string, Item>();
  private order = 0;

  get length(): number {
    return this.items.size;
  }

  /** `replaces`: drop every queued update about the same subject (an alive, dead or leave supersedes them). */
  push(subject: string, key: string, update: Signed, size: number, replaces: boolean): void {
    if (replaces) for (const [k, it] of this.items) if (it.subject === subject) this.items.delete(k);
    this.items.set(key, { subject, key, update, size, sent: 0, order: this.order++ });
  }

  /**
   * Takes updates that fit in `budget` bytes, least transmitted first (newest
   * first among equals), updates about `prefer` ahead of all: the buddy system
   * tells a suspect about its suspicion on the very packet that probes it.
   */
  take(budget: number, limit: number, prefer: string | null): Signed[] {
    if (this.items.size === 0) return [];
    const all = [...this.items.values()].sort(
      (a, b) => Number(b.subject === prefer) - Number(a.subject === prefer) || a.sent - b.sent || b.order - a.order,
    );
    const out: Signed[] = [];
    let left = budget;
    for (const it of all) {
      if (it.size > left) continue;
      left -= it.size;
      out.push(it.update);
      if (++it.sent >= limit) this.items.delete(it.key);
      if (left < 40) break;
    }
    return out;
  }
}

/**
 * With L sends to random members, a member misses an update with probability
 * about exp(-L * (1 - loss)) whatever the cluster size; SWIM's L = mult*log(N)
 * is too few for small clusters, hence the floor (8: under 0.2 % at 20 % loss).
 */
export const MIN_TRANSMITS = 8;
export const retransmitLimit = (mult: number, members: number): number => Math.max(MIN_TRANSMITS, mult * Math.ceil(Math.log10(members + 1)));
