// A provider's asynchronous power action (a Hetzner or DigitalOcean action
// object) polled until it finishes, inside the one request() call and the one
// deadline. The first read comes quickly (most power actions end within a
// second or two) and the interval then grows by a quarter up to a second: an
// action is seen done at most a quarter of its age late, and a minute-long one
// costs about 60 reads of an hourly budget in the thousands (Hetzner: 3600,
// DigitalOcean: 5000). A busy or unreachable answer while polling is
// polled through; an action that fails is an error; the ladder still verifies
// the power state afterwards.

import { RETRYABLE, cerr, cok, remainingMs, type ChannelResult, type Deadline } from '../types.ts';
import type { ActionState } from './provider.ts';

export const FIRST_POLL_MS = 100;
export const MAX_POLL_MS = 1000;
const MAX_POLLS = 1000;

export async function followAction(start: ActionState, read: (id: string, d: Deadline) => Promise<ChannelResult<ActionState>>, what: string, d: Deadline): Promise<ChannelResult<void>> {
  const late = (): ChannelResult<never> => cerr('TIMEOUT', `${what}: action ${start.id} still running at the deadline`);
  let wait = FIRST_POLL_MS;
  for (let i = 0; i < MAX_POLLS; i++) {
    // Never sleep past the deadline: the last read happens before it.
    const left = remainingMs(d);
    if (left <= 0) return late();
    await new Promise((res) => setTimeout(res, Math.min(wait, Math.max(1, left / 2))));
    wait = Math.min(MAX_POLL_MS, Math.round(wait * 1.25));
    if (remainingMs(d) <= 0) return late();
    const r = await read(start.id, d);
    if (!r.ok) {
      if (r.error.code === 'TIMEOUT') return late();
      if (RETRYABLE.has(r.error.code)) continue;
      return r;
    }
    if (r.value.id !== start.id) return cerr('PROTOCOL', `${what}: asked for action ${start.id}, the provider answered with action ${r.value.id}`);
    if (r.value.done) return cok(undefined);
  }
  return cerr('TIMEOUT', `${what}: action ${start.id} did not finish in ${MAX_POLLS} reads`);
}
