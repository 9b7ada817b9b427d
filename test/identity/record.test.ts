import test from 'ava';
import fc from 'fast-check';
import { decodeCbor, encodeCbor, Tagged } from '../../agent/identity/cbor.ts';
import { ALG_EDDSA, decodeSign1, HDR_ALG, HDR_KID } from '../../agent/identity/cose.ts';
import type { IdentityErrorCode } from '../../agent/identity/errors.ts';
import { keyId } from '../../agent/identity/keys.ts';
import { buildRecord, decodeRecord } from '../../agent/identity/record.ts';
import { qualifyingData, type TpmQuote } from '../../agent/identity/session.ts';
import { verifyRecord, type VerifyOptions } from '../../agent/identity/verify.ts';
import { BOOT_A, BOOT_B, INPUT, makeNode, makeOrg, makeRecord, must, T0 } from './fixture.ts';

const org = makeOrg();
const node = makeNode(org, 'node-a');
// ava compares typed arrays by their backing buffers too; records are compared as hex.
const hex = (b: Uint8Array | null): string | null => (b ? Buffer.from(b).toString('hex') : null);
const opts = (o: Partial<VerifyOptions> = {}): VerifyOptions => ({ org: org.keys.publicKey, now: T0 + 1000, ...o });

function rejects(t: import('ava').ExecutionContext, bytes: Uint8Array, o: VerifyOptions, code: IdentityErrorCode, re: RegExp): void {
  const r = verifyRecord(bytes, o);
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, code);
    t.regex(r.error.message, re);
  }
}

test('a record verifies against the org key and carries every field as built', async (t) => {
  const { bytes, session } = await makeRecord(node);
  const v = must(verifyRecord(bytes, opts()));
  t.false(v.attested);
  const p = v.payload;
  t.is(p.name, 'node-a');
  t.is(p.incarnation, 3);
  t.is(p.bootId, BOOT_A);
  t.is(p.time, T0);
  t.is(p.expires, T0 + 300_000);
  t.is(hex(p.reportDigest), hex(INPUT.reportDigest));
  t.deepEqual(p.channels, INPUT.channels);
  t.is(p.policy, null);
  t.is(p.compliance, null);
  t.deepEqual(p.watchdog, { armed: true, lastResetByWatchdog: false });
  t.is(p.tpm, null);
  t.is(hex(p.sessionKey), hex(session.sessionKey));
  t.is(hex(p.certificate), hex(node.certificate));
  t.is(v.cert.name, 'node-a');
});

test('the record is a tagged COSE_Sign1 with EdDSA and kid = session key id in the protected header', async (t) => {
  const { bytes, session } = await makeRecord(node);
  const top = must(decodeCbor(bytes));
  t.true(top instanceof Tagged && top.tag === 18);
  const s = must(decodeSign1(bytes));
  const hdr = must(decodeCbor(s.protectedBytes));
  t.deepEqual(hdr, new Map<number, unknown>([[HDR_ALG, ALG_EDDSA], [HDR_KID, keyId(session.sessionKey)]]));
  t.is(s.signature.length, 64);
});

test('encoding is deterministic: the same inputs and keys give the same bytes; decoding and re-encoding is identity', async (t) => {
  const { bytes, session } = await makeRecord(node);
  // Ed25519 signatures are deterministic (RFC 8032), so the whole record is too.
  t.is(hex(buildRecord(node, session, INPUT)), hex(bytes));
  t.is(hex(encodeCbor(must(decodeCbor(bytes)))), hex(bytes));
  const p = must(decodeSign1(bytes)).payload;
  t.is(hex(encodeCbor(must(decodeCbor(p)))), hex(p));
});

test('rejects an expired record, one from the future, and one whose certificate has expired', async (t) => {
  const { bytes } = await makeRecord(node);
  rejects(t, bytes, opts({ now: T0 + 300_000 }), 'EXPIRED', /record expired/);
  const early = makeNode(org, 'node-e', Math.floor(T0 / 1000) - 3600);
  rejects(t, (await makeRecord(early)).bytes, opts({ now: T0 - 6 * 60_000 }), 'NOT_YET_VALID', /record time .* is in the future/);
  rejects(t, bytes, opts({ now: T0 - 6 * 60_000 }), 'NOT_YET_VALID', /node certificate valid from/);
  const short = makeNode(org, 'node-s', Math.floor(T0 / 1000) - 3600, 1800);
  rejects(t, (await makeRecord(short)).bytes, opts(), 'EXPIRED', /certificate expired/);
});

test('rejects replays: an older incarnation, the same incarnation from another boot, or an older time', async (t) => {
  const { bytes } = await makeRecord(node, { incarnation: 3 });
  t.true(verifyRecord(bytes, opts({ lastSeen: { incarnation: 3, bootId: BOOT_A, time: T0 } })).ok);
  t.true(verifyRecord(bytes, opts({ lastSeen: { incarnation: 2, bootId: BOOT_B, time: T0 + 60_000 } })).ok);
  rejects(t, bytes, opts({ lastSeen: { incarnation: 4, bootId: BOOT_B, time: T0 - 60_000 } }), 'REPLAYED', /incarnation 3 is older than 4/);
  rejects(t, bytes, opts({ lastSeen: { incarnation: 3, bootId: BOOT_B, time: T0 - 60_000 } }), 'REPLAYED', /already seen with boot/);
  rejects(t, bytes, opts({ lastSeen: { incarnation: 3, bootId: BOOT_A, time: T0 + 1 } }), 'REPLAYED', /older than the last one/);
});

test('rejects a node certified by another org', async (t) => {
  const foreign = makeOrg();
  const stranger = makeNode(foreign, 'node-a');
  rejects(t, (await makeRecord(stranger)).bytes, opts(), 'FOREIGN_ORG', /another org/);
});

test('rejects a stolen certificate presented with another node key', async (t) => {
  const victim = makeNode(org, 'node-b');
  const thief = { ...node, name: 'node-b', certificate: victim.certificate, cert: victim.cert };
  rejects(t, (await makeRecord(thief)).bytes, opts(), 'MISMATCH', /not signed by the certified node key/);
});

test('a tampered byte anywhere in the record is rejected (and never throws)', async (t) => {
  const { bytes } = await makeRecord(node);
  const codes = new Set<string>();
  for (let i = 0; i < bytes.length; i++) {
    const b = new Uint8Array(bytes);
    b[i] = (b[i] as number) ^ 0x01;
    const r = verifyRecord(b, opts());
    t.false(r.ok, `byte ${i}`);
    if (!r.ok) codes.add(r.error.code);
  }
  t.true(codes.has('BAD_SIGNATURE'));
  t.true(codes.has('MALFORMED') || codes.has('NOT_CANONICAL'));
});

const FAKE_QUOTE: TpmQuote = { msg: new Uint8Array([0xff, 0x54, 0x43, 0x47]), sig: new Uint8Array([1, 2, 3]), akPem: '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n' };

test('with a TPM the quote is asked for SHA-256(session key || boot id || name) and checked against the same', async (t) => {
  let asked: Uint8Array | null = null;
  const { bytes, session } = await makeRecord(node, {
    quoter: async (qd) => {
      asked = qd;
      return FAKE_QUOTE;
    },
  });
  const expected = qualifyingData(session.sessionKey, BOOT_A, 'node-a');
  t.is(hex(asked), hex(expected));
  t.is(expected.length, 32);
  let checkedNonce: Uint8Array | null = null;
  const v = must(
    verifyRecord(
      bytes,
      opts({
        checkQuote: (q, nonce) => {
          checkedNonce = nonce;
          t.deepEqual(q, FAKE_QUOTE);
          return { ok: true };
        },
      }),
    ),
  );
  t.true(v.attested);
  t.is(hex(checkedNonce), hex(expected));
  rejects(t, bytes, opts({ checkQuote: () => ({ ok: false, message: 'BAD_NONCE: nope' }) }), 'BAD_QUOTE', /BAD_NONCE: nope/);
  rejects(t, bytes, opts(), 'UNSUPPORTED', /no quote verifier/);
});

test('fuzz: arbitrary bytes and mutated records never throw and never verify', async (t) => {
  const { bytes } = await makeRecord(node);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const r = verifyRecord(b, opts());
      const d = decodeRecord(b);
      return !r.ok && !d.ok && typeof d.error.message === 'string';
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(bytes.length),
      (flips, cut) => {
        const b = new Uint8Array(bytes);
        for (const [i, x] of flips) b[i] = (b[i] as number) ^ x;
        return !verifyRecord(b, opts()).ok && !verifyRecord(bytes.subarray(0, cut), opts()).ok === (cut < bytes.length);
      },
    ),
    { numRuns: 1000 },
  );
  t.pass();
});
