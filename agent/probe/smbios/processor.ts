// Type 4, Processor Information (DMTF DSP0134 7.5).

import { ok, type Result } from '../errors.ts';
import { processorStatus, processorType } from './enums.ts';
import { processorFamily } from './processor-family.ts';
import { tooShort, type StructureView } from './structure.ts';
import type { ProcessorInfo } from './types.ts';

export function decodeProcessor(v: StructureView): Result<ProcessorInfo> {
  if (v.length < 0x1a) return tooShort(v, 0x1a);
  const manufacturer = v.str(0x07);
  const familyCode = v.u8(0x06) === 0xfe && v.length >= 0x2a ? v.u16(0x28) : v.u8(0x06);
  const statusByte = v.u8(0x18);
  const speed = (off: number): number | null => v.u16(off) || null;
  return ok({
    handle: v.s.handle,
    socketDesignation: v.str(0x04),
    type: processorType(v.u8(0x05)),
    family: processorFamily(familyCode, manufacturer, v.version),
    manufacturer,
    id: v
      .bytes(0x08, 8)
      .map((b) => b.toString(16).toUpperCase().padStart(2, '0'))
      .join(' '),
    version: v.str(0x10),
    maxSpeedMHz: speed(0x14),
    currentSpeedMHz: speed(0x16),
    // Bit 6: socket populated; bits 2:0: CPU status.
    status: statusByte & 0x40 ? `Populated, ${processorStatus(statusByte & 0x07)}` : 'Unpopulated',
    // 0 means unknown; 0xFF defers to the 16-bit count that SMBIOS 3.0 added.
    coreCount: v.length >= 0x28 ? count(v, 0x23, 0x2a, 0x2c) : null,
    threadCount: v.length >= 0x28 ? count(v, 0x25, 0x2e, 0x30) : null,
  });
}

function count(v: StructureView, byteOff: number, wordOff: number, needs: number): number | null {
  const b = v.u8(byteOff);
  if (b === 0) return null;
  return b === 0xff && v.length >= needs ? v.u16(wordOff) : b;
}
