// Round-robin probe targets (SWIM section 4.3): walk a shuffled list, put
// newcomers at random positions, reshuffle after each full pass. A failed
// member is then probed by everyone within 2n-1 periods, not "eventually".
// `urgent` jumps the queue: members that just heard a suspicion check the
// suspect themselves, so independent confirmations arrive within a period.
// Never twice in a row while the round robin has someone eligible: an
// accuser re-probes its suspect every period until it is buried or refutes,
// and a node cut off from everyone can neither, so it probed that one
// suspect forever and never noticed the rest were gone too.

export class ProbeOrder {
  private list: string[] = [];
  private index = 0;
  private urgent: string[] = [];
  private lastUrgent = false;

  constructor(private readonly random: () => number) {}

  /**
   * A newcomer takes a random place among the members not yet probed in this
   * pass (the one there moves to the end): O(1), where inserting by splice
   * cost O(N) per join and O(N^2) per node while a 10,000-node cluster forms.
   */
  add(name: string): void {
    this.list.push(name);
    const last = this.list.length - 1;
    const at = this.index + Math.floor(this.random() * (last - this.index + 1));
    [this.list[at], this.list[last]] = [name, this.list[at] as string];
  }

  remove(name: string): void {
    const at = this.list.indexOf(name);
    if (at < 0) return;
    this.list.splice(at, 1);
    if (at < this.index) this.index--;
  }

  prioritize(name: string): void {
    if (!this.urgent.includes(name)) this.urgent.push(name);
  }

  /** The next member `eligible` accepts, or null when none is. */
  next(eligible: (name: string) => boolean): string | null {
    const urgentFirst = !this.lastUrgent;
    if (urgentFirst) {
      const u = this.takeUrgent(eligible);
      if (u !== null) return u;
    }
    this.lastUrgent = false;
    const r = this.roundRobin(eligible);
    // Nobody else to probe: the urgent ones after all.
    return r ?? (urgentFirst ? null : this.takeUrgent(eligible));
  }

  private takeUrgent(eligible: (name: string) => boolean): string | null {
    while (this.urgent.length) {
      const n = this.urgent.shift() as string;
      if (eligible(n)) {
        this.lastUrgent = true;
        return n;
      }
    }
    return null;
  }

  private roundRobin(eligible: (name: string) => boolean): string | null {
    for (let tries = 0; tries <= this.list.length; tries++) {
      if (this.index >= this.list.length) {
        this.shuffle();
        this.index = 0;
      }
      const n = this.list[this.index++];
      if (n !== undefined && eligible(n)) return n;
    }
    return null;
  }

  private shuffle(): void {
    for (let i = this.list.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [this.list[i], this.list[j]] = [this.list[j] as string, this.list[i] as string];
    }
  }
}
