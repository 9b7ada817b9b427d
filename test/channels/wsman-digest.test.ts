// HTTP Digest for WS-Management: known answers from the RFCs, the challenge
// parser on real and hostile headers (fuzzed), and the session's nonce count.
import test from 'ava';
import fc from 'fast-check';
import { DigestSession, digestResponse, parseChallenges, pickDigest, type DigestChallenge } from '../../agent/channels/wsman/digest.ts';

test('RFC 2617 §3.5 known answer (MD5, qop=auth)', (t) => {
  const ch: DigestChallenge = { realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', opaque: '5ccc069c403ebaf9f0171e9517f40e41', algorithm: 'MD5', stale: false };
  const r = digestResponse(ch, { user: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: '0a4f113b' });
  t.is(r, '6629fae49393a05397450978507c4ef1');
});

test('RFC 7616 §3.9.1 known answers (MD5 and SHA-256)', (t) => {
  const base = { realm: 'http-auth@example.org', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS', stale: false };
  const input = { user: 'Mufasa', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' };
  t.is(digestResponse({ ...base, algorithm: 'MD5' }, input), '8ca523f5e9506fed4657c9700eebdbec');
  t.is(digestResponse({ ...base, algorithm: 'SHA-256' }, input), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
});

test('an AMT challenge is picked; stale, opaque and quoted commas survive', (t) => {
  const h = 'Digest realm="Digest:3F6A2B1C9D8E7F60514233241506F7E8", nonce="a,b\\"c", stale="true", qop="auth", opaque="xyz"';
  const r = pickDigest(h);
  t.true(r.ok);
  if (r.ok) t.deepEqual(r.value, { realm: 'Digest:3F6A2B1C9D8E7F60514233241506F7E8', nonce: 'a,b"c', opaque: 'xyz', algorithm: 'MD5', stale: true });
});

test('several challenges joined in one header: Digest is found among them', (t) => {
  const all = parseChallenges('Negotiate, Basic realm="x", Digest realm="r", nonce="n", qop="auth,auth-int", algorithm=MD5');
  t.deepEqual(all?.map((c) => c.scheme), ['negotiate', 'basic', 'digest']);
  const r = pickDigest('Negotiate, Digest realm="r", nonce="n", qop="auth,auth-int"');
  t.true(r.ok);
});

test('what cannot be answered is said: Basic only, no qop, MD5-sess, missing nonce, no header', (t) => {
  const reason = (h: string | undefined): string => {
    const r = pickDigest(h);
    return r.ok ? 'ok' : r.reason;
  };
  t.regex(reason('Basic realm="x"'), /offers basic, not Digest/);
  t.regex(reason('Digest realm="r", nonce="n"'), /qop=auth/);
  t.regex(reason('Digest realm="r", nonce="n", qop="auth", algorithm=MD5-sess'), /not supported/);
  t.regex(reason('Digest realm="r", qop="auth"'), /lacks realm or nonce/);
  t.regex(reason(undefined), /no WWW-Authenticate/);
  t.regex(reason('Digest realm="unterminated'), /malformed/);
});

test('the session counts nonces: nc grows under one nonce and restarts with a new one', (t) => {
  const s = new DigestSession('admin', 'pw');
  t.is(s.next('POST', '/wsman', 'c0'), null);
  s.accept({ realm: 'r', nonce: 'n1', opaque: null, algorithm: 'MD5', stale: false });
  const a = s.next('POST', '/wsman', 'c1') ?? '';
  const b = s.next('POST', '/wsman', 'c2') ?? '';
  t.regex(a, /nc=00000001/);
  t.regex(b, /nc=00000002/);
  t.regex(b, /cnonce="c2"/);
  t.false(a.includes('pw'));
  s.accept({ realm: 'r', nonce: 'n2', opaque: null, algorithm: 'MD5', stale: true });
  t.regex(s.next('POST', '/wsman', 'c3') ?? '', /nonce="n2".*nc=00000001/);
  s.forget();
  t.is(s.next('POST', '/wsman', 'c4'), null);
});

test('fuzz: the challenge parser never throws and returns a result for any header text', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'))), (h) => {
      const all = parseChallenges(h);
      t.true(all === null || Array.isArray(all));
      const r = pickDigest(h);
      return r.ok ? typeof r.value.nonce === 'string' : typeof r.reason === 'string';
    }),
    { numRuns: 3000 },
  );
});

test('fuzz: challenges built from arbitrary parameters parse back to the same values', (t) => {
  const word = fc.stringMatching(/^[A-Za-z0-9+/=:._ -]{1,30}$/);
  fc.assert(
    fc.property(word, word, fc.boolean(), (realm, nonce, stale) => {
      const q = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;
      const r = pickDigest(`Digest realm=${q(realm)}, nonce=${q(nonce)}, qop="auth", stale=${stale ? 'TRUE' : 'false'}`);
      return r.ok && r.value.realm === realm && r.value.nonce === nonce && r.value.stale === stale;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});
