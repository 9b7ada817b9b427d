// Lifeguard's dynamic suspicion timeout (section IV.B): the timer starts at
// `max` and shrinks toward `min` as independent members confirm the suspicion,
// timeout = max(min, max - (max - min) * log(C + 1) / log(K + 1)).
// Here a confirmation is a *signed* suspicion by a distinct member, so one
// member cannot count twice however many names it writes; the same signed
// suspicions are the evidence a death certificate carries.

import type { Signed } from './wire.ts';

export interface SuspicionTimes {
  minMs: number;
  maxMs: number;
  /** Confirmations that bring the timeout down to min. */
  k: number;
}

/**
 * memberlist scales the minimum with log10 N so that a refutation can cross the
 * whole cluster before anyone declares a death. Here only a witness declares
 * (state.ts: a death is signed by one of its accusers) and the suspect answers
 * its accusers directly (buddy system, reminders), so the refutation has to
 * reach a handful of members, not all of them: the minimum stays
 * `mult` probe intervals at any size, and detection does not grow with N.
 */
export function suspicionTimes(members: number, probeIntervalMs: number, mult: number, maxMult: number, k: number): SuspicionTimes {
  const minMs = mult * probeIntervalMs;
  return { minMs, maxMs: maxMult * minMs, k: members - 2 < k ? 0 : k };
}

export function suspicionTimeout(t: SuspicionTimes, confirmations: number): number {
  if (t.k <= 0) return t.minMs;
  const frac = Math.log(confirmations + 1) / Math.log(t.k + 1);
  return Math.max(t.minMs, Math.floor(t.maxMs - (t.maxMs - t.minMs) * Math.min(1, frac)));
}

export class Suspicion {
  /** Signed suspicions by author name; the first one started the timer. */
  readonly accusers = new Map<string, Signed>();

  constructor(
    readonly incarnation: number,
    readonly startedAt: number,
    private readonly times: SuspicionTimes,
  ) {}

  /** Returns false for an author already counted. */
  confirm(author: string, signed: Signed): boolean {
    if (this.accusers.has(author)) return false;
    this.accusers.set(author, signed);
    return true;
  }

  /** This node reached the suspect after all: its own accusation no longer stands here. */
  withdraw(author: string): void {
    this.accusers.delete(author);
  }

  get deadline(): number {
    return this.startedAt + suspicionTimeout(this.times, Math.max(0, this.accusers.size - 1));
  }
}
