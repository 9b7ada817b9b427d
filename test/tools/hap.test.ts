// tools/hap on synthetic flash images built byte by byte: the descriptor
// signature at 0x10 (and 0x0), FLMAP0..2, the PCH straps at FPSBA; HAP
// (PCHSTRP0 bit 16) and AltMeDisable (PCHSTRP10 bit 7) read, set in a copy and
// verified; the parser fuzzed with arbitrary and truncated bytes.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import fc from 'fast-check';
import { disableBit, parseDescriptor, SIGNATURE, withBitSet } from '../../tools/hap/descriptor.ts';
import { main } from '../../tools/hap/main.ts';

interface Layout {
  sigAt?: 0 | 0x10;
  fpsba?: number;
  isl?: number;
  iccriba?: number;
  fmsba?: number;
  mdtba?: number;
  straps?: Record<number, number>;
  size?: number;
}

/** An image with only what the parser reads: signature, FLMAP0..2, FLUMAP1, the straps. */
function image(l: Layout = {}): Buffer {
  const b = Buffer.alloc(l.size ?? 0x1000, 0xff);
  const at = l.sigAt ?? 0x10;
  const fpsba = l.fpsba ?? 0x100;
  const isl = l.isl ?? 0x12;
  b.writeUInt32LE(SIGNATURE, at);
  b.writeUInt32LE(0x00040003, at + 4); // FLMAP0: FCBA 0x30, NC 0, FRBA 0x40, NR
  b.writeUInt32LE(((isl & 0xff) << 24) | ((fpsba >> 4) << 16) | (((l.fmsba ?? 0x60) >> 4) & 0xff), at + 8); // FLMAP1: ISL, FPSBA, FMSBA
  b.writeUInt32LE(((l.iccriba ?? 0x31) & 0xff) << 16, at + 12); // FLMAP2: ICCRIBA
  if (b.length >= 0xf00) b.writeUInt32LE(((l.mdtba ?? 0) & 0xff) << 24, 0xefc); // FLUMAP1: MDTBA
  for (let i = 0; i < isl && fpsba + 4 * i + 4 <= b.length; i++) b.writeUInt32LE(l.straps?.[i] ?? 0, fpsba + 4 * i);
  return b;
}

test('ME 11+ layout: HAP read from PCHSTRP0 bit 16 at FPSBA', (t) => {
  const r = parseDescriptor(image({ straps: { 0: 1 << 16 } }));
  if (!r.ok) return t.fail(r.error.message);
  t.is(r.value.signatureAt, 0x10);
  t.is(r.value.fpsba, 0x100);
  t.is(r.value.isl, 0x12);
  t.is(r.value.generation.guess, 'me11+');
  t.deepEqual(r.value.hap, { offset: 0x100, bit: 16, set: true });
  t.deepEqual(r.value.altMeDisable, { offset: 0x128, bit: 7, set: false });
});

test('FPSBA is (FLMAP1 >> 12) & 0xFF0', (t) => {
  const r = parseDescriptor(image({ fpsba: 0x2a0, straps: {} }));
  t.true(r.ok && r.value.fpsba === 0x2a0 && r.value.hap?.offset === 0x2a0);
});

test('generation guesses: ICH (signature at 0 or few straps), ME 6-10, ME 11+ by MIP base', (t) => {
  const g = (l: Layout) => {
    const r = parseDescriptor(image(l));
    return r.ok ? r.value.generation.guess : r.error.code;
  };
  t.is(g({ sigAt: 0, isl: 2 }), 'ich');
  t.is(g({ iccriba: 0, isl: 8 }), 'ich');
  t.is(g({ iccriba: 0, isl: 16 }), 'me-legacy');
  t.is(g({ iccriba: 0x21, fmsba: 0x20, isl: 18 }), 'me-legacy');
  t.is(g({ iccriba: 0x31, fmsba: 0x60 }), 'me11+');
  t.is(g({ iccriba: 0x21, fmsba: 0x20, mdtba: 0x40 }), 'me11+');
});

test('ME 6-10: AltMeDisable is PCHSTRP10 bit 7; set in a copy, the original untouched', (t) => {
  const img = image({ iccriba: 0x21, fmsba: 0x20, isl: 18 });
  const r = parseDescriptor(img);
  if (!r.ok) return t.fail();
  const b = disableBit(r.value, 'me-legacy');
  if (!b.ok) return t.fail(b.error.message);
  t.deepEqual(b.value, { offset: 0x128, bit: 7, set: false });
  const out = withBitSet(img, b.value);
  t.is(img[0x128], 0, 'the input is not changed');
  t.is(out[0x128], 0x80);
  const again = parseDescriptor(out);
  t.true(again.ok && again.value.altMeDisable?.set === true && again.value.hap?.set === false);
});

test('typed errors: no signature, truncated map, straps past the end, ICH has no strap', (t) => {
  const none = parseDescriptor(Buffer.alloc(0x1000));
  t.is(!none.ok && none.error.code, 'NO_SIGNATURE');
  const tiny = parseDescriptor(image().subarray(0, 0x18));
  t.is(!tiny.ok && tiny.error.code, 'TRUNCATED');
  const past = parseDescriptor(image({ fpsba: 0xff0, size: 0xf00 }));
  t.is(!past.ok && past.error.code, 'TRUNCATED');
  const ich = parseDescriptor(image({ sigAt: 0, isl: 2 }));
  if (!ich.ok) return t.fail();
  const b = disableBit(ich.value, 'ich');
  t.is(!b.ok && b.error.code, 'UNSUPPORTED');
  const few = parseDescriptor(image({ isl: 4 }));
  t.true(few.ok && few.value.altMeDisable === null);
});

test('fuzz: arbitrary and truncated bytes give a result or a typed error, never a throw', (t) => {
  const codes = new Set(['TRUNCATED', 'NO_SIGNATURE', 'MALFORMED', 'UNSUPPORTED']);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 0x1200 }), (bytes) => {
      const r = parseDescriptor(bytes);
      return r.ok ? r.value.hap === null || r.value.hap.offset + 4 <= bytes.length : codes.has(r.error.code);
    }),
    { numRuns: 2000 },
  );
  const good = image({ straps: { 0: 1 << 16, 10: 0x80 } });
  fc.assert(
    fc.property(fc.nat(good.length), fc.array(fc.tuple(fc.nat(0x1ff), fc.nat(255)), { maxLength: 8 }), (cut, pokes) => {
      const b = Buffer.from(good.subarray(0, cut));
      for (const [at, v] of pokes) if (at < b.length) b[at] = v;
      const r = parseDescriptor(b);
      return r.ok ? (r.value.hap === null || r.value.hap.offset + 4 <= b.length) && (r.value.altMeDisable === null || r.value.altMeDisable.offset + 4 <= b.length) : codes.has(r.error.code);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

function cli(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

test('check | set --out: a verified copy with one bit changed; never in place', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'flash.bin');
  const img = image();
  writeFileSync(src, img);
  t.is(cli(['check', src]).code, 1);
  t.regex(cli(['check', src]).out, /HAP, PCHSTRP0 bit 16 \(ME 11\+\) \(0x100 bit 16\): clear/);
  t.is(cli(['set', src]).code, 2, '--out is required');
  t.is(cli(['set', src, '--out', src]).code, 2, 'never in place');
  const dst = join(dir, 'flash-hap.bin');
  const r = cli(['set', src, '--out', dst]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /HAP at 0x100 bit 16 set; verified \(1 byte differs/);
  t.deepEqual(readFileSync(src), img, 'the input image is unchanged');
  const out = readFileSync(dst);
  t.is(out[0x102], 0x01);
  t.is(Buffer.compare(out.subarray(0x103), img.subarray(0x103)), 0);
  const checked = cli(['check', dst, '--json']);
  t.is(checked.code, 0);
  t.like(JSON.parse(checked.out), { disabled: true, checked: 'me11+', hap: { offset: 0x100, bit: 16, set: true } });
  const legacy = cli(['set', src, '--out', join(dir, 'alt.bin'), '--gen', 'me-legacy']);
  t.is(legacy.code, 0, legacy.err);
  t.is(readFileSync(join(dir, 'alt.bin'))[0x128], 0x80);
  t.is(cli(['check', join(dir, 'nope.bin')]).code, 2);
  writeFileSync(join(dir, 'zero.bin'), Buffer.alloc(4096));
  t.regex(cli(['check', join(dir, 'zero.bin')]).err, /NO_SIGNATURE/);
  t.is(cli(['check', src, '--bogus']).code, 2);
});

test('runs as a program: node --import tsx tools/hap/main.ts check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'flash.bin');
  writeFileSync(src, image({ straps: { 0: 1 << 16 } }));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'tools/hap/main.ts', 'check', src], { cwd: join(import.meta.dirname, '..', '..') });
  t.regex(stdout, /ME disable strap for me11\+: SET/);
});
