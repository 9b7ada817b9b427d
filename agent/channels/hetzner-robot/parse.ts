// Hetzner Robot webservice replies (JSON): the reset types a server offers
// (GET /reset/{n}: {"reset": {"type": ["sw","hw","man",...]}}), the
// acknowledgements of POST /reset and POST /wol, and the error document
// {"error": {"status", "code", "message"}}. A value or a typed error, never an exception.

import { cerr, cok, type ChannelError, type ChannelErrorCode, type ChannelResult } from '../types.ts';
import { excerpt, statusError } from '../http/api.ts';

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** The reset types offered; "hw" (the reset button) is what this channel sends. */
export function parseResetTypes(json: unknown): ChannelResult<string[]> {
  const t = obj(obj(json)?.reset)?.type;
  if (!Array.isArray(t) || !t.every((x): x is string => typeof x === 'string')) return cerr('PROTOCOL', 'GET /reset: no list of reset types');
  return cok(t);
}

export function parseResetAck(json: unknown): ChannelResult<void> {
  return obj(obj(json)?.reset)?.type === 'hw' ? cok(undefined) : cerr('PROTOCOL', 'POST /reset: the reply does not confirm a hw reset');
}

export function parseWolAck(json: unknown): ChannelResult<void> {
  return obj(obj(json)?.wol) !== undefined ? cok(undefined) : cerr('PROTOCOL', 'POST /wol: the reply does not confirm the Wake-on-LAN packet');
}

/** Robot's codes -> ours. The webservice answers a rate limit with 403, which must not read as AUTH. */
const CODES: ReadonlyMap<string, ChannelErrorCode> = new Map(Object.entries({
  UNAUTHORIZED: 'AUTH',
  RATE_LIMIT_EXCEEDED: 'BUSY',
  RESET_MANUAL_ACTIVE: 'BUSY',
  SERVER_NOT_FOUND: 'CONFIG',
  RESET_NOT_AVAILABLE: 'UNSUPPORTED',
  WOL_NOT_AVAILABLE: 'UNSUPPORTED',
  INVALID_INPUT: 'CONFIG',
  RESET_FAILED: 'UNREACHABLE',
  WOL_FAILED: 'UNREACHABLE',
}));

export function robotError(status: number, json: unknown, what: string): ChannelError {
  const e = obj(obj(json)?.error);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const msg = typeof e?.message === 'string' ? e.message : '';
  if (code === undefined) return statusError(status, what);
  return { code: CODES.get(code) ?? statusError(status, what).code, message: `${what}: HTTP ${status} ${excerpt(code)}: ${excerpt(msg)}` };
}
