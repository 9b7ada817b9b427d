// SMBIOS entry points (DMTF DSP0134 5.2): the 2.1 32-bit `_SM_` structure with
// its `_DMI_` intermediate anchor, and the 3.0 64-bit `_SM3_` structure. The
// kernel copies the one it found to /sys/firmware/dmi/tables/smbios_entry_point.

import { fail, ok, type Result } from '../errors.ts';
import type { SmbiosEntryPoint } from './types.ts';

const latin1 = (b: Uint8Array, from: number, to: number): string => String.fromCharCode(...b.subarray(from, to));

function checksumOk(b: Uint8Array, from: number, to: number): boolean {
  let sum = 0;
  for (let i = from; i < to; i++) sum = (sum + (b[i] ?? 0)) & 0xff;
  return sum === 0;
}

const u16 = (b: Uint8Array, o: number): number => (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
const u32 = (b: Uint8Array, o: number): number => (u16(b, o) | (u16(b, o + 2) << 16)) >>> 0;

export function parseEntryPoint(bytes: Uint8Array): Result<SmbiosEntryPoint> {
  if (bytes.length >= 5 && latin1(bytes, 0, 5) === '_SM3_') return parse3(bytes);
  if (bytes.length >= 4 && latin1(bytes, 0, 4) === '_SM_') return parse2(bytes);
  return fail('MALFORMED', `no _SM_ or _SM3_ anchor in ${bytes.length} bytes`, 0);
}

// 2.1 entry point (DSP0134 5.2.1): 0x1F bytes. Some 2.1 firmware writes 0x1E in
// the length byte although the structure is 0x1F long (dmidecode accepts it), so
// both are accepted and the checksum always covers 0x1F bytes.
function parse2(b: Uint8Array): Result<SmbiosEntryPoint> {
  const declared = b[0x05] ?? 0;
  if (declared !== 0x1f && declared !== 0x1e) return fail('MALFORMED', `_SM_ entry point length byte is 0x${declared.toString(16)}, expected 0x1f`, 0x05);
  if (b.length < 0x1f) return fail('TRUNCATED', `_SM_ entry point is ${b.length} bytes, expected 31`, b.length);
  if (!checksumOk(b, 0, 0x1f)) return fail('MALFORMED', '_SM_ entry point checksum does not add up to 0', 0x04);
  if (latin1(b, 0x10, 0x15) !== '_DMI_') return fail('MALFORMED', 'no _DMI_ intermediate anchor at offset 0x10', 0x10);
  if (!checksumOk(b, 0x10, 0x1f)) return fail('MALFORMED', '_DMI_ intermediate checksum does not add up to 0', 0x15);
  return ok({
    anchor: '_SM_',
    version: `${b[0x06] ?? 0}.${b[0x07] ?? 0}`,
    tableAddress: `0x${u32(b, 0x18).toString(16)}`,
    tableLength: u16(b, 0x16),
    structureCount: u16(b, 0x1c),
  });
}

// 3.0 entry point (DSP0134 5.2.2): 0x18 bytes, no structure count; the table
// length is a maximum, the walk ends at End-of-Table (type 127).
function parse3(b: Uint8Array): Result<SmbiosEntryPoint> {
  const declared = b[0x06] ?? 0;
  if (b.length < 0x18) return fail('TRUNCATED', `_SM3_ entry point is ${b.length} bytes, expected 24`, b.length);
  if (declared < 0x18) return fail('MALFORMED', `_SM3_ entry point length byte is 0x${declared.toString(16)}, expected 0x18`, 0x06);
  if (b.length < declared) return fail('TRUNCATED', `_SM3_ entry point is ${b.length} bytes, its length byte says ${declared}`, b.length);
  if (!checksumOk(b, 0, declared)) return fail('MALFORMED', '_SM3_ entry point checksum does not add up to 0', 0x05);
  const address = (BigInt(u32(b, 0x14)) << 32n) | BigInt(u32(b, 0x10));
  return ok({
    anchor: '_SM3_',
    version: `${b[0x07] ?? 0}.${b[0x08] ?? 0}.${b[0x09] ?? 0}`,
    tableAddress: `0x${address.toString(16)}`,
    tableLength: u32(b, 0x0c),
    structureCount: null,
  });
}

/** (major << 8) | minor, the form dmidecode compares versions in (0x0302 = 3.2). */
export function versionCode(ep: SmbiosEntryPoint): number {
  const [major = 0, minor = 0] = ep.version.split('.').map((x) => Number.parseInt(x, 10) & 0xff);
  return (major << 8) | minor;
}
