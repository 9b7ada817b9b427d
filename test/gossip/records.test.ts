// The record book alone (records.ts): what it takes, what it refuses and why,
// what one exchange carries, and its wire parts against hostile bytes.
import test from 'ava';
import fc from 'fast-check';
import { decodeFrame, encodeFrame, type Phase } from '../../agent/gossip/pushpull.ts';
import {
  DEFAULT_RECORD_LIMITS,
  readPart,
  readRecordBlobs,
  readRecordDigest,
  readRecordHash,
  readRecordKeys,
  readRecordPush,
  RecordBook,
  type RecordLimits,
} from '../../agent/gossip/records.ts';
import { cborEncode } from '../../agent/gossip/wire.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';
import { believeAnything, BlobSigner, tamper } from './records-blobs.ts';

const NOW = Date.UTC(2026, 10, 24);
const signer = new BlobSigner(['a', 'b', 'c', 'ghost']);
const members = new Set(['a', 'b', 'c']);
const isMember = (n: string): boolean => members.has(n);
const book = (limits: Partial<RecordLimits> = {}, verify = signer.verify): RecordBook => new RecordBook(verify, { ...DEFAULT_RECORD_LIMITS, ...limits }, () => 0);
const blob = (node: string, id: string, seq: number, payload?: string) => ({ node, id, seq, bytes: signer.sign(node, id, seq, payload) });

test('publish verifies and holds a record under the key its content names', (t) => {
  const b = book();
  const r = b.publish(signer.sign('a', 'amt-admin', 3), NOW);
  t.deepEqual(r, { ok: true, value: { node: 'a', id: 'amt-admin', seq: 3, accepted: true } });
  t.is(b.get('a', 'amt-admin')?.seq, 3);
  t.is(b.size, 1);
  const bad = b.publish(tamper(signer.sign('a', 'bmc-user', 1)), NOW);
  t.false(bad.ok);
  if (!bad.ok) t.is(bad.error.code, 'BAD_SIGNATURE');
  t.is(b.get('a', 'bmc-user'), undefined);
});

test('a newer seq replaces, an older or equal one never does, and only peer records are handed to the daemon', (t) => {
  const b = book();
  t.like(b.offer(blob('b', 'x', 2), isMember, NOW), { kind: 'accepted', replaced: false });
  t.like(b.offer(blob('b', 'x', 5), isMember, NOW), { kind: 'accepted', replaced: true });
  t.is(b.offer(blob('b', 'x', 4), isMember, NOW).kind, 'ignored');
  t.is(b.offer(blob('b', 'x', 5), isMember, NOW).kind, 'ignored');
  t.is(b.get('b', 'x')?.seq, 5);
  b.publish(signer.sign('a', 'own', 1), NOW);
  t.deepEqual(b.takeAccepted().map((r) => `${r.node}/${r.id}#${r.seq}`), ['b/x#5']);
  t.deepEqual(b.takeAccepted(), []);
});

test('two records of one seq: every book settles on the same one, whatever order they came in', (t) => {
  const r1 = blob('a', 'x', 7, 'one');
  const r2 = blob('a', 'x', 7, 'two');
  const b1 = book();
  const b2 = book();
  b1.offer(r1, isMember, NOW);
  b1.offer(r2, isMember, NOW);
  b2.offer(r2, isMember, NOW);
  b2.offer(r1, isMember, NOW);
  t.deepEqual(b1.get('a', 'x')?.bytes, b2.get('a', 'x')?.bytes);
  t.deepEqual(b1.hash(), b2.hash());
});

test('refused: a tampered record, a record filed under another key, and one by a non-member', (t) => {
  const b = book();
  const good = blob('a', 'x', 1);
  const t1 = b.offer({ ...good, bytes: tamper(good.bytes) }, isMember, NOW);
  t.like(t1, { kind: 'rejected', error: { code: 'BAD_SIGNATURE' } });
  t.like(b.offer({ ...good, node: 'b' }, isMember, NOW), { kind: 'rejected', error: { code: 'NOT_AUTHOR' } });
  t.like(b.offer({ ...good, seq: 9 }, isMember, NOW), { kind: 'rejected', error: { code: 'NOT_AUTHOR' } });
  t.like(b.offer({ ...good, id: 'y' }, isMember, NOW), { kind: 'rejected', error: { code: 'NOT_AUTHOR' } });
  t.like(b.offer(blob('ghost', 'x', 1), isMember, NOW), { kind: 'rejected', error: { code: 'UNKNOWN_AUTHOR' } });
  t.is(b.size, 0);
  t.deepEqual(b.takeAccepted(), []);
});

test('limits: per node, in all, in bytes, and per record', (t) => {
  const perNode = book({ maxPerNode: 3 });
  for (let i = 0; i < 10; i++) perNode.offer(blob('a', `id${i}`, 1), isMember, NOW);
  t.is(perNode.size, 3);
  t.like(perNode.offer(blob('b', 'x', 1), isMember, NOW), { kind: 'accepted' }, 'another node still has room');
  t.like(perNode.offer(blob('a', 'id0', 2), isMember, NOW), { kind: 'accepted', replaced: true }, 'a newer record of a held key still replaces');

  const total = book({ maxRecords: 4 });
  for (const n of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) total.offer(blob(n, `id${i}`, 1), isMember, NOW);
  t.is(total.size, 4);

  const one = signer.sign('a', 'big', 1, 'x'.repeat(1000)).length;
  const bytes = book({ maxTotalBytes: 3 * one });
  for (let i = 0; i < 10; i++) bytes.offer(blob('a', `b${i}`, 1, 'x'.repeat(1000)), isMember, NOW);
  t.is(bytes.size, 3);
  t.true(bytes.bytes <= 3 * one);

  const small = book({ maxRecordBytes: 100 });
  t.like(small.offer(blob('a', 'big', 1, 'x'.repeat(200)), isMember, NOW), { kind: 'rejected', error: { code: 'TOO_LARGE' } });
  t.false(small.publish(signer.sign('a', 'big', 1, 'x'.repeat(200)), NOW).ok);
});

test('one exchange carries at most N records and M bytes each way; the rest comes next time', (t) => {
  const full = book({ maxPerNode: 100 });
  for (let i = 0; i < 50; i++) full.publish(signer.sign('a', `id${i}`, 1, 'y'.repeat(300)), NOW);
  const empty = book({ maxPerExchange: 8, maxBytesPerExchange: 2000 });
  // The client (empty) asks; the server answers within its own limits, which here are the defaults.
  const { blobs, wants } = empty.compare(full.digest(), isMember);
  t.is(blobs.length, 0);
  t.is(wants.length, 8);
  const limited = book({ maxPerExchange: 10, maxBytesPerExchange: 2000, maxPerNode: 100 });
  for (let i = 0; i < 50; i++) limited.publish(signer.sign('a', `id${i}`, 1, 'y'.repeat(300)), NOW);
  const served = limited.serve(full.digest());
  t.true(served.length <= 10);
  t.true(served.reduce((s, r) => s + r.bytes.length, 0) <= 2000);
  t.true(served.length >= 4, `${served.length} records of ~350 bytes fit 2000`);
  // A peer that sends more than an exchange's worth: the excess is not even verified.
  let verified = 0;
  const counting = book({ maxPerExchange: 5 }, (b, now) => (verified++, signer.verify(b, now)));
  const errors = counting.offerAll(Array.from({ length: 40 }, (_, i) => blob('b', `f${i}`, 1)), isMember, NOW);
  t.is(verified, 5);
  t.is(counting.size, 5);
  t.like(errors[0], { code: 'TOO_LARGE' });
  // Repeated rounds drain the whole difference.
  const client = book({ maxPerExchange: 8, maxPerNode: 100 });
  for (let round = 0; round < 10; round++) {
    const w = client.compare(full.digest(), isMember).wants;
    client.offerAll(full.serve(w), isMember, NOW);
  }
  t.is(client.size, 50);
  t.deepEqual(client.hash(), full.hash());
});

test('compare pushes what the peer lacks or holds older, and wants only what a member newer holds', (t) => {
  const mine = book();
  const theirs = book();
  mine.offer(blob('a', 'x', 2), isMember, NOW);
  mine.offer(blob('b', 'y', 1), isMember, NOW);
  theirs.offer(blob('a', 'x', 1), isMember, NOW);
  theirs.offer(blob('b', 'y', 3), isMember, NOW);
  theirs.offer(blob('c', 'z', 1), isMember, NOW);
  const lying = book({}, believeAnything);
  lying.publish(blob('ghost', 'g', 1).bytes, NOW);
  const r = mine.compare([...theirs.digest(), ...lying.digest()], isMember);
  t.deepEqual(r.blobs.map((b) => `${b.node}/${b.id}#${b.seq}`), ['a/x#2']);
  t.deepEqual(r.wants.map((k) => `${k.node}/${k.id}`).sort(), ['b/y', 'c/z']);
});

test('the hash depends on the set held, not on the order it arrived in', (t) => {
  const x = book();
  const y = book();
  const rs = [blob('a', '1', 1), blob('b', '2', 4), blob('c', '3', 2)];
  for (const r of rs) x.offer(r, isMember, NOW);
  for (const r of [...rs].reverse()) y.offer(r, isMember, NOW);
  t.deepEqual(x.hash(), y.hash());
  y.offer(blob('c', '3', 3), isMember, NOW);
  t.notDeepEqual(x.hash(), y.hash());
});

// ---- wire parts ----

test('record parts travel inside push-pull frames and come back equal', (t) => {
  const reg = new SimRegistry(new Rng(1));
  const trust = reg.issue('a');
  const b = blob('a', 'x', 1);
  const phases: Phase[] = [
    { phase: 'hello', hash: new Uint8Array(16), wantAtt: [], rec: new Uint8Array(16).fill(7) },
    { phase: 'digest', digest: [], rec: [{ node: 'a', id: 'x', seq: 1, digest: new Uint8Array(16).fill(1) }] },
    { phase: 'push', records: [], wants: ['b'], rec: { blobs: [b], wants: [{ node: 'c', id: 'z' }] } },
    { phase: 'records', records: [], rec: [b] },
    { phase: 'hello', hash: new Uint8Array(16), wantAtt: [] },
  ];
  for (const body of phases) {
    const d = decodeFrame(encodeFrame({ sender: 'a', incarnation: 1, sentAt: NOW, body }, trust));
    if (!d.ok) return t.fail(d.error.message);
    t.deepEqual(d.value.frame.body, body);
  }
});

test('fuzz: the record part readers return a value or MALFORMED for any CBOR value, never throw', (t) => {
  const readers: ((v: unknown) => unknown)[] = [readRecordHash, readRecordDigest, readRecordBlobs, readRecordKeys, readRecordPush];
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.string({ maxLength: 8 }),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.boolean(),
      fc.uint8Array({ maxLength: 40 }),
      fc.array(tie('v'), { maxLength: 5 }),
      fc.tuple(fc.string({ minLength: 1, maxLength: 5 }), fc.string({ minLength: 1, maxLength: 5 }), fc.integer({ min: -2, max: 5 }), fc.uint8Array({ minLength: 15, maxLength: 17 })),
    ),
  })).v;
  fc.assert(
    fc.property(value, (v) => {
      for (const r of readers) {
        const out = readPart(r, v);
        if (!out.ok && out.error.code !== 'MALFORMED') return false;
      }
      return true;
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('fuzz: push-pull frames with record parts, truncated or with bytes flipped, decode to a frame or a typed error', (t) => {
  const reg = new SimRegistry(new Rng(2));
  const trust = reg.issue('a');
  const b = blob('a', 'x', 1);
  const valid = [
    encodeFrame({ sender: 'a', incarnation: 1, sentAt: NOW, body: { phase: 'push', records: [], wants: [], rec: { blobs: [b], wants: [{ node: 'c', id: 'z' }] } } }, trust),
    encodeFrame({ sender: 'a', incarnation: 1, sentAt: NOW, body: { phase: 'digest', digest: [], rec: [{ node: 'a', id: 'x', seq: 1, digest: new Uint8Array(16) }] } }, trust),
  ];
  const codes = new Set(['MALFORMED', 'TOO_LARGE', 'UNSUPPORTED']);
  fc.assert(
    fc.property(fc.nat(valid.length - 1), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, cut, at, flip) => {
      const v = valid[which] as Uint8Array;
      const trunc = decodeFrame(v.subarray(0, cut % v.length));
      const c = Uint8Array.from(v);
      c[at % c.length] = (c[at % c.length] as number) ^ flip;
      const flipped = decodeFrame(c);
      return (trunc.ok || codes.has(trunc.error.code)) && (flipped.ok || codes.has(flipped.error.code));
    }),
    { numRuns: 3000 },
  );
  // Arbitrary bytes, and a frame whose inner body is arbitrary CBOR around a record part.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (junk) => {
      const r = decodeFrame(junk);
      return r.ok || codes.has(r.error.code);
    }),
    { numRuns: 2000 },
  );
  const inner = cborEncode(['a', 1, NOW, trust.creds, [3, [], [], [[['a', 'x', -1, new Uint8Array(3)]], [['c']]]]]);
  const r = decodeFrame(cborEncode([1, inner, trust.sign(inner)]));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'MALFORMED');
});
