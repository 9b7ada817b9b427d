// One outlet of the test PDU: a PowerMachine (the load), the outlet's
// configured power-on delay, and a delayed command the PDU may be counting down
// (APC delayedOn, Eaton's command countdown, Raritan's inrush guard).

import { PowerMachine, type MachinePower } from '../power-machine.ts';

export class FakeOutlet {
  readonly machine: PowerMachine;
  private timer: NodeJS.Timeout | null = null;
  private dueAt = 0;

  constructor(
    readonly number: number,
    public name: string,
    initial: 'on' | 'off',
    delayMs: number,
    /** The configured power-on delay, in the MIB's unit (seconds; Raritan's inrush guard is per unit). */
    public onDelay = 0,
  ) {
    this.machine = new PowerMachine(initial, delayMs);
  }

  /** 'on' | 'off' | 'starting' | 'stopping', where a counted-down on is 'starting' too. */
  power(): MachinePower {
    return this.timer !== null ? 'starting' : this.machine.state();
  }

  /** Whether a change is pending (a countdown, or the machine still moving). */
  pending(): boolean {
    const p = this.power();
    return p === 'starting' || p === 'stopping';
  }

  /** Seconds left on a countdown, -1 when none (Eaton's outletControlOnCmd read-back). */
  countdown(): number {
    return this.timer === null ? -1 : Math.max(0, Math.ceil((this.dueAt - performance.now()) / 1000));
  }

  on(afterMs = 0): void {
    this.cancel();
    if (afterMs <= 0) return this.machine.on();
    this.dueAt = performance.now() + afterMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.machine.on();
    }, afterMs);
  }

  off(): void {
    this.cancel();
    this.machine.off();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
