// The structure table walk (DMTF DSP0134 6.1): each structure is a 4-byte
// header (type, formatted length, handle), the rest of the formatted area, and
// a string set ended by a double NUL. Firmware gets this wrong in every way the
// walk checks for; a bad structure ends the walk with an issue and keeps every
// structure before it.

import { fail, ok, type ParseError, type Result } from '../errors.ts';
import { hex4, type TableStructure } from './structure.ts';
import type { SmbiosEntryPoint } from './types.ts';

export interface SmbiosTable {
  /** Complete structures, in table order. */
  structures: TableStructure[];
  /** The header of a structure whose body runs off the table (dmidecode still lists it). */
  truncated: { type: number; handle: number; length: number } | null;
  issues: ParseError[];
}

const END_OF_TABLE = 127;

export function walkTable(bytes: Uint8Array, ep: SmbiosEntryPoint): Result<SmbiosTable> {
  if (bytes.length === 0) return fail('TRUNCATED', 'the structure table is empty', 0);
  const issues: ParseError[] = [];
  const structures: TableStructure[] = [];
  let truncated: SmbiosTable['truncated'] = null;

  // 2.x: the entry point gives the exact length; 3.x: a maximum, and the kernel
  // may hand over fewer bytes (it trims the table to End-of-Table).
  let end = bytes.length;
  if (ep.tableLength < end) end = ep.tableLength;
  if (ep.anchor === '_SM_' && bytes.length < ep.tableLength) {
    issues.push({ code: 'TRUNCATED', message: `the table has ${bytes.length} bytes, the entry point says ${ep.tableLength}`, offset: bytes.length });
  }
  const count = ep.structureCount;

  let off = 0;
  let sawEnd = false;
  while (off + 4 <= end && (count === null || structures.length < count)) {
    const type = bytes[off] ?? 0;
    const length = bytes[off + 1] ?? 0;
    const handle = (bytes[off + 2] ?? 0) | ((bytes[off + 3] ?? 0) << 8);
    const at = `type ${type} handle 0x${hex4(handle)} at offset ${off}`;
    if (length < 4) {
      issues.push({ code: 'MALFORMED', message: `${at}: formatted length ${length} is shorter than the 4-byte header; walk stopped`, offset: off + 1 });
      return ok({ structures, truncated, issues });
    }
    if (off + length > end) {
      issues.push({ code: 'TRUNCATED', message: `${at}: formatted area of ${length} bytes runs past the table end (${end}); walk stopped`, offset: off });
      truncated = { type, handle, length };
      return ok({ structures, truncated, issues });
    }
    let term = off + length;
    while (term + 1 < end && !(bytes[term] === 0 && bytes[term + 1] === 0)) term++;
    if (term + 1 >= end) {
      issues.push({ code: 'TRUNCATED', message: `${at}: string set has no double-NUL terminator before the table end (${end}); walk stopped`, offset: off + length });
      truncated = { type, handle, length };
      return ok({ structures, truncated, issues });
    }
    const area = bytes.subarray(off + length, term);
    // A set that starts with NUL has no reachable strings (dmidecode reads it so).
    const strings = area.length === 0 || area[0] === 0 ? [] : Buffer.from(area).toString('latin1').split('\0');
    structures.push({ type, handle, length, offset: off, data: Uint8Array.from(bytes.subarray(off, off + length)), strings });
    off = term + 2;
    if (type === END_OF_TABLE) {
      sawEnd = true;
      break;
    }
  }

  if (count !== null && structures.length < count && !sawEnd) {
    issues.push({ code: 'TRUNCATED', message: `the table ends after ${structures.length} of the ${count} structures the entry point announces`, offset: off });
  } else if (!sawEnd && count === null) {
    issues.push({ code: 'TRUNCATED', message: `no End-of-Table (type 127) structure in the ${end} bytes walked`, offset: off });
  }
  return ok({ structures, truncated, issues });
}
