// A virtual clock and an event queue. Events are ordered by (time, seq) so two
// events at the same millisecond always run in the order they were scheduled:
// that, and never reading the wall clock, is what makes a run repeatable.

/** The virtual epoch: 2026-01-01T00:00:00Z, a plausible "now" for signed times. */
export const SIM_EPOCH = Date.UTC(2026, 0, 1);

interface Entry<E> {
  t: number;
  seq: number;
  ev: E;
}

export class Scheduler<E> {
  private heap: Entry<E>[] = [];
  private seq = 0;
  private current: number;

  constructor(start: number = SIM_EPOCH) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  size(): number {
    return this.heap.length;
  }

  /** Schedules `ev` at `t`; a time in the past runs at the current time, after what is already queued for it. */
  at(t: number, ev: E): void {
    const entry: Entry<E> = { t: t < this.current ? this.current : t, seq: this.seq++, ev };
    const h = this.heap;
    let i = h.length;
    h.push(entry);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as Entry<E>;
      if (!before(entry, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = entry;
  }

  /** The time of the next event, or Infinity when none is queued. */
  peekTime(): number {
    const top = this.heap[0];
    return top === undefined ? Infinity : top.t;
  }

  /** Removes the next event and advances the clock to its time. */
  pop(): E | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop() as Entry<E>;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && before(h[r] as Entry<E>, h[l] as Entry<E>)) c = r;
        const child = h[c] as Entry<E>;
        if (!before(child, last)) break;
        h[i] = child;
        i = c;
      }
      h[i] = last;
    }
    this.current = top.t;
    return top.ev;
  }

  /** Moves the clock forward with nothing to run (the end of a phase). */
  advanceTo(t: number): void {
    if (t > this.current) this.current = t;
  }
}

function before<E>(x: Entry<E>, y: Entry<E>): boolean {
  return x.t < y.t || (x.t === y.t && x.seq < y.seq);
}
