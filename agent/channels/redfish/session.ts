// Authentication: a Redfish session (POST to the Sessions collection, then the
// X-Auth-Token header; DELETE of the session's URI to log out), or HTTP basic
// auth when the service has no session collection or refuses the login method.
// A wrong password is AUTH at once and is never retried under the other scheme,
// which would count twice against the BMC's lockout.

import { cerr, cok, deadlineIn, remainingMs, type ChannelResult, type Deadline } from '../types.ts';
import { redact, replyError } from './errors.ts';
import { exchange, type Endpoint } from './http.ts';
import { locationPath, parseJson, isObject, isServicePath } from './parse.ts';

export type Auth = { kind: 'session'; token: string; uri: string } | { kind: 'basic'; header: string };

export interface Credentials {
  user: string;
  password: string;
}

export const authHeaders = (a: Auth): Record<string, string> => (a.kind === 'session' ? { 'X-Auth-Token': a.token } : { Authorization: a.header });

const basic = (c: Credentials): Auth => ({ kind: 'basic', header: `Basic ${Buffer.from(`${c.user}:${c.password}`, 'utf8').toString('base64')}` });

/** Status codes that say "no sessions here", as opposed to "not you". */
const NO_SESSIONS = new Set([404, 405, 501]);

export async function login(ep: Endpoint, sessions: string | null, c: Credentials, d: Deadline): Promise<ChannelResult<Auth>> {
  if (sessions === null) return cok(basic(c));
  const r = await exchange(ep, { method: 'POST', path: sessions, body: { UserName: c.user, Password: c.password } }, d);
  if (!r.ok) return r;
  const { status, headers, body } = r.value;
  if (NO_SESSIONS.has(status)) return cok(basic(c));
  if (status !== 200 && status !== 201) return { ok: false, error: redact(replyError(status, body, `login at ${sessions}`), c.password) };
  const token = headers['x-auth-token'];
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return cerr('PROTOCOL', 'the login reply carries no X-Auth-Token');
  let uri = locationPath(headers['location'], ep.host, ep.port);
  if (!uri.ok) {
    // Location is required (DSP0266 §13.3.4); the body's @odata.id is the only other place the session's URI can come from.
    const j = parseJson(body);
    const id = j.ok && isObject(j.value) ? j.value['@odata.id'] : undefined;
    uri = typeof id === 'string' && isServicePath(id) ? cok(id) : uri;
  }
  // Without its URI the session cannot be deleted; it then lives until the BMC's SessionTimeout.
  if (!uri.ok) return cerr('PROTOCOL', `the login reply names no session URI (${uri.error.message})`);
  const auth: Auth = { kind: 'session', token, uri: uri.value };
  return cok(auth);
}

/** Ends a session; never throws. Given at least a second even when the caller's deadline is spent, as a leaked session outlives us. */
export async function logout(ep: Endpoint, a: Auth, d: Deadline): Promise<boolean> {
  if (a.kind !== 'session') return true;
  const grace = remainingMs(d) < 1000 ? deadlineIn(1000) : d;
  const r = await exchange(ep, { method: 'DELETE', path: a.uri, headers: authHeaders(a) }, grace);
  return r.ok && (r.value.status < 300 || r.value.status === 404);
}
