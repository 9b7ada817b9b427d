// Lifeguard's Local Health Multiplier (Dadgar et al. 2018, section IV.A): a
// saturating counter of evidence that *this* node is the slow one (probes that
// failed, nacks that never came, suspicions of itself it had to refute). The
// probe interval stretches with it, so a starved node probes less and accuses
// less instead of flooding the cluster with suspicions of healthy peers.

export class Awareness {
  private score = 0;

  /** `max` is Lifeguard's S: the multiplier runs from 1 to S. */
  constructor(private readonly max: number) {}

  apply(delta: number): void {
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta));
  }

  get health(): number {
    return this.score;
  }

  scale(ms: number): number {
    return ms * (this.score + 1);
  }
}
