// FAKE machine behind the fake Redfish service: the PowerState a real BMC
// reports while the host powers on and off (DSP2046 ComputerSystem.PowerState:
// On, Off, PoweringOn, PoweringOff). Transitions take time, as sushy-tools'
// fake driver and real hosts do (../shared/reference/power-channels.md §4.4),
// and an On right after a power-off is refused with 409 as iDRAC10 does (§4.3).
// Time is passed in, so the state machine is the same under test clocks.

export type FakePower = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff';

/** The ResetType values this machine implements; the schema has more (graceful ones, Nmi, ...). */
export const IMPLEMENTED = ['On', 'ForceOn', 'ForceOff', 'ForceRestart', 'PowerCycle'] as const;

export type ResetOutcome = { ok: true } | { ok: false; status: 409; messageId: string; message: string };

export class FakeMachine {
  private phases: { state: FakePower; until: number }[] = [];
  private settled: 'On' | 'Off';
  private offSince = Number.NEGATIVE_INFINITY;
  /** Every ResetType the machine obeyed, in order. */
  readonly obeyed: string[] = [];

  constructor(
    power: 'On' | 'Off',
    /** How long PoweringOn lasts; PoweringOff lasts half of it. */
    private readonly transitionMs: number,
    /** An On within this long of reaching Off gets 409 (iDRAC10 behaviour). */
    private readonly conflictAfterOffMs: number,
  ) {
    this.settled = power;
  }

  state(now: number): FakePower {
    while (this.phases[0] && this.phases[0].until <= now) this.phases.shift();
    return this.phases[0]?.state ?? this.settled;
  }

  reset(type: string, now: number): ResetOutcome {
    const s = this.state(now);
    if (s === 'PoweringOn' || s === 'PoweringOff')
      return { ok: false, status: 409, messageId: 'Base.1.16.ResourceInUse', message: 'The change to the requested resource failed because the resource is in use or in transition.' };
    const starting = type === 'On' || type === 'ForceOn';
    if (starting && s === 'Off' && now - this.offSince < this.conflictAfterOffMs)
      return { ok: false, status: 409, messageId: 'Base.1.16.ActionParameterValueConflict', message: 'The parameter value On for the action ComputerSystem.Reset conflicts with the current state.' };
    this.obeyed.push(type);
    const on = this.transitionMs;
    const off = Math.round(this.transitionMs / 2);
    if (starting && s === 'Off') this.plan(now, [['PoweringOn', on]], 'On');
    else if (type === 'ForceOff' && s === 'On') this.plan(now, [['PoweringOff', off]], 'Off');
    else if (type === 'ForceRestart' || type === 'PowerCycle') this.plan(now, s === 'On' ? [['PoweringOff', off], ['PoweringOn', on]] : [['PoweringOn', on]], 'On');
    return { ok: true };
  }

  private plan(now: number, steps: [FakePower, number][], end: 'On' | 'Off'): void {
    let t = now;
    this.phases = steps.map(([state, ms]) => ({ state, until: (t += ms) }));
    this.settled = end;
    if (end === 'Off') this.offSince = t;
  }
}
