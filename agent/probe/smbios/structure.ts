// One structure of the table as the walk found it, and the bounded reader the
// decoders use. Reads past the formatted area return 0 rather than throwing;
// each decoder checks the structure length first, as DSP0134 adds fields only
// at the end and older firmware writes shorter structures.

import { fail, type ParseError, type Result } from '../errors.ts';

export interface TableStructure {
  type: number;
  handle: number;
  /** Formatted-area length from the header (byte 1). */
  length: number;
  /** Byte offset of the structure in the table. */
  offset: number;
  /** The formatted area, header included (`length` bytes). */
  data: Uint8Array;
  /** The string set, raw (latin1); string N of the spec is strings[N - 1]. */
  strings: readonly string[];
}

export const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');

/** Where a problem sits, for error messages: "type 1 handle 0x0100 at offset 24". */
export const where = (s: { type: number; handle: number; offset: number }): string =>
  `type ${s.type} handle 0x${hex4(s.handle)} at offset ${s.offset}`;

export class StructureView {
  /** Problems found while decoding that did not stop the decoder (bad string references). */
  readonly issues: ParseError[] = [];
  constructor(
    readonly s: TableStructure,
    /** SMBIOS version as (major << 8) | minor, as dmidecode compares it. */
    readonly version: number,
  ) {}

  get length(): number {
    return this.s.length;
  }

  u8(off: number): number {
    return off < this.s.length ? (this.s.data[off] ?? 0) : 0;
  }

  u16(off: number): number {
    return this.u8(off) | (this.u8(off + 1) << 8);
  }

  u32(off: number): number {
    return (this.u16(off) | (this.u16(off + 2) << 16)) >>> 0;
  }

  u64(off: number): bigint {
    return (BigInt(this.u32(off + 4)) << 32n) | BigInt(this.u32(off));
  }

  bytes(off: number, n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.u8(off + i));
    return out;
  }

  /**
   * The string the byte at `off` refers to. 0 means "not specified" (null). A
   * reference past the end of the set is what dmidecode prints as "<BAD INDEX>":
   * here it is null plus a MALFORMED issue, so no consumer mistakes the marker
   * for firmware data. Bytes outside printable ASCII become '.', as dmidecode
   * shows them, so strings compare equal with its output.
   */
  str(off: number): string | null {
    const index = this.u8(off);
    return this.stringAt(index, off);
  }

  stringAt(index: number, off: number): string | null {
    if (index === 0) return null;
    const raw = this.s.strings[index - 1];
    if (raw === undefined) {
      this.issues.push({
        code: 'MALFORMED',
        message: `${where(this.s)}: byte 0x${off.toString(16).padStart(2, '0')} refers to string ${index}, the set has ${this.s.strings.length}`,
        offset: this.s.offset + off,
      });
      return null;
    }
    return printable(raw);
  }
}

export function printable(raw: string): string {
  return raw.replace(/[^\x20-\x7e]/g, '.');
}

export const hexBytes = (b: readonly number[], sep = ''): string =>
  b.map((x) => x.toString(16).padStart(2, '0')).join(sep);

/** The failure for a structure shorter than the fields its type always has. */
export function tooShort(v: StructureView, min: number): Result<never> {
  return fail('MALFORMED', `${where(v.s)}: ${v.length} bytes, type ${v.s.type} needs at least ${min}`, v.s.offset + 1);
}
