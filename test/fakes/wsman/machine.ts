// A FAKE machine behind the fake AMT/DASH services (no AMT or DASH emulator
// exists on npm or in Debian). Its power follows DMTF DSP1027 CIM PowerState
// values; a request takes `settleMs` to land, as a real chipset lags its
// management controller's reply; a cycle passes through off. What it offers
// follows the transition table Intel documents for AMT (device-management-
// toolkit docs "AMT Power States": 2 from off/asleep; 5, 8, 10 from on).

export interface MachineOptions {
  state?: number;
  settleMs?: number;
  /** AvailableRequestedPowerStates while on / while off. */
  offeredOn?: number[];
  offeredOff?: number[];
  /** Every state the device knows at all; anything else gets ReturnValue 1 (Not Supported). */
  supported?: number[];
}

const OFF_STATES = new Set([6, 7, 8]);

export class PowerMachine {
  state: number;
  settleMs: number;
  offeredOn: number[];
  offeredOff: number[];
  supported: number[];
  /** Every RequestPowerStateChange that was accepted, in order. */
  accepted: number[] = [];
  private pending: { steps: Array<{ at: number; to: number }> } | null = null;

  constructor(o: MachineOptions = {}) {
    this.state = o.state ?? 2;
    this.settleMs = o.settleMs ?? 150;
    this.offeredOn = o.offeredOn ?? [5, 8, 10];
    this.offeredOff = o.offeredOff ?? [2];
    this.supported = o.supported ?? [2, 5, 6, 8, 9, 10, 12, 13, 14, 15, 16];
  }

  private advance(now: number): void {
    while (this.pending && this.pending.steps[0] && this.pending.steps[0].at <= now) {
      this.state = this.pending.steps[0].to;
      this.pending.steps.shift();
    }
    if (this.pending && this.pending.steps.length === 0) this.pending = null;
  }

  read(now = performance.now()): { state: number; offered: number[] } {
    this.advance(now);
    return { state: this.state, offered: OFF_STATES.has(this.state) ? this.offeredOff : this.offeredOn };
  }

  /** CIM ReturnValue of RequestPowerStateChange. */
  request(to: number, now = performance.now()): number {
    const { offered } = this.read(now);
    if (!this.supported.includes(to)) return 1;
    // Intel: do not request a second change before the first completed.
    if (this.pending) return 4099;
    if (!offered.includes(to)) return 4097;
    this.accepted.push(to);
    const t = now + this.settleMs;
    if (to === 2 || to === 10) this.pending = { steps: [{ at: t, to: 2 }] };
    else if (to === 5 || to === 9) this.pending = { steps: [{ at: t, to: 8 }, { at: t + this.settleMs, to: 2 }] };
    else this.pending = { steps: [{ at: t, to: to === 6 ? 6 : 8 }] };
    return 0;
  }
}
