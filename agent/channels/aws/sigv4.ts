// AWS Signature Version 4 (AWS General Reference, "Create a signed AWS API
// request"): canonical request -> string to sign -> HMAC chain over the date,
// region and service. Pure: the clock and the secret come in as arguments, so
// the published example vectors can be replayed byte for byte.

import { createHash, createHmac } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';

export interface SigV4Request {
  method: string;
  /** The absolute path, not yet encoded. */
  path: string;
  /** Query parameters as sent, in any order. */
  query: ReadonlyArray<readonly [string, string]>;
  /** Every header to sign, by any case; `host` must be among them. */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
}

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
}

const sha256Hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 percent-encoding as SigV4 wants it: only A-Z a-z 0-9 - _ . ~ stay. */
export function uriEncode(s: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `YYYYMMDDTHHMMSSZ`, the X-Amz-Date form. */
export const amzDate = (t: Date): string => t.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

export function canonicalRequest(r: SigV4Request): { text: string; signedHeaders: string } {
  const query = r.query
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const entries = Object.entries(r.headers)
    .map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const signedHeaders = entries.map(([k]) => k).join(';');
  const text = [r.method, uriEncode(r.path, true), query, entries.map(([k, v]) => `${k}:${v}\n`).join(''), signedHeaders, sha256Hex(r.body)].join('\n');
  return { text, signedHeaders };
}

export const credentialScope = (date: string, c: Pick<SigV4Credentials, 'region' | 'service'>): string => `${date.slice(0, 8)}/${c.region}/${c.service}/aws4_request`;

export function stringToSign(date: string, scope: string, canonical: string): string {
  return [ALGORITHM, date, scope, sha256Hex(canonical)].join('\n');
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date.slice(0, 8)), region), service), 'aws4_request');
}

/** The Authorization header for a request whose headers already carry X-Amz-Date (= `date`). */
export function authorization(r: SigV4Request, c: SigV4Credentials, date: string): string {
  const { text, signedHeaders } = canonicalRequest(r);
  const scope = credentialScope(date, c);
  const signature = createHmac('sha256', signingKey(c.secretAccessKey, date, c.region, c.service)).update(stringToSign(date, scope, text), 'utf8').digest('hex');
  return `${ALGORITHM} Credential=${c.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
