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
import { idAt, isObject, objectAt, oneOf, stringAt } from '../cloud/json.ts';
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

export function parseAction(json: unknown): ChannelResult<ActionState> {
  const a = objectAt(json, 'action', 'action reply');
  if (!a.ok) return a;
  const id = idAt(a.value, 'id', 'action');
  if (!id.ok) return id;
  const raw = stringAt(a.value, 'status', `action ${id.value}`);
  if (!raw.ok) return raw;
  const st = oneOf(raw.value, ['in-progress', 'completed', 'errored'] as const, `action ${id.value} status`);
  if (!st.ok) return st;
  const type = typeof a.value.type === 'string' ? ` (${a.value.type.slice(0, 40)})` : '';
  if (st.value === 'errored') return cerr('STATE', `DigitalOcean action ${id.value}${type} errored`);
  return cok({ id: id.value, done: st.value === 'completed' });
}

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
