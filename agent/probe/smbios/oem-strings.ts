// Type 11, OEM Strings (DMTF DSP0134 7.12): a count at 0x04, then strings 1..n.

import { ok, type Result } from '../errors.ts';
import { tooShort, type StructureView } from './structure.ts';

export function decodeOemStrings(v: StructureView): Result<string[]> {
  if (v.length < 0x05) return tooShort(v, 0x05);
  const out: string[] = [];
  for (let i = 1; i <= v.u8(0x04); i++) {
    const s = v.stringAt(i, 0x04);
    if (s !== null) out.push(s);
  }
  return ok(out);
}
