import test from 'ava';
import fc from 'fast-check';
import { Encoder } from 'cbor-x';
import { decodeCbor, encodeCbor, Tagged, type Cbor } from '../../agent/identity/cbor.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

// RFC 8949 appendix A examples, restricted to the types identity records use.
const VECTORS: [Cbor, string][] = [
  [0, '00'],
  [23, '17'],
  [24, '1818'],
  [100, '1864'],
  [1000, '1903e8'],
  [1000000, '1a000f4240'],
  [1000000000000, '1b000000e8d4a51000'],
  [-1, '20'],
  [-100, '3863'],
  [-1000, '3903e7'],
  [false, 'f4'],
  [true, 'f5'],
  [null, 'f6'],
  [new Uint8Array(0), '40'],
  [unhex('01020304'), '4401020304'],
  ['', '60'],
  ['a', '6161'],
  ['IETF', '6449455446'],
  ['\u00fc', '62c3bc'],
  [[], '80'],
  [[1, [2, 3], [4, 5]], '8301820203820405'],
  [new Map(), 'a0'],
  [new Map<number, Cbor>([[1, 2], [3, 4]]), 'a201020304'],
  [new Map<string, Cbor>([['a', 1], ['b', [2, 3]]]), 'a26161016162820203'],
  [new Tagged(18, [unhex('a0')]), 'd28141a0'],
];

test('encodes the RFC 8949 appendix A examples byte for byte and decodes them back', (t) => {
  for (const [v, h] of VECTORS) {
    t.is(hex(encodeCbor(v)), h, h);
    const d = decodeCbor(unhex(h));
    t.true(d.ok, h);
    if (d.ok) t.deepEqual(d.value, v, h);
  }
});

test('map keys are sorted by their encoded bytes whatever the insertion order (RFC 8949 section 4.2.1)', (t) => {
  // Shorter text sorts first because its head byte is smaller; integer keys (major 0/1) before text (major 3).
  const m = new Map<string | number, Cbor>([['bb', 1], ['a', 2], [-1, 3], [10, 4], ['c', 5]]);
  t.is(hex(encodeCbor(m)), 'a50a042003616102616305626262' + '01');
  t.is(hex(encodeCbor(new Map([...m].reverse()))), hex(encodeCbor(m)));
});

test('cbor-x alone is not deterministic: insertion-ordered keys and float64 for 2^40 (why cbor.ts encodes itself)', (t) => {
  const e = new Encoder({ useRecords: false, mapsAsObjects: false });
  t.is(hex(e.encode(new Map([['b', 1], ['a', 2]]))), 'a2616201616102');
  t.is(hex(encodeCbor(new Map([['b', 1], ['a', 2]]))), 'a2616102616201');
  t.is(hex(e.encode(2 ** 40)), 'fb4270000000000000');
  t.is(hex(encodeCbor(2 ** 40)), '1b0000010000000000');
});

test('decoding rejects every non-deterministic alternative encoding of a value', (t) => {
  const cases: [string, string][] = [
    ['1801', 'uint 1 in a 1-byte argument'],
    ['190001', 'uint 1 in a 2-byte argument'],
    ['5801ff', 'bstr length in a long form'],
    ['9f01ff', 'indefinite-length array'],
    ['a2616201616102', 'unsorted map keys'],
    ['a2616101616102', 'duplicate map key'],
    ['f93c00', 'half float 1.0'],
    ['fb3ff8000000000000', 'float 1.5'],
    ['0000', 'trailing bytes'],
    ['c11a514b67b0', 'tag 1 (cbor-x turns it into a Date)'],
  ];
  for (const [h, why] of cases) {
    const d = decodeCbor(unhex(h));
    t.false(d.ok, why);
    if (!d.ok) t.true(d.error.code === 'NOT_CANONICAL' || d.error.code === 'MALFORMED', `${why}: ${d.error.code}`);
  }
  // Length headers far beyond the input (arrays, maps, strings of 2^31) fail fast without allocating.
  for (const h of ['9a08000000', '9a7fffffff', 'ba08000000', '5a7fffff00', '7a7fffff00', 'd81c81d81d00']) {
    const d = decodeCbor(unhex(h));
    t.deepEqual(d.ok ? null : d.error.code, 'MALFORMED', h);
  }
  const tooBig = decodeCbor(new Uint8Array(70_000));
  t.deepEqual(tooBig.ok ? null : tooBig.error.code, 'TOO_LARGE');
  const empty = decodeCbor(new Uint8Array(0));
  t.deepEqual(empty.ok ? null : empty.error.code, 'MALFORMED');
});

const cborValue: fc.Arbitrary<Cbor> = fc.letrec<{ v: Cbor }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -1000, max: 1000 })), tie('v')), { maxLength: 4 }).map((es) => new Map(es) as ReadonlyMap<string | number, Cbor>),
    // 18 is COSE_Sign1; the others are unassigned, so cbor-x leaves them as plain tags.
    fc.tuple(fc.constantFrom(18, 1000, 40_000), tie('v')).map(([tag, v]) => new Tagged(tag, v)),
  ),
})).v;

test('fuzz: valid values round-trip, and re-encoding the decoded value gives the same bytes', (t) => {
  fc.assert(
    fc.property(cborValue, (v) => {
      const bytes = encodeCbor(v);
      const d = decodeCbor(bytes);
      // Maps come back in key order, so equality is checked on the (injective) encoding.
      return d.ok && hex(encodeCbor(d.value)) === hex(bytes);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('fuzz: arbitrary bytes never throw and an ok result re-encodes to exactly the input', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const d = decodeCbor(b);
      return d.ok ? hex(encodeCbor(d.value)) === hex(b) : typeof d.error.message === 'string';
    }),
    { numRuns: 20000 },
  );
  t.pass();
});
