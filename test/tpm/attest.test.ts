// TPMS_ATTEST / TPMT_SIGNATURE parsing and verifyQuote on quotes built here and signed with
// node:crypto keys, so every rejection reason is checked without a TPM.

import test from 'ava';
import fc from 'fast-check';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { Writer } from '../../agent/tpm/codec.ts';
import { parseQuoteAttest, parseSignature } from '../../agent/tpm/attest.ts';
import { writePcrSelection } from '../../agent/tpm/pcr-selection.ts';
import { verifyQuote } from '../../agent/tpm/quote.ts';

const NONCE = Buffer.from('a1b2c3d4', 'hex');

function attest(nonce: Buffer, opts: { magic?: number; type?: number } = {}): Buffer {
  const w = new Writer()
    .u32(opts.magic ?? 0xff544347)
    .u16(opts.type ?? 0x8018)
    .tpm2b(Buffer.from('000b' + '11'.repeat(32), 'hex'))
    .tpm2b(nonce)
    .u32(0)
    .u32(1234) // clock (u64: high then low)
    .u32(7)
    .u32(2)
    .u8(1)
    .u32(0x20191023)
    .u32(0x00163636);
  writePcrSelection(w, [{ hash: 'sha256', pcrs: [0, 7] }]);
  return w.tpm2b(Buffer.alloc(32, 0x5a)).finish();
}

function ecdsaSig(msg: Buffer, key: KeyObject): Buffer {
  const rs = sign('sha256', msg, { key, dsaEncoding: 'ieee-p1363' });
  return new Writer().u16(0x0018).u16(0x000b).tpm2b(rs.subarray(0, 32)).tpm2b(rs.subarray(32)).finish();
}

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k: KeyObject): string => k.export({ type: 'spki', format: 'pem' }).toString();

test('parseQuoteAttest decodes every field', (t) => {
  const r = parseQuoteAttest(attest(NONCE));
  t.true(r.ok);
  if (!r.ok) return;
  t.deepEqual(r.value.extraData, NONCE);
  t.deepEqual(r.value.clockInfo, { clock: 1234n, resetCount: 7, restartCount: 2, safe: true });
  t.is(r.value.firmwareVersion, 0x2019102300163636n);
  t.deepEqual(r.value.pcrSelect, [{ alg: 0x0b, hash: 'sha256', pcrs: [0, 7] }]);
  t.deepEqual(r.value.pcrDigest, Buffer.alloc(32, 0x5a));
});

test('verifyQuote accepts a good ECDSA quote and names each kind of rejection', (t) => {
  const msg = attest(NONCE);
  const sig = ecdsaSig(msg, ec.privateKey);
  const good = verifyQuote({ akPem: pem(ec.publicKey), msg, sig, nonce: NONCE });
  t.like(good, { ok: true, value: { pcrs: 'sha256:0,7', sigAlg: 'ecdsa-sha256' } });
  t.like(verifyQuote({ akPem: pem(ec.publicKey), msg, sig, nonce: Buffer.from('00', 'hex') }), { ok: false, error: { code: 'BAD_NONCE' } });
  t.like(verifyQuote({ akPem: pem(ec2.publicKey), msg, sig, nonce: NONCE }), { ok: false, error: { code: 'BAD_SIGNATURE' } });
  const flipped = Buffer.from(msg);
  flipped[20] = (flipped[20] as number) ^ 0x01;
  t.like(verifyQuote({ akPem: pem(ec.publicKey), msg: flipped, sig, nonce: NONCE }), { ok: false, error: { code: 'BAD_SIGNATURE' } });
  const notQuote = attest(NONCE, { type: 0x8017 }); // TPM_ST_ATTEST_CERTIFY
  t.like(verifyQuote({ akPem: pem(ec.publicKey), msg: notQuote, sig: ecdsaSig(notQuote, ec.privateKey), nonce: NONCE }), { ok: false, error: { code: 'NOT_A_QUOTE' } });
  const forged = attest(NONCE, { magic: 0x12345678 });
  t.like(verifyQuote({ akPem: pem(ec.publicKey), msg: forged, sig: ecdsaSig(forged, ec.privateKey), nonce: NONCE }), { ok: false, error: { code: 'NOT_A_QUOTE' } });
  t.like(verifyQuote({ akPem: 'not a key', msg, sig, nonce: NONCE }), { ok: false, error: { code: 'MALFORMED' } });
});

test('verifyQuote checks RSASSA and RSA-PSS signatures', (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const msg = attest(NONCE);
  const ss = new Writer().u16(0x0014).u16(0x000b).tpm2b(sign('sha256', msg, rsa.privateKey)).finish();
  t.like(verifyQuote({ akPem: pem(rsa.publicKey), msg, sig: ss, nonce: NONCE }), { ok: true, value: { sigAlg: 'rsassa-sha256' } });
  const pss = new Writer().u16(0x0016).u16(0x000b).tpm2b(sign('sha256', msg, { key: rsa.privateKey, padding: 6, saltLength: 32 })).finish();
  t.like(verifyQuote({ akPem: pem(rsa.publicKey), msg, sig: pss, nonce: NONCE }), { ok: true, value: { sigAlg: 'rsapss-sha256' } });
  t.like(verifyQuote({ akPem: pem(ec.publicKey), msg, sig: ss, nonce: NONCE }), { ok: false, error: { code: 'BAD_SIGNATURE' } });
});

test('signature parser: unsupported algorithm, truncation, trailing bytes', (t) => {
  t.like(parseSignature(Buffer.from('00140004', 'hex')), { ok: false, error: { code: 'TRUNCATED' } });
  t.like(parseSignature(Buffer.from('001a000b', 'hex')), { ok: false, error: { code: 'UNSUPPORTED' } });
  t.like(parseSignature(Buffer.from('0014000b0001ff00', 'hex')), { ok: false, error: { code: 'MALFORMED' } });
  t.deepEqual(parseSignature(Buffer.from('0014000b0001ff', 'hex')), { ok: true, value: { alg: 'rsassa', hash: 0x0b, sig: Buffer.from('ff', 'hex') } });
});

test('fuzz: arbitrary and mutated attestations and signatures never throw', (t) => {
  const msg = attest(NONCE);
  const sig = ecdsaSig(msg, ec.privateKey);
  const akPem = pem(ec.publicKey);
  const mutate = (b: Buffer) =>
    fc.tuple(fc.nat({ max: b.length }), fc.nat({ max: b.length }), fc.uint8Array({ maxLength: 8 })).map(([cut, at, ins]) => {
      const head = b.subarray(0, Math.min(at, cut));
      return Buffer.concat([head, Buffer.from(ins), b.subarray(Math.min(at, cut), cut)]);
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)), mutate(msg)), fc.oneof(fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)), mutate(sig)), (m, s) => {
      const a = parseQuoteAttest(m);
      const p = parseSignature(s);
      const v = verifyQuote({ akPem, msg: m, sig: s, nonce: NONCE });
      // A valid verdict only for the untouched quote.
      if (v.ok && !(m.equals(msg) && s.equals(sig))) return false;
      return typeof a.ok === 'boolean' && typeof p.ok === 'boolean' && (v.ok || v.error.message.length > 0);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
