// One node, several outlets (dual PSU): the node is off only when every outlet
// is off, and on only when every outlet is on. A node fed by outlets that
// disagree still draws power through one of them:
// - while a change we asked for is in flight (or the PDU says one is), it is
//   'transitioning', and so is any state short of that change's target: an on
//   waiting out the PDU's power-on delay reads all off, yet it is under way;
// - after an off request has had its time, it is 'on': it is not off, and the
//   fence must keep at it (the ladder then fails at its deadline rather than
//   calling a half-powered node fenced);
// - after an on request has had its time, it is 'unknown': a node with one
//   dead feed is not the healthy 'on' a recovery asked for;
// - with no request of ours behind it (the first read), it is 'on': the node
//   is powered, so `off` switches every outlet off and verifies all off, and
//   `cycle` restores both feeds. (`on` reports such a node already on: it is
//   running; use `cycle` to restore a lost feed.)

import type { Observed } from '../types.ts';
import type { OutletReading } from './table.ts';

export type LastRequest = 'on' | 'off' | null;

export function aggregate(readings: readonly OutletReading[], last: LastRequest, inFlight: boolean): Observed {
  if (readings.length === 0) return 'unknown';
  if (readings.includes('switching')) return 'transitioning';
  if (readings.includes('unknown')) return 'unknown';
  const allOn = readings.every((r) => r === 'on');
  const allOff = readings.every((r) => r === 'off');
  // A request of ours still within its time (the PDU's power-on delay included): anything short of its target is on the way.
  if (inFlight && last !== null && !(last === 'on' ? allOn : allOff)) return 'transitioning';
  if (allOn) return 'on';
  if (allOff) return 'off';
  return last === 'on' ? 'unknown' : 'on';
}
