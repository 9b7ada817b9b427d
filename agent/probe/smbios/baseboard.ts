// Type 2, Baseboard (or Module) Information (DMTF DSP0134 7.3).

import { ok, type Result } from '../errors.ts';
import { boardType } from './enums.ts';
import { tooShort, type StructureView } from './structure.ts';
import type { BaseboardInfo } from './types.ts';

export function decodeBaseboard(v: StructureView): Result<BaseboardInfo> {
  if (v.length < 0x08) return tooShort(v, 0x08);
  return ok({
    handle: v.s.handle,
    manufacturer: v.str(0x04),
    productName: v.str(0x05),
    version: v.str(0x06),
    serialNumber: v.str(0x07),
    assetTag: v.length >= 0x09 ? v.str(0x08) : null,
    type: v.length >= 0x0e ? boardType(v.u8(0x0d)) : null,
  });
}
