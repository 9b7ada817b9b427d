// The server side of HTTP Digest (RFC 7616 / RFC 2617) for the FAKE AMT and
// DASH services: MD5, qop="auth", nonces that expire, nonce counts that must
// grow. A wrong digest gets a fresh challenge; a right digest on an expired
// nonce gets stale=true (RFC 7616 §3.3), so a client can tell the two apart.
// Written separately from the client's digest.ts so the two check each other.

import { createHash, randomBytes } from 'node:crypto';

export type Verdict = 'ok' | 'stale' | 'bad';

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

function params(header: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([a-zA-Z]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/g;
  for (const m of header.matchAll(re)) out.set((m[1] ?? '').toLowerCase(), (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1'));
  return out;
}

export class DigestServer {
  private nonces = new Map<string, { issued: number; lastNc: number }>();
  /** What the fake saw, for tests: the nc values and whether stale was sent. */
  ncSeen: number[] = [];
  staleSent = 0;
  rejected = 0;

  constructor(
    readonly realm: string,
    private readonly user: string,
    private readonly password: string,
    public nonceLifetimeMs = 60_000,
  ) {}

  challenge(stale = false): string {
    const nonce = randomBytes(16).toString('hex');
    this.nonces.set(nonce, { issued: performance.now(), lastNc: 0 });
    if (stale) this.staleSent++;
    return `Digest realm="${this.realm}", nonce="${nonce}", stale="${stale ? 'true' : 'false'}", qop="auth"`;
  }

  /** Ends every nonce now, as a management controller does after its nonce lifetime. */
  expireAll(): void {
    for (const n of this.nonces.values()) n.issued = -Infinity;
  }

  verify(header: string | undefined, method: string): Verdict {
    if (!header?.startsWith('Digest ')) return 'bad';
    const p = params(header.slice(7));
    const nonce = p.get('nonce') ?? '';
    const nc = Number.parseInt(p.get('nc') ?? '', 16);
    if (p.get('username') !== this.user || p.get('realm') !== this.realm || p.get('qop') !== 'auth' || p.get('uri') !== '/wsman') return this.reject();
    if ((p.get('algorithm') ?? 'MD5').toUpperCase() !== 'MD5' || !/^[0-9a-f]{8}$/.test(p.get('nc') ?? '') || !p.get('cnonce')) return this.reject();
    const ha1 = md5(`${this.user}:${this.realm}:${this.password}`);
    const ha2 = md5(`${method}:/wsman`);
    const expected = md5(`${ha1}:${nonce}:${p.get('nc')}:${p.get('cnonce')}:auth:${ha2}`);
    if (p.get('response') !== expected) return this.reject();
    const known = this.nonces.get(nonce);
    if (!known || performance.now() - known.issued > this.nonceLifetimeMs) return 'stale';
    // A replayed or reused count is an attack or a broken client: refuse it.
    if (!(nc > known.lastNc)) return this.reject();
    known.lastNc = nc;
    this.ncSeen.push(nc);
    return 'ok';
  }

  private reject(): 'bad' {
    this.rejected++;
    return 'bad';
  }
}
