// The feeding loop: keeps the hardware watchdog fed only while evaluateHealth
// says the node is healthy. A ticker measures event-loop lag (the time a tick
// arrives late); checks run on their own schedule; subsystems beat. When the
// node turns unhealthy the loop logs why once and stops feeding, and the
// watchdog resets the machine when its timeout runs out.

import type { Logger } from 'pino';
import { checkName, runCheck, type CheckSpec } from './checks.ts';
import { evaluateHealth, type CheckResult } from './health.ts';
import type { Stages } from './stages.ts';

export interface Feedable {
  keepalive(): void;
}

export interface FeederOptions {
  device: Feedable;
  feedIntervalMs: number;
  maxLoopLagMs: number;
  checks: readonly CheckSpec[];
  checkIntervalMs: number;
  stages: Stages;
  log: Logger;
  now: () => number;
}

/** How often the lag ticker runs; lag is how late it fires. */
const TICK_MS = 100;

export class Feeder {
  private readonly subsystems = new Map<string, { lastBeat: number; maxAgeMs: number }>();
  private readonly results = new Map<string, CheckResult | undefined>();
  private readonly timers: NodeJS.Timeout[] = [];
  private lastTick = 0;
  private maxLag = 0;
  private lastReasons = '';
  private fed = 0;

  constructor(private readonly o: FeederOptions) {
    for (const c of o.checks) this.results.set(checkName(c), undefined);
  }

  /** A subsystem that must beat at least every `maxAgeMs` for the node to count as healthy. */
  register(name: string, maxAgeMs: number): void {
    this.subsystems.set(name, { lastBeat: this.o.now(), maxAgeMs });
  }

  beat(name: string): void {
    const s = this.subsystems.get(name);
    if (s) s.lastBeat = this.o.now();
  }

  get feeds(): number {
    return this.fed;
  }

  start(): void {
    this.lastTick = this.o.now();
    this.timers.push(
      setInterval(() => {
        const t = this.o.now();
        this.maxLag = Math.max(this.maxLag, t - this.lastTick - TICK_MS);
        this.lastTick = t;
      }, TICK_MS),
      setInterval(() => this.feed(), this.o.feedIntervalMs),
    );
    if (this.o.checks.length > 0) {
      this.runChecks();
      this.timers.push(setInterval(() => this.runChecks(), this.o.checkIntervalMs));
    }
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }

  private runChecks(): void {
    for (const c of this.o.checks) void runCheck(c, this.o.now).then((r) => this.results.set(checkName(c), r));
  }

  private feed(): void {
    const verdict = evaluateHealth({
      now: this.o.now(),
      loopLagMs: this.maxLag,
      maxLoopLagMs: this.o.maxLoopLagMs,
      subsystems: this.subsystems,
      checks: this.results,
      // A check may take its whole interval plus its own timeout before it counts as stale.
      maxCheckAgeMs: 2 * this.o.checkIntervalMs + 30_000,
      stages: this.o.stages.current,
    });
    this.maxLag = 0;
    const reasons = verdict.reasons.join('; ');
    if (!verdict.healthy) {
      if (reasons !== this.lastReasons) this.o.log.warn({ reasons: verdict.reasons }, 'watchdog not fed: node unhealthy');
      this.lastReasons = reasons;
      return;
    }
    if (this.lastReasons) this.o.log.info('node healthy again: watchdog fed');
    this.lastReasons = '';
    try {
      this.o.device.keepalive();
      this.fed++;
    } catch (e) {
      // The reset that follows is the right outcome; say why on the console first.
      this.o.log.error({ err: (e as Error).message }, 'watchdog keepalive failed');
    }
  }
}
