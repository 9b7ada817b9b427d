// PowerState to what a status read says, and a power action to the ResetType
// the system advertises. Hard resets only: the graceful types need a running
// OS to cooperate, which a node being fenced cannot be trusted to have.

import { cerr, cok, type ChannelResult, type Observed, type PowerAction } from '../types.ts';
import { printable, type Json } from './parse.ts';

/** DSP2046 PowerState enum. PoweringOn/Off are not done yet; Paused is neither on nor off. */
export function observe(powerState: Json | undefined): ChannelResult<Observed> {
  switch (powerState) {
    case 'On':
      return cok('on');
    case 'Off':
      return cok('off');
    case 'PoweringOn':
    case 'PoweringOff':
      return cok('transitioning');
    case 'Paused':
    case null:
      return cok('unknown');
    case undefined:
      return cerr('PROTOCOL', 'the ComputerSystem has no PowerState');
    default:
      return cerr('PROTOCOL', `PowerState ${typeof powerState === 'string' ? `"${printable(powerState, 40)}"` : `of type ${typeof powerState}`} is not in the schema`);
  }
}

/** Best first; ForceOn where On is absent (some iLO), ForceRestart where PowerCycle is absent. */
export const RESET_PREFERENCE: Readonly<Record<PowerAction, readonly string[]>> = {
  on: ['On', 'ForceOn'],
  off: ['ForceOff'],
  cycle: ['PowerCycle', 'ForceRestart'],
  reset: ['ForceRestart'],
};

const ACTIONS: readonly PowerAction[] = ['on', 'off', 'cycle', 'reset'];

/**
 * The ResetType for an action. `allowed` null means the service did not
 * advertise its values: the schema's own value is sent, and the service's 400
 * answers for it.
 */
export function chooseReset(action: PowerAction, allowed: readonly string[] | null): ChannelResult<string> {
  const prefs = RESET_PREFERENCE[action];
  if (allowed === null) return cok(prefs[0] ?? 'ForceOff');
  const pick = prefs.find((p) => allowed.includes(p));
  if (pick !== undefined) return cok(pick);
  const offered = allowed.length ? allowed.map((a) => printable(a, 40)).join(', ') : 'none';
  return cerr('UNSUPPORTED', `cannot ${action}: the system allows ResetType ${offered}, none of ${prefs.join(', ')}`);
}

export function offeredActions(allowed: readonly string[] | null): PowerAction[] {
  return ACTIONS.filter((a) => chooseReset(a, allowed).ok);
}
