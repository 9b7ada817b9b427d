// HTTP Digest access authentication (RFC 7616, compatible with RFC 2617) as
// Intel AMT and DASH firmware speak it: algorithm MD5 (SHA-256 also taken),
// qop=auth, a nonce count that grows with every request under one nonce, a
// fresh client nonce each time. Pure: the challenge parser takes the header
// text, the session takes the cnonce from its caller, so both are testable.

import { createHash } from 'node:crypto';

export interface Challenge {
  scheme: string;
  params: ReadonlyMap<string, string>;
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | null;
  algorithm: 'MD5' | 'SHA-256';
  stale: boolean;
}

export type ChallengeResult = { ok: true; value: DigestChallenge } | { ok: false; reason: string };

const MAX_HEADER = 4096;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Splits a WWW-Authenticate value into challenges. Node joins repeated headers
 * with ", ", so a scheme token not followed by "=" starts a new challenge.
 */
export function parseChallenges(header: string): Challenge[] | null {
  if (header.length > MAX_HEADER) return null;
  const out: Challenge[] = [];
  let current: { scheme: string; params: Map<string, string> } | null = null;
  let s = header;
  for (let guard = 0; guard < 256; guard++) {
    s = s.replace(/^[\s,]+/, '');
    if (s === '') return out;
    const tok = TOKEN.exec(s);
    if (!tok) return null;
    const name = tok[0];
    const after = s.slice(name.length).replace(/^[ \t]*/, '');
    if (after.startsWith('=') && current !== null) {
      let rest = after.slice(1).replace(/^[ \t]*/, '');
      let value: string;
      if (rest.startsWith('"')) {
        let i = 1;
        let v = '';
        for (; i < rest.length && rest[i] !== '"'; i++) {
          if (rest[i] === '\\' && i + 1 < rest.length) i++;
          v += rest[i];
        }
        if (i >= rest.length) return null;
        value = v;
        rest = rest.slice(i + 1);
      } else {
        const t = TOKEN.exec(rest);
        if (!t) return null;
        value = t[0];
        rest = rest.slice(t[0].length);
      }
      current.params.set(name.toLowerCase(), value);
      s = rest.replace(/^[ \t]*/, '');
      if (s !== '' && !s.startsWith(',')) return null;
    } else {
      current = { scheme: name.toLowerCase(), params: new Map() };
      out.push(current);
      s = after;
    }
  }
  return null;
}

/** The Digest challenge we can answer, or why not. */
export function pickDigest(header: string | undefined): ChallengeResult {
  if (header === undefined) return { ok: false, reason: 'the 401 carries no WWW-Authenticate challenge' };
  const all = parseChallenges(header);
  if (all === null) return { ok: false, reason: 'the WWW-Authenticate header is malformed' };
  const digests = all.filter((c) => c.scheme === 'digest');
  if (digests.length === 0) return { ok: false, reason: `the device offers ${all.map((c) => c.scheme).join(', ') || 'no scheme'}, not Digest` };
  let why = 'no Digest challenge is usable';
  for (const c of digests) {
    const realm = c.params.get('realm');
    const nonce = c.params.get('nonce');
    const alg = (c.params.get('algorithm') ?? 'MD5').toUpperCase();
    const qop = (c.params.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
    if (realm === undefined || nonce === undefined || nonce === '') why = 'a Digest challenge lacks realm or nonce';
    else if (alg !== 'MD5' && alg !== 'SHA-256') why = `Digest algorithm ${alg.slice(0, 20)} is not supported`;
    else if (!qop.includes('auth')) why = 'the device does not offer qop=auth (RFC 2069 digest is refused)';
    else
      return {
        ok: true,
        value: { realm, nonce, opaque: c.params.get('opaque') ?? null, algorithm: alg, stale: (c.params.get('stale') ?? '').toLowerCase() === 'true' },
      };
  }
  return { ok: false, reason: why };
}

const hash = (alg: DigestChallenge['algorithm'], s: string): string => createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s, 'utf8').digest('hex');

export interface DigestInput {
  user: string;
  password: string;
  method: string;
  uri: string;
  nc: number;
  cnonce: string;
}

/** The request-digest of RFC 7616 §3.4.1 for qop=auth. */
export function digestResponse(ch: DigestChallenge, i: DigestInput): string {
  const ha1 = hash(ch.algorithm, `${i.user}:${ch.realm}:${i.password}`);
  const ha2 = hash(ch.algorithm, `${i.method}:${i.uri}`);
  return hash(ch.algorithm, `${ha1}:${ch.nonce}:${ncHex(i.nc)}:${i.cnonce}:auth:${ha2}`);
}

export const ncHex = (nc: number): string => nc.toString(16).padStart(8, '0');

const quote = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;

export function authorizationHeader(ch: DigestChallenge, i: DigestInput): string {
  const parts = [
    `username=${quote(i.user)}`,
    `realm=${quote(ch.realm)}`,
    `nonce=${quote(ch.nonce)}`,
    `uri=${quote(i.uri)}`,
    `algorithm=${ch.algorithm}`,
    `response=${quote(digestResponse(ch, i))}`,
    'qop=auth',
    `nc=${ncHex(i.nc)}`,
    `cnonce=${quote(i.cnonce)}`,
  ];
  if (ch.opaque !== null) parts.push(`opaque=${quote(ch.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/**
 * One client's digest state: the last challenge and its nonce count. After
 * the first challenge every request is answered pre-emptively (nc+1), so a
 * status read costs one round trip, not two.
 */
export class DigestSession {
  private challenge: DigestChallenge | null = null;
  private nc = 0;

  constructor(
    private readonly user: string,
    private readonly password: string,
  ) {}

  get hasChallenge(): boolean {
    return this.challenge !== null;
  }

  accept(ch: DigestChallenge): void {
    if (this.challenge?.nonce !== ch.nonce) this.nc = 0;
    this.challenge = ch;
  }

  forget(): void {
    this.challenge = null;
    this.nc = 0;
  }

  /** The Authorization header for the next request, or null before any challenge. */
  next(method: string, uri: string, cnonce: string): string | null {
    if (this.challenge === null) return null;
    this.nc = Math.min(this.nc + 1, 0xffffffff);
    return authorizationHeader(this.challenge, { user: this.user, password: this.password, method, uri, nc: this.nc, cnonce });
  }
}
