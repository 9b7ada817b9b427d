// K distinct confirmations that a subject is dead before anyone acts. Each
// comes from a signed gossip update whose signature the gossip core already
// checked end to end (wire.ts), so `by` is the author and cannot be inflated
// by relays; here only who counts is decided: a member this node holds
// verified, once, never the subject itself, and only for the incarnation it
// names (a confirmation of an older incarnation is a replay after a rejoin).

export class Confirmations {
  /** subject -> incarnation and the distinct confirmers of it. */
  private readonly tally = new Map<string, { incarnation: number; by: Set<string> }>();

  /** Adds one confirmation; returns how many distinct ones the subject has at that incarnation. */
  add(subject: string, incarnation: number, by: string, isVerifiedMember: (name: string) => boolean): number {
    if (by === subject || !isVerifiedMember(by)) return this.count(subject, incarnation);
    let t = this.tally.get(subject);
    if (!t || incarnation > t.incarnation) {
      t = { incarnation, by: new Set() };
      this.tally.set(subject, t);
    }
    if (incarnation < t.incarnation) return 0;
    t.by.add(by);
    return t.by.size;
  }

  count(subject: string, incarnation: number): number {
    const t = this.tally.get(subject);
    return t && t.incarnation === incarnation ? t.by.size : 0;
  }

  confirmers(subject: string): string[] {
    return [...(this.tally.get(subject)?.by ?? [])].sort();
  }

  /** The subject announced `incarnation`: confirmations of anything older no longer count. */
  alive(subject: string, incarnation: number): void {
    const t = this.tally.get(subject);
    if (t && incarnation > t.incarnation) this.tally.delete(subject);
  }
}
