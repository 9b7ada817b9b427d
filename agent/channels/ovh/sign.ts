// The OVH API v1 request signature ("First steps with the OVHcloud API"):
// X-Ovh-Signature = "$1$" + SHA1_HEX(AS+"+"+CK+"+"+METHOD+"+"+URL+"+"+BODY+"+"+TSTAMP),
// URL being the full URL as requested and TSTAMP the server's clock (GET /auth/time).

import { createHash } from 'node:crypto';

export interface OvhSignInput {
  appSecret: string;
  consumerKey: string;
  method: string;
  url: string;
  body: string;
  timestamp: number;
}

export function ovhSignature(i: OvhSignInput): string {
  return `$1$${createHash('sha1').update([i.appSecret, i.consumerKey, i.method, i.url, i.body, String(i.timestamp)].join('+'), 'utf8').digest('hex')}`;
}
