// The policy's JSON input and signed CBOR payload (agent/policy/schema.ts):
// defaults documented and applied to JSON only, strict refusal with the path of
// the bad field, exact round trip through CBOR, and a decoder that answers any
// bytes with a typed result.
import test from 'ava';
import fc from 'fast-check';
import { encodeCbor } from '../../agent/identity/cbor.ts';
import { DEFAULTS, decodePolicyPayload, policyFromJson, policyFromJsonText, policyToCbor } from '../../agent/policy/schema.ts';
import { ISSUED, must, policy } from './fixture.ts';

test('JSON: absent keys take the documented defaults; oob defaults to ignore', (t) => {
  const p = must(policyFromJson({ serial: 7 }, ISSUED));
  t.deepEqual(p, {
    v: 1,
    serial: 7,
    issued: ISSUED,
    oob: 'ignore',
    amt: { provision: true, controlMode: 'ccm', sol: true, ider: false, kvm: false },
    bmc: { provision: true, user: 'fortros-oob', privilege: 'operator', harden: false, lan: 'keep' },
    watchdog: { timeoutS: 60 },
    fencing: { quorum: 'majority', confirmations: 2, actorDelayS: 10, channels: [], unattestedPeers: false },
  });
  t.is(DEFAULTS.oob, 'ignore');
  const partial = must(policyFromJson({ serial: 1, oob: 'use', amt: { kvm: true }, fencing: { channels: ['ipmi', 'pdu'] } }, ISSUED));
  t.deepEqual(partial.amt, { provision: true, controlMode: 'ccm', sol: true, ider: false, kvm: true });
  t.deepEqual(partial.fencing.channels, ['ipmi', 'pdu']);
});

const refusals: [string, unknown, RegExp][] = [
  ['no serial', {}, /^serial: missing/],
  ['unknown top key', { serial: 1, mode: 'use' }, /^mode: unknown key/],
  ['unknown nested key', { serial: 1, amt: { sol: true, vnc: true } }, /^amt\.vnc: unknown key/],
  ['wrong type', { serial: 1, amt: { sol: 'yes' } }, /^amt\.sol: must be true or false/],
  ['bad mode', { serial: 1, oob: 'maybe' }, /^oob: must be one of "use", "neutralize", "ignore"/],
  ['serial 0', { serial: 0 }, /^serial: 0 is out of range/],
  ['fractional serial', { serial: 1.5 }, /^serial: must be a whole number/],
  ['watchdog too long', { serial: 1, watchdog: { timeoutS: 3601 } }, /^watchdog\.timeoutS: 3601 is out of range 1-3600/],
  ['confirmations 0', { serial: 1, fencing: { confirmations: 0 } }, /^fencing\.confirmations: 0 is out of range/],
  ['unknown channel', { serial: 1, fencing: { channels: ['ipmi', 'telnet'] } }, /^fencing\.channels\[1\]: is not a channel name/],
  ['channel twice', { serial: 1, fencing: { channels: ['pdu', 'pdu'] } }, /^fencing\.channels\[1\]: "pdu" is listed twice/],
  ['user too long', { serial: 1, bmc: { user: 'a-very-long-user-name' } }, /^bmc\.user: the name must be 1-16 bytes/],
  ['user with space', { serial: 1, bmc: { user: 'fortros oob' } }, /^bmc\.user: the name must be printable ASCII without spaces/],
  ['privilege', { serial: 1, bmc: { privilege: 'oem' } }, /^bmc\.privilege: must be one of/],
  ['controlMode acm', { serial: 1, amt: { controlMode: 'acm' } }, /^amt\.controlMode: must be one of "ccm"/],
  ['version 2', { serial: 1, v: 2 }, /^v: 2 is out of range 1-1/],
  ['section not an object', { serial: 1, bmc: [] }, /^bmc: must be an object/],
  ['not an object', [1, 2], /^\(top\): must be an object/],
];

for (const [name, input, re] of refusals) {
  test(`JSON refused, MALFORMED with the path: ${name}`, (t) => {
    const r = policyFromJson(input, ISSUED);
    t.false(r.ok);
    if (!r.ok) {
      t.is(r.error.code, 'MALFORMED');
      t.regex(r.error.message, re);
    }
  });
}

test('JSON text that is not JSON is MALFORMED', (t) => {
  const r = policyFromJsonText('{"serial": 1,', ISSUED);
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'MALFORMED');
});

test('CBOR: a policy round-trips exactly; the signed form has every key and no defaults', (t) => {
  const p = policy('use', { bmc: { user: 'ops', harden: true, lan: 'static' }, fencing: { channels: ['amt', 'ipmi'], unattestedPeers: true } }, 42);
  const bytes = encodeCbor(policyToCbor(p));
  t.deepEqual(must(decodePolicyPayload(bytes)), p);
  // The same value encodes to the same bytes (deterministic), whatever order the JSON had.
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  t.is(hex(encodeCbor(policyToCbor(must(decodePolicyPayload(bytes))))), hex(bytes));
  const partial = new Map(policyToCbor(p));
  partial.delete('watchdog');
  const r = decodePolicyPayload(encodeCbor(partial));
  t.false(r.ok);
  if (!r.ok) t.regex(r.error.message, /^watchdog: missing/);
});

test('CBOR: non-text keys, a non-map payload and non-canonical bytes are MALFORMED', (t) => {
  const withInt = new Map<string | number, never>([[1, 2 as never]]);
  for (const bytes of [encodeCbor(withInt as never), encodeCbor([1, 2]), Uint8Array.of(0xb9, 0x00, 0x00), new Uint8Array(0)]) {
    const r = decodePolicyPayload(bytes);
    t.false(r.ok);
    if (!r.ok) t.is(r.error.code, 'MALFORMED');
  }
});

test('fuzz: arbitrary bytes, truncated and bit-flipped payloads decode to a typed result, never a throw', (t) => {
  const good = encodeCbor(policyToCbor(policy('neutralize', {}, 9)));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      const r = decodePolicyPayload(b);
      return r.ok || r.error.code === 'MALFORMED';
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.nat(good.length), fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (cut, at, x) => {
      const truncated = decodePolicyPayload(good.subarray(0, cut));
      const flipped = good.slice();
      flipped[at] = (flipped[at] as number) ^ x;
      const f = decodePolicyPayload(flipped);
      return (cut === good.length ? truncated.ok : !truncated.ok && truncated.error.code === 'MALFORMED') && (f.ok || f.error.code === 'MALFORMED');
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('fuzz: arbitrary JSON values give a policy or MALFORMED, never a throw', (t) => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const r = policyFromJson(v, ISSUED);
      return r.ok ? r.value.serial >= 1 : r.error.code === 'MALFORMED';
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.record({ serial: fc.integer({ min: -5, max: 5 }), oob: fc.constantFrom('use', 'neutralize', 'ignore', 'x'), amt: fc.dictionary(fc.constantFrom('sol', 'ider', 'kvm', 'zz'), fc.jsonValue()) }), (v) => {
      const r = policyFromJson(v, ISSUED);
      return r.ok || r.error.code === 'MALFORMED';
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('fencing quorum: majority by default, all when asked, anything else refused with its path', (t) => {
  t.is(policy('use').fencing.quorum, 'majority');
  t.is(policy('use', { fencing: { quorum: 'all' } }).fencing.quorum, 'all');
  const bad = policyFromJson({ serial: 1, issued: ISSUED, oob: 'use', fencing: { quorum: 'half' } }, ISSUED);
  t.false(bad.ok);
  if (!bad.ok) t.regex(bad.error.message, /^fencing\.quorum: must be one of "majority", "all"/);
});
