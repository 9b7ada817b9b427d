// Intel OEM types 130 (`$AMT`) and 131 (vPro verification). dmidecode does not
// decode them; layouts are from ../shared/reference/amt-me.md section 4 (Intel
// ME SMBIOS driver headers SMBIOS_TABLE_TYPE130/131 and MeshCentral's
// agents/modules_meshcore/smbios.js amtInfo()). Offsets are from the structure start.

import { ok, type Result } from '../errors.ts';
import { hexBytes, tooShort, type StructureView } from './structure.ts';
import type { AmtSmbios, VproSmbios } from './types.ts';

const sig = (v: StructureView, at: number, text: string): boolean => String.fromCharCode(...v.bytes(at, 4)) === text;
const raw = (v: StructureView): string => hexBytes(v.bytes(4, v.length - 4));

// 0x04 "$AMT", then one byte each: 0x08 AMT supported, 0x09 AMT enabled, 0x0A
// storage redirection (IDER/SRoU), 0x0B SOL, 0x0C network, 0x0D extended data,
// 0x0E-0x11 OEM capabilities 1-4, 0x12 KVM, 0x13 reserved.
export function decodeAmt(v: StructureView): Result<AmtSmbios> {
  if (v.length < 0x13) return tooShort(v, 0x13);
  const flag = (off: number): boolean => v.u8(off) !== 0;
  return ok({
    handle: v.s.handle,
    signatureOk: sig(v, 0x04, '$AMT'),
    supported: flag(0x08),
    enabled: flag(0x09),
    iderEnabled: flag(0x0a),
    solEnabled: flag(0x0b),
    networkEnabled: flag(0x0c),
    kvmEnabled: flag(0x12),
    raw: raw(v),
  });
}

// 0x04 u32 CPU capabilities (bit 2 TXT supported, 3 TXT enabled, 4 VT-x
// supported, 5 VT-x enabled); 0x08 MEBx version as four u16 (major, minor,
// hotfix, build); ME capabilities block at 0x18 with the ME firmware version
// minor u16 @0x1C, major @0x1E, build @0x20, hotfix @0x22; "vPro" at 0x38.
export function decodeVpro(v: StructureView): Result<VproSmbios> {
  if (v.length < 0x08) return tooShort(v, 0x08);
  const cpu = v.u32(0x04);
  const version = (need: number, parts: number[]): string | null =>
    v.length >= need ? parts.map((off) => String(v.u16(off))).join('.') : null;
  return ok({
    handle: v.s.handle,
    signatureOk: v.length >= 0x3c && sig(v, 0x38, 'vPro'),
    txtSupported: (cpu & 0x04) !== 0,
    txtEnabled: (cpu & 0x08) !== 0,
    vmxSupported: (cpu & 0x10) !== 0,
    vmxEnabled: (cpu & 0x20) !== 0,
    mebxVersion: version(0x10, [0x08, 0x0a, 0x0c, 0x0e]),
    meVersion: version(0x24, [0x1e, 0x1c, 0x22, 0x20]),
    raw: raw(v),
  });
}
