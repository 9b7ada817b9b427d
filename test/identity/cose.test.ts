import test from 'ava';
import fc from 'fast-check';
import { encodeCbor, Tagged, type Cbor } from '../../agent/identity/cbor.ts';
import { decodeCertificate } from '../../agent/identity/cert.ts';
import { decodeSign1, sign1, verifySign1 } from '../../agent/identity/cose.ts';
import { generateKeyPair, keyId } from '../../agent/identity/keys.ts';
import { buildRecord, decodeRecord } from '../../agent/identity/record.ts';
import { createSession, decodeBinding } from '../../agent/identity/session.ts';
import { verifyRecord } from '../../agent/identity/verify.ts';
import { BOOT_A, makeNode, makeOrg, T0 } from './fixture.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const leaf: fc.Arbitrary<Cbor> = fc.oneof(fc.integer(), fc.string({ maxLength: 12 }), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 70 }));
const shallow: fc.Arbitrary<Cbor> = fc.oneof(
  leaf,
  fc.array(leaf, { maxLength: 5 }),
  fc.array(fc.tuple(fc.oneof(fc.constantFrom('v', 'org', 'name', 'key', 'iat', 'exp', 'spk', 'boot', 'inc', 'time', 'tpm', 'cert', 'binding'), fc.integer({ min: -10, max: 10 })), leaf), { maxLength: 8 }).map((es) => new Map(es) as ReadonlyMap<string | number, Cbor>),
);

test('fuzz: COSE-shaped values with arbitrary parts never throw in any decoder and never verify', (t) => {
  const org = generateKeyPair();
  fc.assert(
    fc.property(shallow, shallow, shallow, shallow, fc.boolean(), (p, u, payload, sig, encodePayload) => {
      const pl = encodePayload ? encodeCbor(payload) : payload;
      const bytes = encodeCbor(new Tagged(18, [p instanceof Map ? encodeCbor(p) : p, u, pl, sig]));
      for (const r of [decodeCertificate(bytes), decodeBinding(bytes), decodeRecord(bytes)]) {
        if (!r.ok && typeof r.error.code !== 'string') return false;
      }
      if (verifyRecord(bytes, { org: org.publicKey, now: T0 }).ok) return false;
      const s = decodeSign1(bytes);
      return !s.ok || !verifySign1(s.value, org.publicKey);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('sign1 round trip: any payload bytes come back and verify; another key does not', (t) => {
  const k = generateKeyPair();
  const other = generateKeyPair();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (payload) => {
      const s = decodeSign1(sign1(payload, keyId(k.publicKey), k.privateKey));
      return s.ok && hex(s.value.payload) === hex(payload) && hex(s.value.kid) === hex(keyId(k.publicKey)) && verifySign1(s.value, k.publicKey) && !verifySign1(s.value, other.publicKey);
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('fuzz: valid records from arbitrary inputs verify and decode to exactly those inputs', async (t) => {
  const org = makeOrg();
  const node = makeNode(org, 'node-f');
  const session = await createSession(node, BOOT_A, 9, null);
  const chan = fc.record({ kind: fc.string({ maxLength: 12 }), verdict: fc.string({ maxLength: 12 }) });
  fc.assert(
    fc.property(
      fc.integer({ min: T0 - 1000, max: T0 + 1000 }),
      // Above 2,000: a record made at T0 - 1000 that lives 2,000 ms expires at the verifier's now (T0 + 1000), and is expired.
      fc.integer({ min: 2001, max: 86_400_000 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.array(chan, { maxLength: 8 }),
      fc.boolean(),
      fc.constantFrom(true, false, null),
      (time, ttlMs, digest, channels, armed, last) => {
        const bytes = buildRecord(node, session, { time, ttlMs, reportDigest: digest, channels, watchdog: { armed, lastResetByWatchdog: last } });
        const v = verifyRecord(bytes, { org: org.keys.publicKey, now: T0 + 1000 });
        if (!v.ok) return false;
        const p = v.value.payload;
        return (
          p.time === time &&
          p.expires === time + ttlMs &&
          hex(p.reportDigest) === hex(digest) &&
          JSON.stringify(p.channels) === JSON.stringify(channels) &&
          p.watchdog.armed === armed &&
          p.watchdog.lastResetByWatchdog === last &&
          p.incarnation === 9
        );
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});
