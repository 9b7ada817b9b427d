import test from 'ava';
import fc from 'fast-check';
import { encodeCbor } from '../../agent/identity/cbor.ts';
import { keyId } from '../../agent/identity/keys.ts';
import { createSession, type Session } from '../../agent/identity/session.ts';
import type { NodeIdentity } from '../../agent/identity/store.ts';
import { decodeCreds, encodeCreds, identityTrust, INCARNATION_SPAN, MAX_CREDS_BYTES } from '../../agent/gossip/trust.ts';
import type { GossipResult, Trust } from '../../agent/gossip/types.ts';
import { BOOT_A, BOOT_B, makeNode, makeOrg, makeRecord, T0, type Org } from '../identity/fixture.ts';

const BOOT_INC = 3;
const INC = BOOT_INC * INCARNATION_SPAN;

async function member(org: Org, name: string, opts: { bootId?: string; bootInc?: number; issuedSec?: number; validSec?: number } = {}): Promise<{ id: NodeIdentity; session: Session; trust: Trust }> {
  const id = makeNode(org, name, opts.issuedSec, opts.validSec);
  const session = await createSession(id, opts.bootId ?? BOOT_A, opts.bootInc ?? BOOT_INC, null);
  return { id, session, trust: identityTrust({ identity: id, session, org: org.keys.publicKey }) };
}

function code(r: GossipResult<unknown> | undefined): string {
  return r === undefined ? 'no result' : r.ok ? 'ok' : r.error.code;
}

/** A copy of `b` with one bit of the byte at `at` (negative: from the end) flipped. */
function flip(b: Uint8Array, at: number): Uint8Array {
  const c = new Uint8Array(b);
  const i = at < 0 ? c.length + at : at;
  c[i] = (c[i] ?? 0) ^ 1;
  return c;
}

const org = makeOrg();
const alice = member(org, 'alice');
const bob = member(org, 'bob');

test('good credentials admit; the key verifies what the peer signed and nothing else', async (t) => {
  const [a, b] = [await alice, await bob];
  const r = b.trust.admit('alice', a.trust.creds, INC, T0);
  if (!r.ok) return t.fail(r.error.message);
  t.is(r.value.id, Buffer.from(keyId(a.session.sessionKey)).toString('hex'));
  const msg = new TextEncoder().encode('ping 1');
  const sig = a.trust.sign(msg);
  t.is(sig.length, 64);
  t.true(r.value.verify(msg, sig));
  t.false(r.value.verify(new TextEncoder().encode('ping 2'), sig));
  t.false(r.value.verify(msg, b.trust.sign(msg)));
  // A node admits itself too (it hears its own announcements back through peers).
  t.true(a.trust.admit('alice', a.trust.creds, INC + 5, T0).ok);
});

test('creds are [certificate, binding] as deterministic CBOR and round-trip', async (t) => {
  const a = await alice;
  t.true(Buffer.from(a.trust.creds).equals(encodeCbor([a.id.certificate, a.session.bindingBytes])));
  const d = decodeCreds(a.trust.creds);
  if (!d.ok) return t.fail(d.error.message);
  t.deepEqual(d.value, { certificate: a.id.certificate, binding: a.session.bindingBytes });
  t.true(Buffer.from(encodeCreds(d.value)).equals(a.trust.creds));
  t.true(a.trust.creds.length < MAX_CREDS_BYTES / 2);
});

test('a repeated announcement is served from the cache and still checked for name and incarnation', async (t) => {
  const [a, b] = [await alice, await bob];
  const first = b.trust.admit('alice', a.trust.creds, INC, T0);
  const again = b.trust.admit('alice', a.trust.creds, INC + 1, T0);
  if (!first.ok || !again.ok) return t.fail('not admitted');
  t.is(again.value, first.value, 'the same PeerKey object: no re-verification');
  t.is(code(b.trust.admit('mallory', a.trust.creds, INC, T0)), 'UNTRUSTED');
  t.is(code(b.trust.admit('alice', a.trust.creds, INC - 1, T0)), 'STALE');
});

test('a certificate from another org is UNTRUSTED', async (t) => {
  const b = await bob;
  const foreign = await member(makeOrg(), 'alice');
  const r = b.trust.admit('alice', foreign.trust.creds, INC, T0);
  t.is(code(r), 'UNTRUSTED');
  t.regex(r.ok ? '' : r.error.message, /another org key/);
});

test('credentials announced under another name are UNTRUSTED', async (t) => {
  const [a, b] = [await alice, await bob];
  const r = b.trust.admit('bob', a.trust.creds, INC, T0);
  t.is(code(r), 'UNTRUSTED');
  t.regex(r.ok ? '' : r.error.message, /credentials are for 'alice', announced as 'bob'/);
});

test('an expired or not yet valid certificate is UNTRUSTED', async (t) => {
  const b = await bob;
  const t0s = Math.floor(T0 / 1000);
  const old = await member(org, 'old', { issuedSec: t0s - 7200, validSec: 3600 });
  const r = b.trust.admit('old', old.trust.creds, INC, T0);
  t.is(code(r), 'UNTRUSTED');
  t.regex(r.ok ? '' : r.error.message, /expired/);
  // Valid right up to its last second, not at exp itself.
  t.true(b.trust.admit('old', old.trust.creds, INC, (t0s - 3601) * 1000).ok);
  t.is(code(b.trust.admit('old', old.trust.creds, INC, (t0s - 3600) * 1000)), 'UNTRUSTED');
  const future = await member(org, 'future', { issuedSec: t0s + 3600 });
  t.is(code(b.trust.admit('future', future.trust.creds, INC, T0)), 'UNTRUSTED');
  // Within the clock skew allowance (5 minutes) a just-issued certificate is accepted.
  const soon = await member(org, 'soon', { issuedSec: t0s + 60 });
  t.true(b.trust.admit('soon', soon.trust.creds, INC, T0).ok);
});

test('a tampered or foreign session binding is UNTRUSTED', async (t) => {
  const [a, b] = [await alice, await bob];
  const flipped = flip(a.session.bindingBytes, -1); // last byte of the signature
  const r1 = b.trust.admit('alice', encodeCreds({ certificate: a.id.certificate, binding: flipped }), INC, T0);
  t.is(code(r1), 'UNTRUSTED');
  t.regex(r1.ok ? '' : r1.error.message, /binding signature/);
  // Bob's binding under Alice's certificate: signed by a key the certificate does not name.
  const r2 = b.trust.admit('alice', encodeCreds({ certificate: a.id.certificate, binding: b.session.bindingBytes }), INC, T0);
  t.is(code(r2), 'UNTRUSTED');
  t.regex(r2.ok ? '' : r2.error.message, /not signed by the certified node key/);
  // A tampered certificate payload (name byte) breaks the org signature.
  const cert = new Uint8Array(a.id.certificate);
  const at = Buffer.from(cert).indexOf('alice');
  cert[at] = 'b'.charCodeAt(0);
  t.is(code(b.trust.admit('blice', encodeCreds({ certificate: cert, binding: a.session.bindingBytes }), INC, T0)), 'UNTRUSTED');
});

test('an incarnation outside the binding boot span is STALE: an older boot cannot outrank the current one', async (t) => {
  const b = await bob;
  const boot4 = await member(org, 'carol', { bootId: BOOT_B, bootInc: 4 });
  const base = 4 * INCARNATION_SPAN;
  t.true(b.trust.admit('carol', boot4.trust.creds, base, T0).ok);
  t.true(b.trust.admit('carol', boot4.trust.creds, base + INCARNATION_SPAN - 1, T0).ok);
  for (const inc of [base - 1, base + INCARNATION_SPAN, 3 * INCARNATION_SPAN, 5 * INCARNATION_SPAN + 7, -1, 1.5, Number.MAX_SAFE_INTEGER + 2]) {
    t.is(code(b.trust.admit('carol', boot4.trust.creds, inc, T0)), 'STALE', String(inc));
  }
});

test('malformed and oversized credentials are rejected with their code', async (t) => {
  const [a, b] = [await alice, await bob];
  for (const [bytes, want] of [
    [new Uint8Array(0), 'MALFORMED'],
    [Uint8Array.of(0x80), 'MALFORMED'],
    [encodeCbor([a.id.certificate]), 'MALFORMED'],
    [encodeCbor([a.id.certificate, 'x']), 'MALFORMED'],
    [encodeCbor(new Map([['c', a.id.certificate]])), 'MALFORMED'],
    [encodeCreds({ certificate: Uint8Array.of(1, 2, 3), binding: a.session.bindingBytes }), 'MALFORMED'],
    [encodeCreds({ certificate: a.id.certificate, binding: new Uint8Array(10) }), 'MALFORMED'],
    [new Uint8Array(MAX_CREDS_BYTES + 1), 'TOO_LARGE'],
  ] as const) {
    t.is(code(b.trust.admit('alice', bytes, INC, T0)), want);
  }
});

test('fuzz: decodeCreds and admit never throw on arbitrary or mutated bytes', async (t) => {
  const [a, b] = [await alice, await bob];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
      const d = decodeCreds(bytes);
      return d.ok ? d.value.certificate instanceof Uint8Array : typeof d.error.message === 'string';
    }),
    { numRuns: 2000 },
  );
  const good = a.trust.creds;
  fc.assert(
    fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
      const m = new Uint8Array(good);
      m[at] = (m[at] ?? 0) ^ x;
      return !b.trust.admit('alice', m, INC, T0).ok;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('checkAttestation verifies a record against the org and the announcing name', async (t) => {
  const [a, b] = [await alice, await bob];
  const rec = await makeRecord(a.id, { incarnation: BOOT_INC });
  const check = b.trust.checkAttestation;
  if (!check) return t.fail('no checkAttestation');
  const r = check('alice', rec.bytes, T0 + 1000);
  if (!r.ok) return t.fail(r.error.message);
  t.is(r.value.expires, T0 + 300_000);
  const other = check('bob', rec.bytes, T0 + 1000);
  t.is(code(other), 'NOT_AUTHOR');
  t.is(code(check('alice', rec.bytes, T0 + 300_000)), 'STALE');
  const foreign = await makeRecord(makeNode(makeOrg(), 'alice'));
  t.is(code(check('alice', foreign.bytes, T0 + 1000)), 'UNTRUSTED');
  const tampered = flip(rec.bytes, -1);
  t.is(code(check('alice', tampered, T0 + 1000)), 'BAD_SIGNATURE');
  t.is(code(check('alice', Uint8Array.of(1, 2), T0)), 'MALFORMED');
});

test('checkAttestation passes TPM quotes to checkQuote and refuses them without one', async (t) => {
  const a = await alice;
  const quoter = async (): Promise<{ msg: Uint8Array; sig: Uint8Array; akPem: string }> => ({ msg: Uint8Array.of(1), sig: Uint8Array.of(2), akPem: 'pem' });
  const rec = await makeRecord(a.id, { quoter });
  const seen: Uint8Array[] = [];
  const withCheck = identityTrust({
    identity: a.id,
    session: a.session,
    org: org.keys.publicKey,
    checkQuote: (_q, nonce) => {
      seen.push(nonce);
      return { ok: true };
    },
  });
  t.true(withCheck.checkAttestation?.('alice', rec.bytes, T0 + 1000).ok);
  t.is(seen.length, 1);
  t.is(code((await bob).trust.checkAttestation?.('alice', rec.bytes, T0 + 1000)), 'UNSUPPORTED');
  const refusing = identityTrust({ identity: a.id, session: a.session, org: org.keys.publicKey, checkQuote: () => ({ ok: false, message: 'pcr mismatch' }) });
  t.is(code(refusing.checkAttestation?.('alice', rec.bytes, T0 + 1000)), 'UNTRUSTED');
});
