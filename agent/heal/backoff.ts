// A node that keeps dying is not power-cycled in a tight loop: attempt k on a
// subject waits delays[k] after its death is confirmed (0, 1 min, 5 min,
// 30 min by default), and after maxAttempts the subject is left for a human
// with the reason. A rejoin inside a delay cancels the pending attempt; a
// subject that stays alive for resetAfterMs starts again from the first delay.
// Attempts are counted per incarnation, from this node's own actions and from
// the leases it sees: the rank changes with the incarnation, so the next death
// is often healed by another peer, which must still know it is the second try.

export interface BackoffConfig {
  delaysMs: readonly number[];
  maxAttempts: number;
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = {
  delaysMs: [0, 60_000, 5 * 60_000, 30 * 60_000],
  maxAttempts: 4,
  resetAfterMs: 2 * 60 * 60_000,
};

interface History {
  attempts: number[];
  incarnations: Set<number>;
  aliveSince: number | null;
}

export class Backoff {
  private readonly subjects = new Map<string, History>();

  constructor(private readonly cfg: BackoffConfig) {}

  private history(subject: string, now: number): History {
    let h = this.subjects.get(subject);
    if (h && h.aliveSince !== null && now - h.aliveSince >= this.cfg.resetAfterMs) {
      this.subjects.delete(subject);
      h = undefined;
    }
    if (!h) {
      h = { attempts: [], incarnations: new Set(), aliveSince: null };
      this.subjects.set(subject, h);
    }
    return h;
  }

  /** When the next attempt may start for a death confirmed at `now`, or why none may. */
  next(subject: string, now: number): { at: number } | { giveUp: string } {
    const h = this.history(subject, now);
    h.aliveSince = null;
    const k = h.attempts.length;
    if (k >= this.cfg.maxAttempts) {
      const when = h.attempts.map((t) => new Date(t).toISOString()).join(', ');
      return { giveUp: `${subject} died again after ${k} recovery attempts (at ${when}); left for a human` };
    }
    const d = this.cfg.delaysMs[Math.min(k, this.cfg.delaysMs.length - 1)] ?? 0;
    return { at: now + d };
  }

  /** An attempt on `subject` at `incarnation` (ours or a lease seen); one per incarnation. */
  attempted(subject: string, incarnation: number, at: number): void {
    const h = this.history(subject, at);
    if (h.incarnations.has(incarnation)) return;
    h.incarnations.add(incarnation);
    h.attempts.push(at);
  }

  attempts(subject: string): number {
    return this.subjects.get(subject)?.attempts.length ?? 0;
  }

  /** The subject is alive again at `now`: the reset period starts. */
  alive(subject: string, now: number): void {
    const h = this.subjects.get(subject);
    if (h) h.aliveSince ??= now;
  }
}
