// Redfish over the shared HTTP exchange: JSON bodies and the OData headers
// DSP0266 asks clients to send.

import { exchange as httpExchange, type Endpoint, type HttpReply } from '../http/exchange.ts';
import type { ChannelResult, Deadline } from '../types.ts';

export { hostHeader, type Endpoint, type HttpReply } from '../http/exchange.ts';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export function exchange(ep: Endpoint, req: HttpRequest, d: Deadline): Promise<ChannelResult<HttpReply>> {
  const json = req.body !== undefined;
  return httpExchange(
    ep,
    {
      method: req.method,
      path: req.path,
      headers: { Accept: 'application/json', 'OData-Version': '4.0', ...(json ? { 'Content-Type': 'application/json' } : {}), ...req.headers },
      ...(json ? { body: Buffer.from(JSON.stringify(req.body), 'utf8') } : {}),
    },
    d,
  );
}
