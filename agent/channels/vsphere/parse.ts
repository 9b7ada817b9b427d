// vSphere Automation REST replies, pure functions of the parsed JSON. Two
// dialects: the current /api (vSphere 7.0 U2 and later) answers bare values
// ("session-id", {"state": ...}) and errors as {"error_type": "NOT_FOUND",
// "messages": [...]}; the legacy /rest wraps values as {"value": ...} and errors
// as {"type": "com.vmware.vapi.std.errors.not_found", "value": {"messages": [...]}}.

import { cerr, cok, type ChannelError, type ChannelResult, type Observed } from '../types.ts';
import { excerpt, statusError } from '../http/api.ts';

export type Dialect = 'api' | 'rest';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unwrap(d: Dialect, json: unknown, what: string): ChannelResult<unknown> {
  if (d === 'api') return cok(json);
  if (!isObject(json) || !('value' in json)) return cerr('PROTOCOL', `${what}: the reply has no "value" member`);
  return cok(json['value']);
}

/** POST /api/session -> "id" (201); POST /rest/com/vmware/cis/session -> {"value": "id"} (200). */
export function parseSessionId(d: Dialect, json: unknown): ChannelResult<string> {
  const v = unwrap(d, json, 'login');
  if (!v.ok) return v;
  const id = v.value;
  // It goes back in a header: printable ASCII only, bounded.
  if (typeof id !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(id)) return cerr('PROTOCOL', 'login: the reply is not a session id');
  return cok(id);
}

/**
 * GET .../power -> Observed. SUSPENDED reads as on: a suspended VM keeps its
 * memory image and, powered on by anyone (an operator, an HA restart), resumes
 * exactly where it stopped, with the leases and half-done writes of a node the
 * fleet has declared dead. Fencing must discard that image, and stop does
 * ("Powers off a powered-on or suspended virtual machine"); so the ladder has
 * to see it as not off. Recovery (cycle: off, verify, on) then boots it fresh.
 */
export function parsePower(d: Dialect, json: unknown): ChannelResult<Observed> {
  const v = unwrap(d, json, 'power');
  if (!v.ok) return v;
  if (!isObject(v.value) || typeof v.value['state'] !== 'string') return cerr('PROTOCOL', 'power: no "state" string in the reply');
  const state = v.value['state'];
  if (state === 'POWERED_ON' || state === 'SUSPENDED') return cok('on');
  if (state === 'POWERED_OFF') return cok('off');
  return cok('unknown');
}

export interface VapiError {
  /** Upper case as /api spells it (RESOURCE_BUSY); null when the body is not a vAPI error. */
  type: string | null;
  text: string;
}

/** A vAPI standard error of either dialect. */
export function parseError(json: unknown): VapiError {
  if (!isObject(json)) return { type: null, text: '' };
  let type: string | null = null;
  let body: unknown = json;
  if (typeof json['error_type'] === 'string') type = json['error_type'];
  else if (typeof json['type'] === 'string' && json['type'].startsWith('com.vmware.vapi.std.errors.')) {
    type = json['type'].slice('com.vmware.vapi.std.errors.'.length).toUpperCase();
    body = json['value'];
  }
  if (type !== null && !/^[A-Z_]{1,64}$/.test(type)) type = null;
  const messages = isObject(body) && Array.isArray(body['messages']) ? body['messages'] : [];
  const first: unknown = messages[0];
  const text = isObject(first) && typeof first['default_message'] === 'string' ? excerpt(first['default_message']) : '';
  return { type, text };
}

/** vAPI error type -> channel error; ALREADY_IN_DESIRED_STATE is the caller's success, not an error. */
export function vapiError(status: number, e: VapiError, what: string): ChannelError {
  const message = `${what}: HTTP ${status}${e.type ? ` ${e.type}` : ''}${e.text ? `: ${e.text}` : ''}`;
  switch (e.type) {
    case 'UNAUTHENTICATED':
    case 'UNAUTHORIZED':
      return { code: 'AUTH', message };
    case 'NOT_FOUND':
    case 'INVALID_ARGUMENT':
    case 'INVALID_REQUEST':
    case 'UNEXPECTED_INPUT':
      return { code: 'CONFIG', message };
    // "Trying to power off a virtual machine that is in the process of being powered on" (ResourceBusy).
    case 'RESOURCE_BUSY':
    case 'CONCURRENT_CHANGE':
    case 'SERVICE_UNAVAILABLE':
    case 'TIMED_OUT':
      return { code: 'BUSY', message };
    case 'NOT_ALLOWED_IN_CURRENT_STATE':
      return { code: 'STATE', message };
    case 'UNSUPPORTED':
    case 'OPERATION_NOT_FOUND':
      return { code: 'UNSUPPORTED', message };
    default:
      return statusError(status, what, e.text || e.type || undefined);
  }
}
