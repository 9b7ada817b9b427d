// Proxmox VE authentication: an API token (one header, stateless, no CSRF
// token: pve-manager's auth_handler skips the check for tokens), or a ticket
// from POST /access/ticket sent back as the PVEAuthCookie cookie, with the
// CSRFPreventionToken header on every request that is not a GET. A ticket
// lives 2 hours (pve-access-control $ticket_lifetime) and cannot be revoked:
// there is no logout, so close() only forgets it.

import { cerr, cok, type ChannelResult, type Deadline } from '../types.ts';
import { apiRequest, type ApiTarget } from '../http/api.ts';
import { isMoved, replyError } from './errors.ts';
import { parseTicket, type Ticket } from './parse.ts';
import { monotonicMs } from '../../clock.ts';

export type Credentials =
  /** USER@REALM!TOKENID and the token's secret. */
  | { kind: 'token'; tokenId: string; secret: string }
  | { kind: 'ticket'; user: string; password: string };

/** Renewed a little before PVE's 2 h, so that a long wait never sends an expired ticket. */
export const TICKET_RENEW_MS = 110 * 60 * 1000;

export interface HeldTicket extends Ticket {
  /** monotonicMs() at login. */
  at: number;
}

export function authHeaders(c: Credentials, t: HeldTicket | null, method: string): Record<string, string> {
  if (c.kind === 'token') return { Authorization: `PVEAPIToken=${c.tokenId}=${c.secret}` };
  if (t === null) return {};
  return { Cookie: `PVEAuthCookie=${encodeURIComponent(t.ticket)}`, ...(method === 'GET' ? {} : { CSRFPreventionToken: t.csrf }) };
}

/** POST /access/ticket with the user and password as JSON (pve-http-server decodes application/json bodies). */
export async function login(t: ApiTarget, prefix: string, c: Extract<Credentials, { kind: 'ticket' }>, d: Deadline): Promise<ChannelResult<HeldTicket>> {
  const r = await apiRequest(t, 'POST', `${prefix}/access/ticket`, {}, { username: c.user, password: c.password }, d);
  if (!r.ok) return r;
  if (r.value.status !== 200) {
    const e = replyError(r.value.status, r.value.json, 'login');
    return isMoved(e) ? cerr('UNREACHABLE', e.message) : { ok: false, error: e };
  }
  const tk = parseTicket(r.value.json);
  return tk.ok ? cok({ ...tk.value, at: monotonicMs() }) : tk;
}
