// From the service root to the one ComputerSystem this driver powers: the
// Systems collection, the member chosen (by the selector, or the only one),
// and the ResetType values it advertises inline or in its ActionInfo.

import { cerr, cok, type ChannelResult, type Deadline } from '../types.ts';
import { redact, replyError } from './errors.ts';
import { exchange, type Endpoint } from './http.ts';
import { parseActionInfo, parseJson, parseMembers, parseServiceRoot, parseSystem, printable, type Json, type ResetAction, type ServiceRoot } from './parse.ts';
import { authHeaders, type Auth } from './session.ts';

/** GET a document; `secret` only keeps an echoing device from putting the password into an error. */
export async function getJson(ep: Endpoint, auth: Auth | null, path: string, d: Deadline, secret: string): Promise<ChannelResult<Json>> {
  const r = await exchange(ep, { method: 'GET', path, headers: auth ? authHeaders(auth) : {} }, d);
  if (!r.ok) return r;
  if (r.value.status !== 200) return { ok: false, error: redact(replyError(r.value.status, r.value.body, `GET ${path}`), secret) };
  const j = parseJson(r.value.body);
  return j.ok ? j : cerr('PROTOCOL', `GET ${path}: ${j.error.message}`);
}

/** The service root is readable without credentials (DSP0266 §13.3.1), so nothing secret goes out before we know the service. */
export async function readServiceRoot(ep: Endpoint, d: Deadline): Promise<ChannelResult<ServiceRoot>> {
  const j = await getJson(ep, null, '/redfish/v1/', d, '');
  return j.ok ? parseServiceRoot(j.value) : j;
}

const idOf = (uri: string): string => uri.replace(/\/$/, '').split('/').pop() ?? uri;

/** A member by Id or full URI; the only member without a selector; otherwise a CONFIG error naming them all. */
export function pickSystem(members: readonly string[], selector: string | null): ChannelResult<string> {
  const names = members.map((m) => printable(idOf(m), 60)).join(', ');
  if (selector !== null) {
    const want = selector.replace(/\/$/, '');
    const hit = members.find((m) => m.replace(/\/$/, '') === want || idOf(m) === want);
    return hit !== undefined ? cok(hit) : cerr('CONFIG', `no system "${printable(selector, 60)}" here; the service has ${names || 'none'}`);
  }
  const [only, ...rest] = members;
  if (only === undefined) return cerr('CONFIG', 'the Systems collection is empty');
  if (rest.length) return cerr('CONFIG', `the service has ${members.length} systems (${names}); name one as HOST/ID`);
  return cok(only);
}

export async function selectSystem(ep: Endpoint, auth: Auth, root: ServiceRoot, selector: string | null, d: Deadline, secret: string): Promise<ChannelResult<string>> {
  const j = await getJson(ep, auth, root.systems, d, secret);
  if (!j.ok) return j;
  const members = parseMembers(j.value);
  return members.ok ? pickSystem(members.value, selector) : members;
}

export interface ResetInfo {
  target: string;
  /** null: the service does not say, so any schema value may be tried. */
  allowed: string[] | null;
}

/** The system's reset action with its allowed values, from the inline annotation or else the ActionInfo document. */
export async function readReset(ep: Endpoint, auth: Auth, system: string, d: Deadline, secret: string): Promise<ChannelResult<ResetInfo | null>> {
  const j = await getJson(ep, auth, system, d, secret);
  if (!j.ok) return j;
  const doc = parseSystem(j.value);
  if (!doc.ok) return doc;
  const reset: ResetAction | null = doc.value.reset;
  if (reset === null) return cok(null);
  if (reset.allowed !== null || reset.actionInfo === null) return cok({ target: reset.target, allowed: reset.allowed });
  const info = await getJson(ep, auth, reset.actionInfo, d, secret);
  if (!info.ok) return info;
  const allowed = parseActionInfo(info.value);
  return allowed.ok ? cok({ target: reset.target, allowed: allowed.value }) : allowed;
}
