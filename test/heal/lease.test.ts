import test from 'ava';
import fc from 'fast-check';
import { decodeSign1 } from '../../agent/identity/cose.ts';
import { generateKeyPair, keyId, rawPublicKey } from '../../agent/identity/keys.ts';
import { decodeLease, sessionKeyFromCreds, signLease, verifyLease } from '../../agent/heal/lease.ts';
import { encodeCreds } from '../../agent/gossip/trust.ts';
import { createSession } from '../../agent/identity/session.ts';
import type { NodeIdentity } from '../../agent/identity/store.ts';
import type { Lease } from '../../agent/heal/types.ts';
import { T0 } from './helpers.ts';

const y = generateKeyPair();
const z = generateKeyPair();
const signer = (kp: typeof y) => ({ privateKey: kp.privateKey, kid: keyId(rawPublicKey(kp.publicKey)) });
const keys = new Map([['y', y.publicKey], ['z', z.publicKey]]);
const check = (now = T0) => ({ sessionKey: (a: string) => keys.get(a) ?? null, now, maxSkewMs: 5_000 });
const lease: Lease = { subject: 'x', incarnation: 4_294_967_297, actor: 'y', issued: T0, expires: T0 + 35_000 };

test('a signed lease round-trips and verifies with the actor session key', (t) => {
  const bytes = signLease(lease, signer(y));
  const v = verifyLease(bytes, check());
  t.deepEqual(v, { ok: true, value: lease });
  const again = decodeSign1(signLease(lease, signer(y)));
  const first = decodeSign1(bytes);
  if (!again.ok || !first.ok) return t.fail('not COSE_Sign1');
  t.deepEqual(again.value.payload, first.value.payload, 'deterministic CBOR: the same lease, the same signed bytes');
});

test('a lease in another member name, by a stranger, expired, or from the future is refused with its code', (t) => {
  const forged = signLease(lease, signer(z)); // z signs a lease naming y as actor
  const f = verifyLease(forged, check());
  t.false(f.ok);
  if (!f.ok) t.is(f.error.code, 'BAD_SIGNATURE');
  const stranger = verifyLease(signLease({ ...lease, actor: 'mallory' }, signer(z)), check());
  t.false(stranger.ok);
  if (!stranger.ok) t.is(stranger.error.code, 'UNKNOWN_SIGNER');
  const late = verifyLease(signLease(lease, signer(y)), check(T0 + 35_000));
  t.false(late.ok);
  if (!late.ok) t.is(late.error.code, 'EXPIRED');
  const future = verifyLease(signLease({ ...lease, issued: T0 + 60_000, expires: T0 + 90_000 }, signer(y)), check());
  t.false(future.ok);
  if (!future.ok) t.is(future.error.code, 'TIME');
  const backwards = decodeLease(signLease({ ...lease, expires: T0 - 1 }, signer(y)));
  t.false(backwards.ok);
  if (!backwards.ok) t.is(backwards.error.code, 'TIME');
});

test('a flipped bit anywhere fails decoding or the signature, never passes', (t) => {
  const bytes = signLease(lease, signer(y));
  for (let i = 0; i < bytes.length; i++) {
    const b = new Uint8Array(bytes);
    b[i] = (b[i] as number) ^ 0x01;
    const v = verifyLease(b, check());
    t.false(v.ok, `bit flip at byte ${i} accepted`);
  }
});

test('fuzz: arbitrary and truncated bytes give a typed result, never a throw', (t) => {
  const good = signLease(lease, signer(y));
  const codes = new Set(['MALFORMED', 'NOT_CANONICAL', 'TOO_LARGE', 'UNSUPPORTED', 'TIME', 'BAD_SIGNATURE', 'UNKNOWN_SIGNER', 'EXPIRED']);
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 2048 }), fc.nat(good.length).map((n) => good.subarray(0, n))), (b) => {
      const r = verifyLease(b, check());
      return r.ok ? b.length === good.length : codes.has(r.error.code);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('the session key comes out of admitted gossip credentials and verifies that member lease', async (t) => {
  const node = generateKeyPair();
  const id = { name: 'y', privateKey: node.privateKey, publicKey: node.publicKey } as unknown as NodeIdentity;
  const s = await createSession(id, '00000000-0000-4000-8000-000000000001', 1, null);
  const creds = encodeCreds({ certificate: new Uint8Array([1, 2, 3]), binding: s.bindingBytes });
  const key = sessionKeyFromCreds(creds);
  if (key === null) return t.fail('no key');
  const bytes = signLease(lease, { privateKey: s.privateKey, kid: s.kid });
  t.deepEqual(verifyLease(bytes, { sessionKey: () => key, now: T0, maxSkewMs: 5_000 }), { ok: true, value: lease });
  t.is(sessionKeyFromCreds(new Uint8Array([0xff])), null);
});
