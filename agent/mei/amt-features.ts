// What an AMT SKU number means, as `rpc amtinfo` prints it (rpc-go
// pkg/utils/helper.go decodeAMTFeaturesV5Plus; amt-me.md 1c): for AMT 5 and
// later, bit 0x08 AMT Pro, 0x10 Intel Standard Manageability, 0x2000 AT-p,
// 0x4000 Corporate, plus legacy bits that only meant something on old majors.
// Decoding for AMT 1-4 (a different bit table) is not carried: no such machine
// runs a kernel with /dev/mei.

const BITS: readonly { bit: number; name: string; belowMajor?: number }[] = [
  { bit: 0x02, name: 'iQST', belowMajor: 7 },
  { bit: 0x04, name: 'ASF', belowMajor: 6 },
  { bit: 0x08, name: 'AMT Pro' },
  { bit: 0x10, name: 'Intel Standard Manageability' },
  { bit: 0x20, name: 'TPM', belowMajor: 6 },
  { bit: 0x100, name: 'Home IT', belowMajor: 6 },
  { bit: 0x400, name: 'WOX', belowMajor: 6 },
  { bit: 0x2000, name: 'AT-p' },
  { bit: 0x4000, name: 'Corporate' },
  { bit: 0x8000, name: 'L3 Mgt Upgrade', belowMajor: 8 },
];

export type FeaturesResult = { ok: true; features: string } | { ok: false; reason: string };

/** `amtVersion` as GetCodeVersions gives it ("16.1.25"), `sku` its decimal "Sku" string. */
export function decodeAmtFeatures(amtVersion: string, sku: string): FeaturesResult {
  const major = /^(\d+)\.\d+/.exec(amtVersion)?.[1];
  if (major === undefined) return { ok: false, reason: `AMT version '${amtVersion}' is not MAJOR.MINOR...` };
  if (!/^\d+$/.test(sku)) return { ok: false, reason: `SKU '${sku}' is not a decimal number` };
  const m = Number(major);
  if (m < 5) return { ok: false, reason: `SKU decoding for AMT ${m} (before 5) is not supported` };
  const n = Number(sku);
  const names = BITS.filter((b) => (n & b.bit) !== 0 && (b.belowMajor === undefined || m < b.belowMajor)).map((b) => b.name);
  return { ok: true, features: names.join(' ') };
}
