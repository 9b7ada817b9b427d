// Type 38, IPMI Device Information (DMTF DSP0134 7.39; IPMI 2.0 appendix C1).

import { ok, type Result } from '../errors.ts';
import { tooShort, type StructureView } from './structure.ts';
import type { IpmiDeviceInfo } from './types.ts';

const INTERFACES: readonly IpmiDeviceInfo['interfaceType'][] = ['unknown', 'KCS', 'SMIC', 'BT', 'SSIF'];
const SSIF = 0x04;
// IPMI 2.0 table C1-1: byte 0x10 bits 7:6; 3 is reserved.
const SPACING: readonly (number | null)[] = [1, 4, 16, null];

export function decodeIpmi(v: StructureView): Result<IpmiDeviceInfo> {
  if (v.length < 0x10) return tooShort(v, 0x10);
  const code = v.u8(0x04);
  const interfaceType = INTERFACES[code] ?? 'unknown';
  const rev = v.u8(0x05);
  const nv = v.u8(0x07);
  // Byte 0x10: bits 7:6 register spacing, bit 4 LS bit of the base address,
  // bit 3 interrupt info specified, bit 1 polarity (1 = active high), bit 0
  // trigger (1 = level). Absent before SMBIOS 2.3's 0x12-byte layout.
  const modifier = v.length >= 0x11 ? v.u8(0x10) : 0;
  const full = v.length >= 0x12;
  const systemInterface = code !== SSIF && interfaceType !== 'unknown';

  let baseAddress: string;
  let addressSpace: IpmiDeviceInfo['addressSpace'];
  if (code === SSIF) {
    // For SSIF the base address is the BMC's SMBus slave address, in 8-bit form.
    baseAddress = `0x${(v.u8(0x08) >> 1).toString(16)}`;
    addressSpace = 'smbus';
  } else {
    // Bit 0 of the 64-bit address says I/O space (1) or memory (0); the real
    // least significant bit is bit 4 of byte 0x10.
    const raw = v.u64(0x08);
    addressSpace = raw & 1n ? 'io' : 'memory';
    baseAddress = `0x${((raw & ~1n) | BigInt((modifier >> 4) & 1)).toString(16)}`;
  }

  const irq = full ? v.u8(0x11) : 0;
  return ok({
    handle: v.s.handle,
    interfaceType,
    specVersion: `${rev >> 4}.${rev & 0x0f}`,
    i2cSlaveAddress: `0x${(v.u8(0x06) >> 1).toString(16).padStart(2, '0')}`,
    nvStorageDeviceAddress: nv === 0xff ? null : nv,
    baseAddress,
    addressSpace,
    registerSpacing: full && systemInterface ? (SPACING[modifier >> 6] ?? null) : null,
    interrupt:
      full && systemInterface && modifier & 0x08
        ? { number: irq || null, polarity: modifier & 0x02 ? 'active high' : 'active low', trigger: modifier & 0x01 ? 'level' : 'edge' }
        : null,
    interruptNumber: irq || null,
  });
}
