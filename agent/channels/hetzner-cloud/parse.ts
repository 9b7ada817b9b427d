// Hetzner Cloud API replies (https://docs.hetzner.cloud/, "Servers", "Actions",
// "Errors"), read as pure functions of the parsed JSON.
//   GET /servers/{id}          -> {"server": {"status": running|initializing|starting|stopping|off|deleting|migrating|rebuilding|unknown, ...}}
//   POST .../actions/poweron   -> 201 {"action": {"id", "command", "status": running|success|error, "error": {"code","message"}|null, ...}}
//   GET /actions/{id}          -> {"action": {...}}
//   errors                     -> {"error": {"code", "message", "details"}}

import { cok, type ChannelError, type ChannelErrorCode, type ChannelResult, type Observed } from '../types.ts';
import type { ApiReply } from '../http/api.ts';
import { providerError } from '../cloud/errors.ts';
import { isObject, objectAt, oneOf, stringAt } from '../cloud/json.ts';
import { parseActionObject } from '../cloud/action.ts';
import type { ActionState } from '../cloud/provider.ts';

const SERVER_STATUS = ['running', 'initializing', 'starting', 'stopping', 'off', 'deleting', 'migrating', 'rebuilding', 'unknown'] as const;

/** running and off are end states; every other documented status is a machine on its way somewhere. */
export function parseServer(json: unknown): ChannelResult<Observed> {
  const server = objectAt(json, 'server', 'GET /servers/{id}');
  if (!server.ok) return server;
  const raw = stringAt(server.value, 'status', 'server');
  if (!raw.ok) return raw;
  const s = oneOf(raw.value, SERVER_STATUS, 'server status');
  if (!s.ok) return s;
  if (s.value === 'running') return cok('on');
  if (s.value === 'off') return cok('off');
  if (s.value === 'unknown') return cok('unknown');
  return cok('transitioning');
}

/** An action object; one that ended in error is that error, with Hetzner's own code and message. */
export const parseAction = (json: unknown): ChannelResult<ActionState> =>
  parseActionObject(json, { running: 'running', done: 'success', failed: 'error' }, (a, id) => {
    const e = a.error;
    const why = isObject(e) ? `${String(e.code ?? '')}: ${String(e.message ?? '')}` : 'no reason given';
    const cmd = typeof a.command === 'string' ? ` (${a.command})` : '';
    return `Hetzner action ${id}${cmd} failed: ${why.slice(0, 200)}`;
  });

export const parseAccepted = (r: ApiReply): ChannelResult<ActionState> => parseAction(r.json);

/** The Hetzner error codes that say more than the HTTP status (a lock or rate limit is worth waiting for; a read-only token is not). */
const CODES: Record<string, ChannelErrorCode> = {
  unauthorized: 'AUTH',
  forbidden: 'AUTH',
  token_readonly: 'AUTH',
  locked: 'BUSY',
  conflict: 'BUSY',
  rate_limit_exceeded: 'BUSY',
  maintenance: 'BUSY',
  timeout: 'BUSY',
  not_found: 'CONFIG',
  protected: 'CONFIG',
  unsupported_error: 'UNSUPPORTED',
};

export function hetznerError(r: ApiReply, what: string): ChannelError {
  const e = isObject(r.json) && isObject(r.json.error) ? r.json.error : null;
  const code = e && typeof e.code === 'string' ? e.code : undefined;
  const detail = e ? `${code ?? '?'}: ${typeof e.message === 'string' ? e.message : ''}` : undefined;
  return providerError(r, what, detail, code !== undefined && Object.hasOwn(CODES, code) ? CODES[code] : undefined);
}
