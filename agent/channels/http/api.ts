// The cloud and hypervisor APIs all speak JSON over HTTPS with a token: one
// place parses --endpoint, sends a JSON request and maps an HTTP status to the
// channel error codes, so every provider retries (or refuses to) alike.

import { cerr, cok, type ChannelError, type ChannelOptions, type ChannelResult, type Deadline } from '../types.ts';
import { parseFingerprint } from './pin.ts';
import { exchange, hostHeader, type Endpoint, type HttpReply } from './exchange.ts';

export interface ApiTarget {
  ep: Endpoint;
  /** Path prefix from the endpoint URL, without a trailing slash ("" or "/v2"). */
  base: string;
  /** scheme://host:port, for describe() and messages; never a credential. */
  origin: string;
}

/**
 * The provider's public URL unless `--endpoint URL` (opts.params.endpoint) names
 * another (a private region, an API-compatible service, a test fake). Plain HTTP
 * only with insecureHttp; a pin replaces CA checks for self-signed hypervisors.
 */
export function apiTarget(opts: ChannelOptions, defaultUrl: string): ChannelResult<ApiTarget> {
  const raw = opts.params?.endpoint ?? defaultUrl;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return cerr('CONFIG', `--endpoint ${JSON.stringify(raw.slice(0, 100))} is not a URL`);
  }
  if (url.username || url.password) return cerr('CONFIG', '--endpoint must not carry credentials');
  if (url.search || url.hash) return cerr('CONFIG', '--endpoint takes no query or fragment');
  const https = url.protocol === 'https:';
  if (!https && url.protocol !== 'http:') return cerr('CONFIG', `--endpoint scheme ${url.protocol} is not http or https`);
  if (!https && !opts.insecureHttp) return cerr('CONFIG', 'plain HTTP only with --insecure-http');
  let pin: Buffer | null = null;
  if (opts.tlsFingerprint !== undefined) {
    if (!https) return cerr('CONFIG', 'a TLS fingerprint needs an https endpoint');
    const fp = parseFingerprint(opts.tlsFingerprint);
    if (!fp.ok) return fp;
    pin = fp.value;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : https ? 443 : 80;
  const ep: Endpoint = { host, port, pin, ...(https && pin === null ? { caTls: true } : {}) };
  return cok({ ep, base: url.pathname.replace(/\/+$/, ''), origin: `${url.protocol}//${hostHeader(ep)}` });
}

export interface ApiReply {
  status: number;
  headers: HttpReply['headers'];
  /** The parsed body; undefined for an empty one. */
  json: unknown;
}

/** One JSON request. A non-JSON body on a 2xx is a PROTOCOL error; error statuses come back as replies for the caller to map. */
export async function apiRequest(t: ApiTarget, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, headers: Record<string, string>, body: unknown, d: Deadline): Promise<ChannelResult<ApiReply>> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  const r = await exchange(t.ep, { method, path: t.base + path, headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json' } : {}), ...headers }, ...(payload ? { body: payload } : {}) }, d);
  if (!r.ok) return r;
  const text = r.value.body.toString('utf8');
  let json: unknown;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      if (r.value.status >= 200 && r.value.status < 300) return cerr('PROTOCOL', `${method} ${path}: the reply is not JSON`);
    }
  }
  return cok({ status: r.value.status, headers: r.value.headers, json });
}

/** A bounded, printable excerpt of a provider's error text (their messages never carry our token). */
export function excerpt(s: unknown): string {
  return asText(s).replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

/** Any JSON value as text without running its methods: String({toString: 0}) throws (found by the fuzzer). */
function asText(s: unknown): string {
  if (typeof s === 'string') return s;
  try {
    return JSON.stringify(s) ?? String(s);
  } catch {
    return Object.prototype.toString.call(s);
  }
}

/**
 * HTTP status -> channel error. 401/403: credentials, never retried. 404: the
 * server or VM named does not exist. 408/409/423/425/429/503: the provider is
 * busy or locked, retried within the deadline. 500/502/504: transient, retried.
 */
export function statusError(status: number, what: string, detail?: string): ChannelError {
  const tail = detail ? `: ${excerpt(detail)}` : '';
  if (status === 401 || status === 403) return { code: 'AUTH', message: `${what}: HTTP ${status}, the credentials were refused${tail}` };
  if (status === 404) return { code: 'CONFIG', message: `${what}: HTTP 404, no such resource${tail}` };
  if ([408, 409, 423, 425, 429, 503].includes(status)) return { code: 'BUSY', message: `${what}: HTTP ${status}${tail}` };
  if (status >= 500) return { code: 'UNREACHABLE', message: `${what}: HTTP ${status}${tail}` };
  return { code: 'CONFIG', message: `${what}: HTTP ${status}${tail}` };
}
