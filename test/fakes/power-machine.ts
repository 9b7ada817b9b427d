// The machine behind every fake power endpoint (PDU outlet, VM, cloud server):
// a request is accepted at once and the power state changes `delayMs` later, as
// a real PSU, hypervisor or cloud lags its API. In between the machine is
// "starting" or "stopping", which a channel must report as transitioning.

export type MachinePower = 'on' | 'off' | 'starting' | 'stopping';

export class PowerMachine {
  private power: 'on' | 'off';
  private pending: { to: 'on' | 'off'; at: number; then?: 'on' } | null = null;
  /** Requests that changed something, in order, for assertions: "on", "off", "reset". */
  readonly requests: string[] = [];

  constructor(
    initial: 'on' | 'off',
    public delayMs = 0,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.power = initial;
  }

  state(): MachinePower {
    this.settle();
    if (this.pending === null) return this.power;
    return this.pending.to === 'on' ? 'starting' : 'stopping';
  }

  /** The settled state, or null while moving. */
  settled(): 'on' | 'off' | null {
    const s = this.state();
    return s === 'on' || s === 'off' ? s : null;
  }

  on(): void {
    this.requests.push('on');
    if (this.state() === 'on') return;
    this.pending = { to: 'on', at: this.now() + this.delayMs };
  }

  off(): void {
    this.requests.push('off');
    if (this.state() === 'off') return;
    this.pending = { to: 'off', at: this.now() + this.delayMs };
  }

  /** A hard reset: down and up again; a machine that was off comes up (as IPMI and the clouds do). */
  reset(): void {
    this.requests.push('reset');
    this.power = 'off';
    this.pending = { to: 'on', at: this.now() + this.delayMs };
  }

  private settle(): void {
    if (this.pending !== null && this.now() >= this.pending.at) {
      this.power = this.pending.to;
      this.pending = null;
    }
  }
}
