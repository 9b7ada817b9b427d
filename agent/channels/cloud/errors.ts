// The HTTP status of a provider's error answer, refined by what its body says:
// the providers name a lock or a rate limit in their error code, and say when
// the limit resets in RateLimit-Reset / Retry-After, which the message carries
// so an operator sees why the ladder kept backing off.

import { statusError, excerpt, type ApiReply } from '../http/api.ts';
import type { ChannelError, ChannelErrorCode } from '../types.ts';

const header = (r: ApiReply, name: string): string | undefined => {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** "retry after 3 s" from Retry-After (seconds) or RateLimit-Reset (a UNIX time), or "" when neither is usable. */
export function retryHint(r: ApiReply, nowMs = Date.now()): string {
  const after = header(r, 'retry-after');
  if (after !== undefined && /^\d{1,6}$/.test(after.trim())) return `; retry after ${Number(after)} s`;
  const reset = header(r, 'ratelimit-reset');
  if (reset !== undefined && /^\d{9,11}$/.test(reset.trim())) {
    const s = Math.max(0, Math.round(Number(reset) - nowMs / 1000));
    return `; the rate limit resets in ${s} s`;
  }
  return '';
}

/**
 * statusError's mapping, with `code` (the provider's own reading of the
 * answer) winning when it is given, and the rate-limit hint on a 429.
 */
export function providerError(r: ApiReply, what: string, detail: string | undefined, code?: ChannelErrorCode): ChannelError {
  const base = statusError(r.status, what, detail);
  const hint = r.status === 429 ? retryHint(r) : '';
  if (code === undefined || code === base.code) return { code: base.code, message: base.message + hint };
  return { code, message: `${what}: HTTP ${r.status}${detail ? `: ${excerpt(detail)}` : ''}${hint}` };
}
