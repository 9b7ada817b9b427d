// The action object DigitalOcean and Hetzner Cloud answer a power request
// with, and serve again by id while it runs: {"action": {"id": N, "status":
// S, ...}}. Both document three statuses (running, finished well, failed);
// only their names and how a failure is worded differ, so the reading is here
// once and each provider's parse.ts names its statuses and words its failure.

import { cerr, cok, type ChannelResult } from '../types.ts';
import { idAt, objectAt, oneOf, stringAt, type JsonObject } from './json.ts';
import type { ActionState } from './provider.ts';

export interface ActionStatuses {
  running: string;
  done: string;
  failed: string;
}

/** The action's state; a failed one is a STATE error with the provider's wording of the object. */
export function parseActionObject(json: unknown, statuses: ActionStatuses, failure: (action: JsonObject, id: string) => string): ChannelResult<ActionState> {
  const a = objectAt(json, 'action', 'action reply');
  if (!a.ok) return a;
  const id = idAt(a.value, 'id', 'action');
  if (!id.ok) return id;
  const raw = stringAt(a.value, 'status', `action ${id.value}`);
  if (!raw.ok) return raw;
  const st = oneOf(raw.value, [statuses.running, statuses.done, statuses.failed], `action ${id.value} status`);
  if (!st.ok) return st;
  if (st.value === statuses.failed) return cerr('STATE', failure(a.value, id.value));
  return cok({ id: id.value, done: st.value === statuses.done });
}
