// Linode (Akamai) API v4 replies (https://techdocs.akamai.com/linode-api/,
// "Linode instances"), read as pure functions of the parsed JSON.
//   GET /linode/instances/{id} -> {"id", "status": running|offline|booting|rebooting|shutting_down|provisioning|deleting|
//                                  migrating|rebuilding|cloning|restoring|stopped|billing_suspension, ...}
//   POST /linode/instances/{id}/boot|shutdown|reboot ({}) -> 200 {}
//   errors -> {"errors": [{"reason": "...", "field"?: "..."}]}

import { cerr, cok, type ChannelError, type ChannelResult, type Observed } from '../types.ts';
import type { ApiReply } from '../http/api.ts';
import { providerError } from '../cloud/errors.ts';
import { isObject, oneOf, stringAt } from '../cloud/json.ts';

const STATUS = ['running', 'offline', 'booting', 'rebooting', 'shutting_down', 'provisioning', 'deleting', 'migrating', 'rebuilding', 'cloning', 'restoring', 'stopped', 'billing_suspension'] as const;

/**
 * running and offline are the end states. "stopped" is a Linode held down for
 * host maintenance, which Linode lifts by itself and during which it refuses
 * boot and shutdown: not an off the ladder may count on.
 */
export function parseLinode(json: unknown): ChannelResult<Observed> {
  if (!isObject(json)) return cerr('PROTOCOL', 'GET /linode/instances/{id}: the reply is not a JSON object');
  const raw = stringAt(json, 'status', 'linode');
  if (!raw.ok) return raw;
  const s = oneOf(raw.value, STATUS, 'linode status');
  if (!s.ok) return s;
  if (s.value === 'running') return cok('on');
  if (s.value === 'offline') return cok('off');
  if (s.value === 'billing_suspension') return cerr('STATE', 'the Linode is suspended for billing: it cannot be powered on');
  return cok('transitioning');
}

/** The reasons, joined; "Linode busy." (a 400 while another job runs on the Linode) is worth waiting for. */
export function linodeError(r: ApiReply, what: string): ChannelError {
  const list = isObject(r.json) && Array.isArray(r.json.errors) ? r.json.errors : [];
  const reasons = list.slice(0, 4).flatMap((e) => (isObject(e) && typeof e.reason === 'string' ? [e.reason] : []));
  const detail = reasons.length > 0 ? reasons.join('; ') : undefined;
  return providerError(r, what, detail, r.status === 400 && reasons.some((x) => /\bbusy\b/i.test(x)) ? 'BUSY' : undefined);
}
