// The gossip core's member events as the decision core's input. Only a death
// becomes confirmations: gossip buries a member only on K distinct verified
// signed suspicions (state.ts), so the confirmers it names are already the
// evidence the heal loop needs; a bare suspicion is not yet a death and is
// left to gossip's own timeout and refutation. Any alive announcement is
// passed on, so a refutation or a rejoin at a higher incarnation cancels a case.

import type { MemberEvent } from '../gossip/types.ts';
import type { HealEvent } from './types.ts';

/** The decision core's events for one gossip member event (none for suspect, left or a dead event without confirmers). */
export function healEvents(e: MemberEvent): HealEvent[] {
  if (e.to === 'alive') return [{ type: 'alive', subject: e.name, incarnation: e.incarnation }];
  if (e.to === 'dead') return confirmedDead(e.name, e.incarnation, e.confirmers ?? []);
  return [];
}

/**
 * The confirmations a death carries. Also for a driver that starts its decision
 * core after gossip already holds deaths: feed it, per dead member of
 * SwimNode.members(), confirmedDead(name, incarnation, SwimNode.confirmers(name)).
 */
export function confirmedDead(subject: string, incarnation: number, confirmers: readonly string[]): HealEvent[] {
  const by = new Set(confirmers);
  by.delete(subject);
  return [...by].map((b) => ({ type: 'confirmed-dead', subject, incarnation, by: b }));
}
