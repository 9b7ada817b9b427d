// Where the GCE driver's bearer token comes from: a token file (used as is) or
// a service-account key (a JWT exchanged at token_uri, the access token kept
// until a minute before it expires). The key file is read on first use: it is a
// multi-line JSON document, not a secret's first line.

import { readFile, stat } from 'node:fs/promises';
import { cerr, cok, type ChannelResult, type Deadline } from '../types.ts';
import type { ApiTarget } from '../http/api.ts';
import { exchange, type Endpoint } from '../http/exchange.ts';
import { googleError, parseToken } from './parse.ts';
import { parseServiceAccountKey, signAssertion, tokenUriAllowed } from './jwt.ts';
import { monotonicMs } from '../../clock.ts';

const MAX_KEY_FILE = 64 * 1024;

export type TokenSource = { kind: 'static'; token: string } | { kind: 'key'; path: string; endpoint: URL | null; target: ApiTarget };

export class Tokens {
  private cached: { token: string; until: number } | null = null;

  constructor(private readonly src: TokenSource) {}

  /** Forget a token the API refused (a revoked key): the next call signs a new JWT. */
  invalidate(): void {
    this.cached = null;
  }

  async get(d: Deadline): Promise<ChannelResult<string>> {
    if (this.src.kind === 'static') return cok(this.src.token);
    if (this.cached && monotonicMs() < this.cached.until) return cok(this.cached.token);
    const src = this.src;
    let text: string;
    try {
      if ((await stat(src.path)).size > MAX_KEY_FILE) return cerr('CONFIG', `--credentials-file ${src.path} is larger than ${MAX_KEY_FILE} bytes`);
      text = await readFile(src.path, 'utf8');
    } catch (e) {
      return cerr('CONFIG', `--credentials-file ${src.path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    const key = parseServiceAccountKey(text);
    if (!key.ok) return key;
    const allowed = tokenUriAllowed(key.value.tokenUri, src.endpoint);
    if (!allowed.ok) return allowed;
    const uri = key.value.tokenUri;
    const ep: Endpoint = src.endpoint !== null && uri.origin === src.endpoint.origin ? src.target.ep : { host: uri.hostname, port: uri.port ? Number(uri.port) : 443, pin: null, caTls: true };
    const body = Buffer.from(new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signAssertion(key.value, Math.floor(Date.now() / 1000)) }).toString());
    const r = await exchange(ep, { method: 'POST', path: uri.pathname + uri.search, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' }, body }, d);
    if (!r.ok) return r;
    let json: unknown;
    try {
      json = JSON.parse(r.value.body.toString('utf8'));
    } catch {
      return r.value.status >= 200 && r.value.status < 300 ? cerr('PROTOCOL', 'the token endpoint answered non-JSON') : { ok: false, error: googleError(r.value.status, undefined, 'token exchange') };
    }
    if (r.value.status < 200 || r.value.status >= 300) return { ok: false, error: googleError(r.value.status, json, 'token exchange') };
    const t = parseToken(json);
    if (!t.ok) return t;
    this.cached = { token: t.value.token, until: monotonicMs() + Math.max(0, t.value.expiresInS - 60) * 1000 };
    return cok(t.value.token);
  }
}
