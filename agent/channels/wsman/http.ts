// WS-MAN's one request: a SOAP document POSTed to /wsman over the shared HTTP
// exchange (agent/channels/http/exchange.ts), which pins the certificate on
// the socket before a byte of the request (or a digest of the password) is
// written. AMT and DASH firmware carry self-signed certificates: the pin
// replaces chain validation for that socket; nothing process-wide changes.

import { exchange, hostHeader, type Endpoint, type HttpReply } from '../http/exchange.ts';
import type { ChannelResult, Deadline } from '../types.ts';
import { MAX_XML_BYTES } from './xml.ts';

export type { Endpoint };
export type Reply = HttpReply;

export const MAX_BODY = MAX_XML_BYTES;
export const WSMAN_PATH = '/wsman';

export const hostPort = hostHeader;
export const wsmanUrl = (ep: Endpoint): string => `${ep.pin ? 'https' : 'http'}://${hostPort(ep)}${WSMAN_PATH}`;

/** POSTs one SOAP document to /wsman and reads the whole reply within the deadline. Never throws. */
export function post(ep: Endpoint, body: string, authorization: string | null, d: Deadline): Promise<ChannelResult<Reply>> {
  const headers: Record<string, string> = { 'Content-Type': 'application/soap+xml;charset=UTF-8', ...(authorization ? { Authorization: authorization } : {}) };
  return exchange(ep, { method: 'POST', path: WSMAN_PATH, headers, body: Buffer.from(body, 'utf8'), maxBody: MAX_BODY }, d);
}
