// Vultr API v2 replies (https://www.vultr.com/api/, "Instances"; the OpenAPI
// description shipped in github.com/vultr/vultr-python-client), read as pure
// functions of the parsed JSON.
//   GET /instances/{id} -> {"instance": {"status": active|pending|suspended|resizing,
//                            "power_status": running|stopped, "server_status": none|locked|installingbooting|ok, ...}}
//   POST /instances/{id}/start|halt|reboot -> 204 No Content (no action object)
//   4xx -> {"error": "...", "status": N} ("All 4xx errors will return a JSON response object with an error attribute")

import { cerr, cok, type ChannelError, type ChannelResult, type Observed } from '../types.ts';
import type { ApiReply } from '../http/api.ts';
import { providerError } from '../cloud/errors.ts';
import { isObject, objectAt, oneOf, stringAt } from '../cloud/json.ts';

/**
 * The three fields, as the reference describes them: `status` is the
 * subscription (only an active one has a settled power state), `power_status`
 * is the power state itself, and `server_status` is Vultr's health view: a
 * locked server has an operation running on it, and installingbooting is a
 * machine still coming up. A running instance is on only once Vultr calls it
 * ok (or has no health view, "none"); a stopped one is off unless locked.
 */
export function parseInstance(json: unknown): ChannelResult<Observed> {
  const inst = objectAt(json, 'instance', 'GET /instances/{id}');
  if (!inst.ok) return inst;
  const fields = ['status', 'power_status', 'server_status'].map((k) => stringAt(inst.value, k, 'instance'));
  for (const f of fields) if (!f.ok) return f;
  const [st, ps, ss] = fields.map((f) => (f.ok ? f.value : ''));
  const status = oneOf(st ?? '', ['active', 'pending', 'suspended', 'resizing'] as const, 'instance status');
  if (!status.ok) return status;
  const power = oneOf(ps ?? '', ['running', 'stopped'] as const, 'instance power_status');
  if (!power.ok) return power;
  const health = oneOf(ss ?? '', ['none', 'locked', 'installingbooting', 'ok'] as const, 'instance server_status');
  if (!health.ok) return health;
  if (status.value === 'suspended') return cerr('STATE', 'the instance is suspended by Vultr: it cannot be powered on');
  if (status.value !== 'active' || health.value === 'locked') return cok('transitioning');
  if (power.value === 'stopped') return cok('off');
  return cok(health.value === 'installingbooting' ? 'transitioning' : 'on');
}

export function vultrError(r: ApiReply, what: string): ChannelError {
  const detail = isObject(r.json) && typeof r.json.error === 'string' ? r.json.error : undefined;
  return providerError(r, what, detail);
}
