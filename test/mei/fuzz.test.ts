// Every decoder of bytes from the ME, fed arbitrary and truncated input: each
// returns a result, an error is one of the typed codes, nothing throws.
import test from 'ava';
import fc from 'fast-check';
import { decodeFwCapsRule, decodeFwVersion, decodeMkhiReply } from '../../agent/mei/mkhi.ts';
import { decodeOperationalState, decodeSetOperationalStateReply } from '../../agent/mei/opstate.ts';
import { decodePthiReply, pthiRequestCode } from '../../agent/mei/pthi.ts';
import {
  decodeCertHashEntry,
  decodeCodeVersions,
  decodeDnsSuffix,
  decodeHashHandles,
  decodeLanSettings,
  decodeLocalSystemAccount,
  decodeRemoteAccess,
  decodeU32,
  decodeUuid,
} from '../../agent/mei/pthi-replies.ts';
import { guidToUuidLe, uuidLeToGuid } from '../../agent/mei/guid.ts';
import { decodeAmtFeatures } from '../../agent/mei/amt-features.ts';
import type { MeiResult } from '../../agent/mei/types.ts';
import { handlePthi } from '../fakes/me/pthi.ts';
import { defaultAmtState } from '../fakes/me/firmware.ts';

const decoders: [string, (b: Uint8Array) => MeiResult<unknown>][] = [
  ['pthi reply', (b) => decodePthiReply(b, pthiRequestCode(0x1a))],
  ['code versions', decodeCodeVersions],
  ['uuid', decodeUuid],
  ['u32', (b) => decodeU32(b, 'x')],
  ['dns suffix', decodeDnsSuffix],
  ['remote access', decodeRemoteAccess],
  ['lan settings', decodeLanSettings],
  ['hash handles', decodeHashHandles],
  ['cert hash entry', decodeCertHashEntry],
  ['local system account', decodeLocalSystemAccount],
  ['mkhi reply', (b) => decodeMkhiReply(b, 0xff, 0x02)],
  ['fw version', decodeFwVersion],
  ['fw caps rule', (b) => decodeFwCapsRule(b, 0)],
  ['opstate', decodeOperationalState],
  ['opstate set reply', decodeSetOperationalStateReply],
];

const CODES = new Set(['PROTOCOL', 'STATUS']);

/** Arbitrary bytes, and real replies from the simulated firmware cut at every length. */
const realReplies = (): Uint8Array[] => {
  const st = defaultAmtState();
  const req = (cmd: number, payload = 0): Uint8Array => {
    const b = Buffer.alloc(12 + payload);
    b.writeUInt8(1, 0);
    b.writeUInt8(1, 1);
    b.writeUInt32LE(0x04000000 | cmd, 4);
    b.writeUInt32LE(payload, 8);
    return b;
  };
  return [0x1a, 0x5c, 0x6b, 0x11, 0x36, 0x46, 0x2c].map((c) => handlePthi(st, req(c))).concat([handlePthi(st, req(0x67, 40))]);
};

for (const [name, decode] of decoders) {
  test(`fuzz: ${name} never throws and fails only with a typed error`, (t) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const r = decode(bytes);
        return r.ok || (CODES.has(r.error.code) && r.error.message.length > 0);
      }),
      { numRuns: 400 },
    );
    for (const whole of realReplies()) {
      for (const cut of [0, 1, 4, 12, 15, 16, 17, whole.length - 1]) {
        const r = decode(whole.subarray(16, Math.max(16, cut)));
        t.true(r.ok || CODES.has(r.error.code));
        const r2 = decode(whole.subarray(0, cut));
        t.true(r2.ok || CODES.has(r2.error.code));
      }
    }
  });
}

test('fuzz: GUID text <-> uuid_le round trip; anything else is null', (t) => {
  let checked = 0;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
      const text = uuidLeToGuid(b) as string;
      checked++;
      return Buffer.from(guidToUuidLe(text) as Uint8Array).equals(Buffer.from(b));
    }),
  );
  fc.assert(fc.property(fc.string(), (s) => guidToUuidLe(s) === null || /^[0-9a-fA-F-]{36}$/.test(s)));
  t.true(checked >= 100);
});

test('fuzz: SKU feature decoding takes any firmware strings', (t) => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (v, sku) => {
      const r = decodeAmtFeatures(v, sku);
      return r.ok ? typeof r.features === 'string' : r.reason.length > 0;
    }),
  );
  fc.assert(fc.property(fc.integer({ min: 5, max: 99 }), fc.nat(), (major, sku) => decodeAmtFeatures(`${major}.0.1`, String(sku)).ok));
  t.deepEqual(decodeAmtFeatures('16.1.25', '16392'), { ok: true, features: 'AMT Pro Corporate' });
});
