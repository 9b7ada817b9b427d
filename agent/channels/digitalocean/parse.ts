// DigitalOcean API v2 replies (https://docs.digitalocean.com/reference/api/,
// the OpenAPI description in github.com/digitalocean/openapi), read as pure
// functions of the parsed JSON.
//   GET /v2/droplets/{id}          -> {"droplet": {"status": new|active|off|archive, "locked": bool, ...}}
//   POST /v2/droplets/{id}/actions -> 201 {"action": {"id", "status": in-progress|completed|errored, "type", ...}}
//   GET /v2/actions/{id}           -> {"action": {...}}
//   errors                         -> {"id": "unauthorized"|"not_found"|"too_many_requests"|"unprocessable_entity"|..., "message", "request_id"?}

import { cerr, cok, type ChannelError, type ChannelResult, type Observed } from '../types.ts';
import type { ApiReply } from '../http/api.ts';
import { providerError } from '../cloud/errors.ts';
import { isObject, objectAt, oneOf, stringAt } from '../cloud/json.ts';
import { parseActionObject } from '../cloud/action.ts';
import type { ActionState } from '../cloud/provider.ts';

/**
 * A locked droplet has an action running on it (DigitalOcean's own power_off
 * holds the lock until the droplet is off), so its status is not yet the
 * answer. "new" is still being created; "archive" can never be powered on.
 */
export function parseDroplet(json: unknown): ChannelResult<Observed> {
  const d = objectAt(json, 'droplet', 'GET /v2/droplets/{id}');
  if (!d.ok) return d;
  const raw = stringAt(d.value, 'status', 'droplet');
  if (!raw.ok) return raw;
  const s = oneOf(raw.value, ['new', 'active', 'off', 'archive'] as const, 'droplet status');
  if (!s.ok) return s;
  const locked = d.value.locked;
  if (typeof locked !== 'boolean') return cerr('PROTOCOL', 'droplet: "locked" is not a boolean');
  if (s.value === 'archive') return cerr('STATE', 'the droplet is archived: it cannot be powered on');
  if (locked || s.value === 'new') return cok('transitioning');
  return cok(s.value === 'active' ? 'on' : 'off');
}

/** An action object; an errored one is named by its type, the only detail the object gives. */
export const parseAction = (json: unknown): ChannelResult<ActionState> =>
  parseActionObject(json, { running: 'in-progress', done: 'completed', failed: 'errored' }, (a, id) => {
    const type = typeof a.type === 'string' ? ` (${a.type.slice(0, 40)})` : '';
    return `DigitalOcean action ${id}${type} errored`;
  });

export const parseAccepted = (r: ApiReply): ChannelResult<ActionState> => parseAction(r.json);

/**
 * 422 is how DigitalOcean refuses a new action while the droplet is locked by
 * another ("if a Droplet action is uncompleted it may block the creation of a
 * subsequent action ... attempts to create a Droplet action will fail with a
 * status of 422"): busy, retried. The bodies this driver sends are fixed, so a
 * 422 is never a payload it could fix by resending.
 */
export function digitaloceanError(r: ApiReply, what: string): ChannelError {
  const j = isObject(r.json) ? r.json : null;
  const detail = j && typeof j.id === 'string' ? `${j.id}: ${typeof j.message === 'string' ? j.message : ''}` : undefined;
  return providerError(r, what, detail, r.status === 422 ? 'BUSY' : undefined);
}
