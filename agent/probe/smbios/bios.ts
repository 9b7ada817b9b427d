// Type 0, BIOS Information (DMTF DSP0134 7.1).

import { ok, type Result } from '../errors.ts';
import { OUT_OF_SPEC } from './enums.ts';
import { tooShort, type StructureView } from './structure.ts';
import type { BiosInfo } from './types.ts';

export function decodeBios(v: StructureView): Result<BiosInfo> {
  if (v.length < 0x12) return tooShort(v, 0x12);
  const revision = (a: number, b: number): string | null => {
    if (v.length < 0x18) return null;
    const major = v.u8(a);
    const minor = v.u8(b);
    // dmidecode prints the pair only when neither byte is the 0xFF "not supported" marker.
    return major !== 0xff && minor !== 0xff ? `${major}.${minor}` : null;
  };
  return ok({
    handle: v.s.handle,
    vendor: v.str(0x04),
    version: v.str(0x05),
    releaseDate: v.str(0x08),
    biosRevision: revision(0x14, 0x15),
    firmwareRevision: revision(0x16, 0x17),
    romSize: romSize(v.u8(0x09), v.length < 0x1a ? 16 : v.u16(0x18)),
  });
}

// Byte 0x09 is 64 kB * (n + 1); 0xFF defers to the 3.1 Extended BIOS ROM Size
// word at 0x18 (bits 13:0 size, bits 15:14 unit: 0 MB, 1 GB).
function romSize(code: number, extended: number): string {
  if (code !== 0xff) return memorySize((code + 1) << 6, 1);
  const unit = ['MB', 'GB'][extended >> 14] ?? OUT_OF_SPEC;
  return `${extended & 0x3fff} ${unit}`;
}

/**
 * A size the way dmidecode prints it: the largest non-zero power-of-1024 unit,
 * or the next smaller one when that one is non-zero too ("1536 kB", not "1 MB").
 * `shift` is 1 when `n` counts kilobytes.
 */
export function memorySize(n: number, shift: 0 | 1): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB'];
  const split: number[] = [];
  let rest = BigInt(n);
  for (let i = 0; i < 7; i++) {
    split.push(Number(rest & 0x3ffn));
    rest >>= 10n;
  }
  let i = 6;
  while (i > 0 && split[i] === 0) i--;
  let capacity = split[i] ?? 0;
  if (i > 0 && split[i - 1] !== 0) {
    i--;
    capacity = (split[i] ?? 0) + ((split[i + 1] ?? 0) << 10);
  }
  return `${capacity} ${units[i + shift]}`;
}
