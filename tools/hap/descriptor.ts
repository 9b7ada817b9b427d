// The Intel SPI flash descriptor, as far as the ME kill switches need it
// (shared/reference/amt-me.md section 3 "HAP / AltMeDisable"; facts from
// me_cleaner's notes and flashrom's descriptor rules, no code from either):
//
// - the signature 0x0FF0A55A (bytes 5A A5 F0 0F) at 0x10, or at 0x0 in the
//   oldest layouts; FLMAP0..2 are the three dwords after it;
// - FPSBA, the PCH straps' base, = (FLMAP1 >> 12) & 0xFF0; ISL, how many
//   strap dwords there are, = FLMAP1 bits 31:24;
// - ME 11 and later: HAP is PCHSTRP0 bit 16 (at FPSBA); ME 6-10:
//   AltMeDisable is PCHSTRP10 bit 7 (at FPSBA + 0x28).
//
// Nothing in a descriptor names its generation; it is guessed from where the
// descriptor puts its sections (flashrom's approach): ICCRIBA (FLMAP2 bits
// 23:16) zero means ICH8-10 or Ibex Peak by the strap length; otherwise no
// MIP base (FLUMAP1 bits 31:24, at 0xEFC) with ICCRIBA < 0x31 and FMSBA <
// 0x30 means Cougar to Lynx Point (ME 7-10); anything else is Sunrise Point or
// later (ME 11+). A guess, so `set` takes --gen to overrule it.
//
// Pure: bytes in, a result or a typed error out; never throws, never reads
// past the end.

export const SIGNATURE = 0x0ff0a55a;
const FLUMAP1_AT = 0xefc;

export type Generation = 'ich' | 'me-legacy' | 'me11+';

export interface Bit {
  /** Byte offset of the strap dword in the image. */
  offset: number;
  bit: number;
  set: boolean;
}

export interface Descriptor {
  signatureAt: 0 | 0x10;
  flmap: [number, number, number];
  fpsba: number;
  /** PCH strap dwords. */
  isl: number;
  generation: { guess: Generation; basis: string };
  /** PCHSTRP0 bit 16; null when the straps are not in the image. */
  hap: Bit | null;
  /** PCHSTRP10 bit 7; null when the descriptor has fewer than 11 straps. */
  altMeDisable: Bit | null;
}

export type HapErrorCode = 'TRUNCATED' | 'NO_SIGNATURE' | 'MALFORMED' | 'UNSUPPORTED';
export interface HapError {
  code: HapErrorCode;
  message: string;
}
export type HapResult<T> = { ok: true; value: T } | { ok: false; error: HapError };
const fail = (code: HapErrorCode, message: string): HapResult<never> => ({ ok: false, error: { code, message } });

const u32 = (b: Uint8Array, at: number): number | null => (at >= 0 && at + 4 <= b.length ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0 : null);

function guess(flmap: [number, number, number], isl: number, flumap1: number | null, at: number): Descriptor['generation'] {
  const iccriba = (flmap[2] >>> 16) & 0xff;
  const fmsba = (flmap[1] & 0xff) << 4;
  if (at === 0) return { guess: 'ich', basis: 'signature at 0x0: the oldest layout (ICH8 era), no ME disable strap' };
  if (iccriba === 0) {
    if (isl <= 10) return { guess: 'ich', basis: `ICCRIBA 0 and ${isl} PCH straps: ICH8-10, no ME disable strap` };
    return { guess: 'me-legacy', basis: `ICCRIBA 0 and ${isl} PCH straps: Ibex Peak class (ME 6)` };
  }
  const mdtba = flumap1 === null ? 0 : (flumap1 >>> 24) & 0xff;
  if (mdtba === 0 && iccriba < 0x31 && fmsba < 0x30) return { guess: 'me-legacy', basis: `ICCRIBA 0x${iccriba.toString(16)}, FMSBA 0x${fmsba.toString(16)}, no MIP base: Cougar to Lynx Point class (ME 7-10)` };
  return { guess: 'me11+', basis: `ICCRIBA 0x${iccriba.toString(16)}, FMSBA 0x${fmsba.toString(16)}, MIP base 0x${mdtba.toString(16)}: Sunrise Point or later (ME 11+)` };
}

export function parseDescriptor(img: Uint8Array): HapResult<Descriptor> {
  if (img.length < 0x20) return fail('TRUNCATED', `${img.length} bytes: too short for a flash descriptor`);
  const at = u32(img, 0x10) === SIGNATURE ? 0x10 : u32(img, 0) === SIGNATURE ? 0 : null;
  if (at === null) return fail('NO_SIGNATURE', 'no descriptor signature 0x0FF0A55A at 0x10 or 0x0 (not a full flash image, or a descriptor-less one)');
  const flmap = [u32(img, at + 4), u32(img, at + 8), u32(img, at + 12)];
  if (flmap.some((v) => v === null)) return fail('TRUNCATED', 'the image ends inside FLMAP0..2');
  const fl = flmap as [number, number, number];
  const fpsba = (fl[1] >>> 12) & 0xff0;
  const isl = (fl[1] >>> 24) & 0xff;
  if (fpsba === 0) return fail('MALFORMED', `FLMAP1 0x${fl[1].toString(16)} puts the PCH straps at 0, on top of the signature`);
  const strap = (n: number, bit: number): Bit | null => {
    if (n >= isl) return null;
    const v = u32(img, fpsba + 4 * n);
    return v === null ? null : { offset: fpsba + 4 * n, bit, set: ((v >>> bit) & 1) === 1 };
  };
  if (isl > 0 && u32(img, fpsba) === null) return fail('TRUNCATED', `the PCH straps at 0x${fpsba.toString(16)} lie past the image's end (${img.length} bytes)`);
  return {
    ok: true,
    value: { signatureAt: at, flmap: fl, fpsba, isl, generation: guess(fl, isl, u32(img, FLUMAP1_AT), at), hap: strap(0, 16), altMeDisable: strap(10, 7) },
  };
}

/** The disable bit for a generation: HAP for ME 11+, AltMeDisable before; none for the ICH era. */
export function disableBit(d: Descriptor, gen: Generation): HapResult<Bit> {
  if (gen === 'ich') return fail('UNSUPPORTED', 'this descriptor generation has no ME disable strap');
  const b = gen === 'me11+' ? d.hap : d.altMeDisable;
  if (!b) return fail('MALFORMED', `${gen === 'me11+' ? 'PCHSTRP0' : 'PCHSTRP10'} is not among the descriptor's ${d.isl} PCH straps`);
  return { ok: true, value: b };
}

/** A copy of the image with the bit set; the original is untouched. */
export function withBitSet(img: Uint8Array, b: Bit): Uint8Array {
  const out = Uint8Array.from(img);
  const byte = b.offset + (b.bit >> 3);
  out[byte] = (out[byte] ?? 0) | (1 << (b.bit & 7));
  return out;
}
