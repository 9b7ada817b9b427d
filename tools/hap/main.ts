// Offline helper for the maintainer: checks, or sets in a COPY, the ME's
// disable strap in a flash image's descriptor (HAP for ME 11+, AltMeDisable
// for ME 6-10), for flashing with an external programmer. The agent cannot do
// this itself: the descriptor is write-protected from the host on a locked
// machine, and a bad flash bricks it, so a human flashes the verified copy.
//
//   node --import tsx tools/hap/main.ts check IMAGE [--json]
//   node --import tsx tools/hap/main.ts set IMAGE --out FILE [--gen me11+|me-legacy] [--json]
//
// check: exit 0 when the strap for the guessed generation is set, 1 when not.
// set: writes FILE (never IMAGE), re-reads it and verifies that exactly that
// one bit differs. Exit 2 for usage errors and images that do not parse.

import { readFileSync, realpathSync, existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeAtomic } from '../../agent/state/atomic.ts';
import { disableBit, parseDescriptor, withBitSet, type Descriptor, type Generation } from './descriptor.ts';

const USAGE = 'usage: tools/hap/main.ts check IMAGE [--json] | set IMAGE --out FILE [--gen me11+|me-legacy] [--json]';
const MAX_IMAGE = 64 * 1024 * 1024;

interface Out {
  out(s: string): void;
  err(s: string): void;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

function describe(path: string, d: Descriptor): string {
  const bit = (name: string, b: Descriptor['hap']) => (b ? `${name} (${hex(b.offset)} bit ${b.bit}): ${b.set ? 'SET' : 'clear'}` : `${name}: not in this descriptor`);
  return [
    `${path}: flash descriptor at ${hex(d.signatureAt)}, FLMAP0..2 ${d.flmap.map(hex).join(' ')}, PCH straps at ${hex(d.fpsba)} (${d.isl})`,
    `generation (guess): ${d.generation.guess}: ${d.generation.basis}`,
    bit('HAP, PCHSTRP0 bit 16 (ME 11+)', d.hap),
    bit('AltMeDisable, PCHSTRP10 bit 7 (ME 6-10)', d.altMeDisable),
  ].join('\n');
}

function read(path: string, io: Out): Uint8Array | null {
  try {
    const b = readFileSync(path);
    if (b.length > MAX_IMAGE) {
      io.err(`${path}: larger than ${MAX_IMAGE} bytes, not a flash image\n`);
      return null;
    }
    return new Uint8Array(b);
  } catch (e) {
    io.err(`${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return null;
  }
}

function flag(argv: string[], name: string): string | true | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return undefined;
  const v = argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}

export function main(argv: string[], io: Out): number {
  const [cmd, image] = argv;
  const json = argv.includes('--json');
  let unknown: string | undefined;
  for (let i = 2; i < argv.length && unknown === undefined; i++) {
    const a = argv[i] as string;
    if (a === '--out' || a === '--gen') i++;
    else if (a !== '--json') unknown = a;
  }
  if ((cmd !== 'check' && cmd !== 'set') || !image || image.startsWith('--') || unknown) {
    io.err(`${unknown ? `unexpected ${unknown}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const img = read(image, io);
  if (!img) return 2;
  const p = parseDescriptor(img);
  if (!p.ok) {
    io.err(`${image}: ${p.error.code}: ${p.error.message}\n`);
    return 2;
  }
  const d = p.value;
  const genFlag = flag(argv, 'gen');
  if (genFlag !== undefined && genFlag !== 'me11+' && genFlag !== 'me-legacy') {
    io.err(`--gen takes me11+ or me-legacy\n${USAGE}\n`);
    return 2;
  }
  const gen: Generation = genFlag ?? d.generation.guess;
  const bit = disableBit(d, gen);

  if (cmd === 'check') {
    const disabled = bit.ok && bit.value.set;
    if (json) io.out(`${JSON.stringify({ image, ...d, checked: gen, disabled })}\n`);
    else io.out(`${describe(image, d)}\nME disable strap for ${gen}: ${bit.ok ? (bit.value.set ? 'SET: the ME is disabled when this image is flashed' : 'clear') : bit.error.message}\n`);
    return disabled ? 0 : 1;
  }

  const out = flag(argv, 'out');
  if (typeof out !== 'string') {
    io.err(`set: --out FILE is required (the image is never changed in place)\n${USAGE}\n`);
    return 2;
  }
  if (resolve(out) === resolve(image) || (existsSync(out) && realpathSync(out) === realpathSync(image))) {
    io.err('set: --out must not be the input image (the image is never changed in place)\n');
    return 2;
  }
  if (!bit.ok) {
    io.err(`set: ${bit.error.message}\n`);
    return 1;
  }
  const changed = withBitSet(img, bit.value);
  try {
    writeAtomic(dirname(resolve(out)), basename(out), changed, 0o644);
  } catch (e) {
    io.err(`set: write ${out}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return 1;
  }
  // What was written, read back: the bit set, and no other byte changed.
  const back = read(out, io);
  const again = back ? parseDescriptor(back) : null;
  const now = again?.ok ? disableBit(again.value, gen) : null;
  const diff = back ? back.reduce((n, v, i) => n + (v !== img[i] ? 1 : 0), back.length === img.length ? 0 : 1) : -1;
  const wasSet = bit.value.set;
  if (!back || !now?.ok || !now.value.set || diff !== (wasSet ? 0 : 1)) {
    io.err(`set: verification of ${out} FAILED (bit ${now?.ok && now.value.set ? 'set' : 'not set'}, ${diff} bytes differ); do not flash it\n`);
    return 1;
  }
  const msg = `${out}: ${gen === 'me11+' ? 'HAP' : 'AltMeDisable'} at ${hex(bit.value.offset)} bit ${bit.value.bit} ${wasSet ? 'was already set' : 'set'}; verified (${diff} byte differs from ${image})`;
  if (json) io.out(`${JSON.stringify({ image, out, generation: gen, offset: bit.value.offset, bit: bit.value.bit, alreadySet: wasSet, verified: true })}\n`);
  else io.out(`${msg}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
}
