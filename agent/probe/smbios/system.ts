// Type 1, System Information (DMTF DSP0134 7.2).

import { ok, type Result } from '../errors.ts';
import { wakeUpType } from './enums.ts';
import { tooShort, type StructureView } from './structure.ts';
import type { SystemInfo } from './types.ts';

export function decodeSystem(v: StructureView): Result<SystemInfo> {
  if (v.length < 0x08) return tooShort(v, 0x08);
  const full = v.length >= 0x19;
  const late = v.length >= 0x1b;
  return ok({
    handle: v.s.handle,
    manufacturer: v.str(0x04),
    productName: v.str(0x05),
    version: v.str(0x06),
    serialNumber: v.str(0x07),
    uuid: full ? uuidText(v.bytes(0x08, 16), v.version) : null,
    wakeUpType: full ? wakeUpType(v.u8(0x18)) : null,
    skuNumber: late ? v.str(0x19) : null,
    family: late ? v.str(0x1a) : null,
  });
}

/**
 * DSP0134 7.2.1: all 0xFF means "not present", all 0x00 "present but not set"
 * (dmidecode prints "Not Present" / "Not Settable"); both are null here. Since
 * SMBIOS 2.6 the first three fields are little-endian; dmidecode keeps the
 * byte order as stored for older tables, and so does this.
 */
export function uuidText(p: readonly number[], version: number): string | null {
  if (p.every((b) => b === 0xff) || p.every((b) => b === 0x00)) return null;
  return uuidFormat(p, version);
}

/** The 16 bytes as UUID text, without the "not present" / "not set" sentinels. */
export function uuidFormat(p: readonly number[], version: number): string {
  const order = version >= 0x0206 ? [3, 2, 1, 0, 5, 4, 7, 6] : [0, 1, 2, 3, 4, 5, 6, 7];
  const h = [...order, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => (p[i] ?? 0).toString(16).padStart(2, '0'));
  return `${h.slice(0, 4).join('')}-${h.slice(4, 6).join('')}-${h.slice(6, 8).join('')}-${h.slice(8, 10).join('')}-${h.slice(10).join('')}`;
}
