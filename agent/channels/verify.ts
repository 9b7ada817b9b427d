// Fencing semantics, the same for every channel (fence-agents' fencing.py,
// Pacemaker, bmclib and Ironic settled on them): read the state first, skip a
// request that is already satisfied, never trust a request's reply alone, and
// count a timeout or an unknown state as failure. Busy answers are retried
// with backoff inside the one deadline; authentication and configuration
// errors are not retried (a retry loop on a wrong password locks accounts).

import { RETRYABLE, cerr, cok, remainingMs, type ChannelError, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver, type PowerState } from './types.ts';
import { monotonicMs } from '../clock.ts';

export interface Outcome {
  /** The state the last status read showed. */
  state: Observed;
  /** True when a status read confirmed the end state the action asked for; false only from a
   *  channel that cannot read state (the request was sent and accepted, nothing more is known). */
  verified: boolean;
  /** Requests and status reads sent, retries included. */
  attempts: number;
  elapsedMs: number;
  /** What was done, in order: "status on", "off sent", "off verified", ... */
  steps: string[];
}

export interface FenceError extends ChannelError {
  attempts: number;
  elapsedMs: number;
  steps: string[];
  /** For cycle: the off half was verified before the failure (the node is fenced, it just did not come back). */
  offVerified?: boolean;
}

export type FenceResult = { ok: true; value: Outcome } | { ok: false; error: FenceError };

export interface VerifyTiming {
  /** Between status reads while waiting for a state. */
  pollMs: number;
  /** First backoff after a busy answer; doubles up to backoffMaxMs. */
  backoffMs: number;
  backoffMaxMs: number;
  sleep(ms: number): Promise<void>;
}

export const DEFAULT_TIMING: VerifyTiming = {
  pollMs: 1000,
  backoffMs: 250,
  backoffMaxMs: 2000,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** A driver with the verified actions. */
export class Channel {
  private attempts = 0;
  private steps: string[] = [];
  private started = 0;

  constructor(
    readonly driver: PowerDriver,
    private readonly timing: VerifyTiming = DEFAULT_TIMING,
  ) {}

  describe() {
    return this.driver.describe();
  }

  status(d: Deadline): Promise<FenceResult> {
    return this.run(d, async () => {
      if (!this.driver.describe().verifiable) return cerr('UNSUPPORTED', `${this.driver.describe().channel} cannot report the power state`);
      const s = await this.read(d);
      if (!s.ok) return s;
      // A state read is its own verification; an unknown or moving state is not an answer.
      if (s.value !== 'on' && s.value !== 'off') return cerr('STATE', `the device reports the power state as ${s.value}`);
      return cok(s.value);
    });
  }

  on(d: Deadline): Promise<FenceResult> {
    if (!this.driver.describe().verifiable) return this.blind(['on'], d);
    return this.run(d, () => this.reach('on', d));
  }

  off(d: Deadline): Promise<FenceResult> {
    if (!this.driver.describe().verifiable) return this.blind(['off'], d);
    return this.run(d, () => this.reach('off', d));
  }

  /** Recovery: off (skipped when off), verify off, on, verify on. Never the device's own cycle, whose reply proves nothing. */
  cycle(d: Deadline): Promise<FenceResult> {
    // Without a status read there is no verified off to wait for: the device's own cycle (or a
    // hard reset) is all such a channel has, and the outcome says it is unverified.
    if (!this.driver.describe().verifiable) return this.blind(['cycle', 'reset'], d);
    let offVerified = false;
    return this.run(
      d,
      async () => {
        const off = await this.reach('off', d);
        if (!off.ok) return off;
        offVerified = true;
        return this.reach('on', d);
      },
      () => offVerified,
    );
  }

  /** A hard reset of a running machine; a machine found off is powered on instead. The end state verified is on. */
  reset(d: Deadline): Promise<FenceResult> {
    if (!this.driver.describe().verifiable) return this.blind(['reset'], d);
    return this.run(d, async () => {
      if (!this.driver.describe().actions.includes('reset')) return cerr('UNSUPPORTED', `${this.driver.describe().channel} cannot reset`);
      const s = await this.settled(d);
      if (!s.ok) return s;
      if (s.value === 'off') return this.reach('on', d);
      const r = await this.send('reset', d);
      if (!r.ok) return r;
      return this.waitFor('on', d);
    });
  }

  async close(d: Deadline): Promise<void> {
    await this.driver.close(d);
  }

  /** A channel that cannot read state: send the first request it offers, once (busy answers retried), and say it is unverified. */
  private async blind(candidates: PowerAction[], d: Deadline): Promise<FenceResult> {
    this.attempts = 0;
    this.steps = [];
    this.started = monotonicMs();
    const desc = this.driver.describe();
    const action = candidates.find((a) => desc.actions.includes(a));
    const r: ChannelResult<void> = action === undefined ? cerr('UNSUPPORTED', `${desc.channel} cannot ${candidates[0]}`) : await this.send(action, d);
    const elapsedMs = Math.round(monotonicMs() - this.started);
    if (!r.ok) return { ok: false, error: { ...r.error, attempts: this.attempts, elapsedMs, steps: this.steps } };
    this.steps.push('unverifiable: the channel cannot read the power state');
    return { ok: true, value: { state: 'unknown', verified: false, attempts: this.attempts, elapsedMs, steps: this.steps } };
  }

  // ---- the ladder ----

  private async reach(target: PowerState, d: Deadline): Promise<ChannelResult<PowerState>> {
    const s = await this.settled(d);
    if (!s.ok) return s;
    if (s.value === target) {
      this.steps.push(`already ${target}`);
      return cok(target);
    }
    if (!this.driver.describe().actions.includes(target)) return cerr('UNSUPPORTED', `${this.driver.describe().channel} cannot power ${target}`);
    const r = await this.send(target, d);
    if (!r.ok) return r;
    return this.waitFor(target, d);
  }

  /** The state once it stops moving: a machine powering on is neither on nor off yet. */
  private async settled(d: Deadline): Promise<ChannelResult<PowerState>> {
    for (;;) {
      const s = await this.read(d);
      if (!s.ok) return s;
      this.steps.push(`status ${s.value}`);
      if (s.value === 'on' || s.value === 'off') return cok(s.value);
      if (remainingMs(d) < this.timing.pollMs) return cerr('STATE', `the power state stayed ${s.value} until the deadline`);
      await this.timing.sleep(this.timing.pollMs);
    }
  }

  private async waitFor(target: PowerState, d: Deadline): Promise<ChannelResult<PowerState>> {
    let last: Observed = 'unknown';
    for (;;) {
      const s = await this.read(d);
      if (s.ok) {
        last = s.value;
        if (s.value === target) {
          this.steps.push(`${target} verified`);
          return cok(target);
        }
      } else if (!RETRYABLE.has(s.error.code)) return s;
      if (remainingMs(d) < this.timing.pollMs) return cerr('STATE', `asked for ${target}; the device still reported ${last} at the deadline`);
      await this.timing.sleep(this.timing.pollMs);
    }
  }

  private read(d: Deadline): Promise<ChannelResult<Observed>> {
    return this.retrying(d, () => this.driver.status(d));
  }

  private async send(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    const r = await this.retrying(d, () => this.driver.request(action, d));
    if (r.ok) this.steps.push(`${action} sent`);
    return r;
  }

  /** One exchange, repeated with backoff while the answer is busy (or absent) and time is left. */
  private async retrying<T>(d: Deadline, once: () => Promise<ChannelResult<T>>): Promise<ChannelResult<T>> {
    let wait = this.timing.backoffMs;
    for (;;) {
      if (remainingMs(d) <= 0) return cerr('TIMEOUT', 'the deadline passed');
      this.attempts++;
      const r = await once();
      if (r.ok || !RETRYABLE.has(r.error.code)) return r;
      if (remainingMs(d) <= wait) return r;
      this.steps.push(`${r.error.code.toLowerCase()}, retrying in ${wait} ms`);
      await this.timing.sleep(wait);
      wait = Math.min(wait * 2, this.timing.backoffMaxMs);
    }
  }

  private async run(d: Deadline, body: () => Promise<ChannelResult<PowerState>>, offVerified?: () => boolean): Promise<FenceResult> {
    this.attempts = 0;
    this.steps = [];
    this.started = monotonicMs();
    const r = await body();
    const elapsedMs = Math.round(monotonicMs() - this.started);
    if (r.ok) return { ok: true, value: { state: r.value, verified: true, attempts: this.attempts, elapsedMs, steps: this.steps } };
    const error: FenceError = { ...r.error, attempts: this.attempts, elapsedMs, steps: this.steps };
    if (offVerified?.()) error.offVerified = true;
    return { ok: false, error };
  }
}
