// Re-reading the firmware until it shows the state an action should have
// left, bounded in attempts and by the deadline: after Setup, Unprovision or a
// dropped reply the ME may answer NOT_READY or the old state for a moment
// while it restarts its network stack.

import { remainingMs, type Deadline } from '../channels/types.ts';
import { merr, type MeiResult } from '../mei/types.ts';

export interface SettleOptions {
  attempts?: number;
  gapMs?: number;
}

/** The first read that satisfies `want`; otherwise the last value read (or the last error) once attempts or time run out. */
export async function settle<T>(read: (d: Deadline) => Promise<MeiResult<T>>, want: (v: T) => boolean, d: Deadline, o: SettleOptions = {}): Promise<MeiResult<T>> {
  const attempts = o.attempts ?? 10;
  const gap = o.gapMs ?? 500;
  let last: MeiResult<T> = merr('TIMEOUT', 'no read before the deadline');
  for (let i = 0; i < attempts && remainingMs(d) > 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, Math.min(gap, remainingMs(d))));
    last = await read(d);
    if (last.ok && want(last.value)) return last;
  }
  return last;
}

/** Time kept after a changing request for the PTHI read-back that settles a lost reply. */
export const VERIFY_RESERVE_MS = 5000;

/**
 * A deadline for a request that changes the firmware, ending early enough
 * that a lost reply can still be settled by re-reading within `d`: the
 * re-read keeps `reserveMs`, or a third of what is left if that is less.
 */
export function leavingTimeFor(d: Deadline, reserveMs: number): Deadline {
  return { at: d.at - Math.min(reserveMs, remainingMs(d) / 3) };
}
