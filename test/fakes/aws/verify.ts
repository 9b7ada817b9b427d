// The fake EC2 endpoint's own SigV4 check, written apart from the client's
// sigv4.ts (no shared code) so that one bug cannot sign and verify alike. It
// rebuilds the canonical request from the request as received (method, path,
// query, the headers named in SignedHeaders, the body) per the AWS General
// Reference "Signature Version 4 signing process", and answers what EC2 does.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FakeRequest } from '../api-server.ts';

export interface Keys {
  accessKeyId: string;
  secret: string;
  region: string;
  sessionToken?: string;
}

export type Verdict = { ok: true } | { ok: false; status: number; code: string; message: string };

const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const h = (s: Buffer | string) => createHash('sha256').update(s).digest('hex');
const mac = (k: Buffer | string, s: string) => createHmac('sha256', k).update(s).digest();

const AUTHZ = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9\-;]+), ?Signature=([0-9a-f]{64})$/;

export function verifySigV4(req: FakeRequest, keys: Keys, now: Date = new Date()): Verdict {
  const authz = req.headers.authorization;
  if (typeof authz !== 'string') return { ok: false, status: 401, code: 'MissingAuthenticationToken', message: 'Request is missing Authentication Token' };
  const m = AUTHZ.exec(authz);
  if (!m) return { ok: false, status: 400, code: 'IncompleteSignature', message: 'Authorization header requires Credential, SignedHeaders and Signature' };
  const [, keyId, day, region, service, signed, signature] = m as unknown as [string, string, string, string, string, string, string];
  if (keyId !== keys.accessKeyId) return { ok: false, status: 401, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
  const date = req.headers['x-amz-date'];
  if (typeof date !== 'string' || !/^\d{8}T\d{6}Z$/.test(date) || date.slice(0, 8) !== day) return { ok: false, status: 400, code: 'IncompleteSignature', message: 'X-Amz-Date is missing or does not match the credential scope' };
  const at = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15));
  if (Math.abs(now.getTime() - at) > 15 * 60_000) return { ok: false, status: 400, code: 'RequestExpired', message: 'Request has expired' };
  if (region !== keys.region || service !== 'ec2') return { ok: false, status: 401, code: 'AuthFailure', message: `Credential should be scoped to a valid region/service (${region}/${service})` };
  const names = signed.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return { ok: false, status: 400, code: 'IncompleteSignature', message: 'host and x-amz-date must be signed' };
  if (keys.sessionToken !== undefined && (req.headers['x-amz-security-token'] !== keys.sessionToken || !names.includes('x-amz-security-token'))) return { ok: false, status: 401, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
  const headerLines = names.map((n) => {
    const v = req.headers[n];
    return `${n}:${(Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ')}\n`;
  });
  const query = [...req.query.entries()].map(([k, v]) => `${enc(k)}=${enc(v)}`).sort().join('&');
  const path = req.path.split('/').map((seg) => enc(decodeURIComponent(seg))).join('/');
  const creq = `${req.method}\n${path}\n${query}\n${headerLines.join('')}\n${signed}\n${h(req.body)}`;
  const sts = `AWS4-HMAC-SHA256\n${date}\n${day}/${region}/${service}/aws4_request\n${h(creq)}`;
  let k = mac('AWS4' + keys.secret, day);
  for (const part of [region, service, 'aws4_request']) k = mac(k, part);
  const want = Buffer.from(createHmac('sha256', k).update(sts).digest('hex'));
  if (!timingSafeEqual(want, Buffer.from(signature))) {
    return { ok: false, status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.' };
  }
  return { ok: true };
}
