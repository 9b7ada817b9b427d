// Compute Engine v1 replies (JSON): an Instance's status, a zone Operation, an
// OAuth token response and Google's error document {"error": {"code",
// "message", "status", "errors": [{"reason"}]}}. A value or a typed error, never
// an exception.

import { cerr, cok, type ChannelError, type ChannelResult, type Observed } from '../types.ts';
import { excerpt, statusError } from '../http/api.ts';

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

export type GceStatus = 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'SUSPENDING' | 'SUSPENDED' | 'REPAIRING' | 'TERMINATED';
const MOVING = new Set(['PROVISIONING', 'STAGING', 'STOPPING', 'SUSPENDING', 'REPAIRING']);

/** An Instance resource -> its status. TERMINATED is GCE's word for stopped; SUSPENDED is not running either. */
export function parseInstance(json: unknown): ChannelResult<{ observed: Observed; status: GceStatus }> {
  const status = obj(json)?.status;
  if (typeof status !== 'string') return cerr('PROTOCOL', 'the instance resource has no status');
  if (status === 'RUNNING') return cok({ observed: 'on', status });
  if (status === 'TERMINATED' || status === 'STOPPED' || status === 'SUSPENDED') return cok({ observed: 'off', status });
  if (MOVING.has(status)) return cok({ observed: 'transitioning', status: status as GceStatus });
  return cerr('PROTOCOL', `unknown instance status ${JSON.stringify(excerpt(status))}`);
}

export interface Operation {
  name: string;
  done: boolean;
  /** The operation's errors when it ended with them. */
  error?: string;
}

/** An Operation: status PENDING | RUNNING | DONE, and error.errors[] when it failed. */
export function parseOperation(json: unknown): ChannelResult<Operation> {
  const o = obj(json);
  const name = o?.name;
  const status = o?.status;
  if (typeof name !== 'string' || !/^[\w.-]{1,200}$/.test(name)) return cerr('PROTOCOL', 'the operation has no usable name');
  if (status !== 'PENDING' && status !== 'RUNNING' && status !== 'DONE') return cerr('PROTOCOL', `operation ${name}: unknown status`);
  const errs = obj(o?.error)?.errors;
  if (status === 'DONE' && Array.isArray(errs) && errs.length > 0) {
    const first = obj(errs[0]);
    return cok({ name, done: true, error: `${excerpt(first?.code ?? 'ERROR')}: ${excerpt(first?.message ?? '')}` });
  }
  if (status === 'DONE' && o?.error !== undefined) return cok({ name, done: true, error: 'the operation ended with an error' });
  return cok({ name, done: status === 'DONE' });
}

/** {access_token, expires_in}. */
export function parseToken(json: unknown): ChannelResult<{ token: string; expiresInS: number }> {
  const o = obj(json);
  const token = o?.access_token;
  const exp = o?.expires_in;
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(token)) return cerr('PROTOCOL', 'the token endpoint answered without an access_token');
  const expiresInS = typeof exp === 'number' && Number.isFinite(exp) && exp > 0 ? Math.min(exp, 86_400) : 300;
  return cok({ token, expiresInS });
}

const BUSY_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'resourceNotReady', 'backendError']);

/** Google's error document, for the status mapping. A rate limit on 403 is BUSY, not AUTH. */
export function googleError(status: number, json: unknown, what: string): ChannelError {
  const e = obj(obj(json)?.error);
  const reasons = Array.isArray(e?.errors) ? e.errors.map((x) => obj(x)?.reason).filter((r): r is string => typeof r === 'string') : [];
  const detail = typeof e?.message === 'string' ? e.message : typeof obj(json)?.error_description === 'string' ? String(obj(json)?.error_description) : typeof obj(json)?.error === 'string' ? String(obj(json)?.error) : undefined;
  if (reasons.some((r) => BUSY_REASONS.has(r)) || e?.status === 'RESOURCE_EXHAUSTED') return { code: 'BUSY', message: `${what}: HTTP ${status}: ${excerpt(detail ?? reasons.join(','))}` };
  // The token endpoint refuses a bad JWT or key with 400 invalid_grant / 401 invalid_client.
  const oauth = obj(json)?.error;
  if (oauth === 'invalid_grant' || oauth === 'invalid_client' || oauth === 'unauthorized_client') return { code: 'AUTH', message: `${what}: ${oauth}${detail ? `: ${excerpt(detail)}` : ''}` };
  return statusError(status, what, detail);
}
