// Type 3, System Enclosure or Chassis (DMTF DSP0134 7.4).

import { ok, type Result } from '../errors.ts';
import { chassisSecurity, chassisState, chassisType } from './enums.ts';
import { tooShort, type StructureView } from './structure.ts';
import type { ChassisInfo } from './types.ts';

export function decodeChassis(v: StructureView): Result<ChassisInfo> {
  if (v.length < 0x09) return tooShort(v, 0x09);
  const typeByte = v.u8(0x05);
  const states = v.length >= 0x0d;
  return ok({
    handle: v.s.handle,
    manufacturer: v.str(0x04),
    type: chassisType(typeByte & 0x7f),
    lock: typeByte & 0x80 ? 'Present' : 'Not Present',
    version: v.str(0x06),
    serialNumber: v.str(0x07),
    assetTag: v.str(0x08),
    bootUpState: states ? chassisState(v.u8(0x09)) : null,
    powerSupplyState: states ? chassisState(v.u8(0x0a)) : null,
    thermalState: states ? chassisState(v.u8(0x0b)) : null,
    securityStatus: states ? chassisSecurity(v.u8(0x0c)) : null,
  });
}
