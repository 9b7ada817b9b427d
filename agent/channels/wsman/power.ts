// CIM power states (DMTF DSP1027 Power State Management Profile, the
// PowerState ValueMap of CIM_AssociatedPowerManagementService) and the
// ReturnValue map of CIM_PowerManagementService.RequestPowerStateChange, as
// the channel's words. Pure tables and choices.

import type { ChannelError, Observed, PowerAction } from '../types.ts';

export const CIM_STATE: Readonly<Record<number, string>> = {
  2: 'On',
  3: 'Sleep - Light',
  4: 'Sleep - Deep',
  5: 'Power Cycle (Off - Soft)',
  6: 'Off - Hard',
  7: 'Hibernate (Off - Soft)',
  8: 'Off - Soft',
  9: 'Power Cycle (Off - Hard)',
  10: 'Master Bus Reset',
  11: 'Diagnostic Interrupt (NMI)',
  12: 'Off - Soft Graceful',
  13: 'Off - Hard Graceful',
  14: 'Master Bus Reset Graceful',
  15: 'Power Cycle (Off - Soft Graceful)',
  16: 'Power Cycle (Off - Hard Graceful)',
};

/**
 * Sleep (3, 4) reads as on: RAM is powered and the machine wakes by itself, so
 * for fencing it is not off, and an "off" request must still be sent. A cycle
 * or reset in progress (5, 9, 10, 14-16) is transitioning. Anything else
 * (0 Unknown, 1 Other, 11 NMI, the graceful offs 12/13 that name requests
 * rather than states, vendor values) is unknown.
 */
export function observed(powerState: number): Observed {
  if (powerState === 2 || powerState === 3 || powerState === 4) return 'on';
  if (powerState === 6 || powerState === 7 || powerState === 8) return 'off';
  if ([5, 9, 10, 14, 15, 16].includes(powerState)) return 'transitioning';
  return 'unknown';
}

/**
 * The hard (non-graceful) request for each action, best first. The graceful
 * variants 12-16 ask the OS to shut down and are never used: a fencer cannot
 * rely on the OS of a machine it declared dead.
 */
export const HARD: Readonly<Record<PowerAction, readonly number[]>> = {
  on: [2],
  off: [8, 6],
  reset: [10],
  cycle: [5, 9],
};

export const ACTIONS: readonly PowerAction[] = ['on', 'off', 'cycle', 'reset'];

export function choose(action: PowerAction, available: readonly number[]): number | null {
  return HARD[action].find((s) => available.includes(s)) ?? null;
}

export const describeStates = (states: readonly number[]): string =>
  states.length === 0 ? 'none' : states.map((s) => `${s} (${CIM_STATE[s] ?? 'vendor/reserved'})`).join(', ');

const RETURN_VALUES: Readonly<Record<number, [string, ChannelError['code'] | null]>> = {
  0: ['Completed with No Error', null],
  // The request was checked and a job started: the change is under way, and
  // the caller's status reads verify it, so this counts as sent.
  4096: ['Method Parameters Checked - Job Started', null],
  1: ['Not Supported', 'UNSUPPORTED'],
  2: ['Unknown or Unspecified Error', 'STATE'],
  3: ['Cannot complete within Timeout Period', 'TIMEOUT'],
  4: ['Failed', 'STATE'],
  5: ['Invalid Parameter', 'CONFIG'],
  6: ['In Use', 'BUSY'],
  4097: ['Invalid State Transition', 'STATE'],
  4098: ['Use of Timeout Parameter Not Supported', 'CONFIG'],
  4099: ['Busy', 'BUSY'],
};

/** null when the request was taken; otherwise the typed refusal. */
export function returnValueError(rv: number, what: string): ChannelError | null {
  const known = RETURN_VALUES[rv];
  if (known) return known[1] === null ? null : { code: known[1], message: `${what}: ReturnValue ${rv} (${known[0]})` };
  const range = rv >= 32768 && rv <= 65535 ? 'Vendor Specific' : 'reserved';
  return { code: 'STATE', message: `${what}: ReturnValue ${rv} (${range})` };
}
