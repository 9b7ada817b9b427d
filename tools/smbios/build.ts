// Builds SMBIOS blobs the way firmware lays them out (DMTF DSP0134 sections 5.2
// and 6.1): an entry point and a structure table, as the kernel exposes them in
// /sys/firmware/dmi/tables/{smbios_entry_point,DMI}, and the dump file that
// `dmidecode --dump-bin` writes and `dmidecode --from-dump` reads. Fixtures and
// tests use it; the agent itself never builds SMBIOS.

export interface RawStructure {
  type: number;
  handle: number;
  /** The formatted area after the 4-byte header (type, length, handle). */
  formatted: Uint8Array | readonly number[];
  /** String set; numbering starts at 1 as in the spec. */
  strings?: readonly string[];
}

/** One structure: header, formatted area, strings, and the double NUL that ends the set. */
export function structureBytes(s: RawStructure): Buffer {
  const formatted = Buffer.from(s.formatted as Uint8Array);
  const length = 4 + formatted.length;
  if (length > 255) throw new RangeError(`type ${s.type}: formatted area of ${length} bytes does not fit the length byte`);
  const head = Buffer.alloc(4);
  head.writeUInt8(s.type, 0);
  head.writeUInt8(length, 1);
  head.writeUInt16LE(s.handle, 2);
  const strs = s.strings ?? [];
  // An empty string set is two NULs; otherwise each string ends in NUL and one more NUL ends the set.
  const tail = strs.length === 0 ? Buffer.alloc(2) : Buffer.concat([...strs.map((x) => Buffer.from(`${x}\0`, 'latin1')), Buffer.alloc(1)]);
  return Buffer.concat([head, formatted, tail]);
}

/** The structure table; appends End-of-Table (type 127) unless the list ends with one. */
export function buildTable(structs: readonly RawStructure[]): Buffer {
  const all = [...structs];
  if (all.at(-1)?.type !== 127) {
    const maxHandle = all.reduce((m, s) => Math.max(m, s.handle), 0);
    all.push({ type: 127, handle: Math.min(0xfeff, maxHandle + 1), formatted: [] });
  }
  return Buffer.concat(all.map(structureBytes));
}

function fixChecksum(buf: Buffer, at: number, from: number, to: number): void {
  buf[at] = 0;
  let sum = 0;
  for (let i = from; i < to; i++) sum = (sum + (buf[i] as number)) & 0xff;
  buf[at] = (0x100 - sum) & 0xff;
}

function maxStructureSize(table: Buffer): number {
  let max = 0;
  let off = 0;
  while (off + 4 <= table.length) {
    const len = table[off + 1] as number;
    let end = off + len;
    while (end + 1 < table.length && !(table[end] === 0 && table[end + 1] === 0)) end++;
    max = Math.max(max, end + 2 - off);
    if (table[off] === 127) break;
    off = end + 2;
  }
  return max;
}

function countStructures(table: Buffer): number {
  let n = 0;
  let off = 0;
  while (off + 4 <= table.length) {
    n++;
    if (table[off] === 127) break;
    let end = off + (table[off + 1] as number);
    while (end + 1 < table.length && !(table[end] === 0 && table[end + 1] === 0)) end++;
    off = end + 2;
  }
  return n;
}

/** 31-byte `_SM_` entry point (SMBIOS 2.1 to 2.8). */
export function entryPoint2(table: Buffer, opts: { major?: number; minor?: number; address?: number } = {}): Buffer {
  const major = opts.major ?? 2;
  const minor = opts.minor ?? 8;
  const ep = Buffer.alloc(0x1f);
  ep.write('_SM_', 0, 'latin1');
  ep.writeUInt8(0x1f, 0x05);
  ep.writeUInt8(major, 0x06);
  ep.writeUInt8(minor, 0x07);
  ep.writeUInt16LE(maxStructureSize(table), 0x08);
  ep.write('_DMI_', 0x10, 'latin1');
  ep.writeUInt16LE(table.length, 0x16);
  ep.writeUInt32LE(opts.address ?? 0x000f0000, 0x18);
  ep.writeUInt16LE(countStructures(table), 0x1c);
  ep.writeUInt8(((major & 0xf) << 4) | (minor & 0xf), 0x1e);
  fixChecksum(ep, 0x15, 0x10, 0x1f);
  fixChecksum(ep, 0x04, 0x00, 0x1f);
  return ep;
}

/** 24-byte `_SM3_` entry point (SMBIOS 3.x). */
export function entryPoint3(table: Buffer, opts: { major?: number; minor?: number; docrev?: number; address?: bigint } = {}): Buffer {
  const ep = Buffer.alloc(0x18);
  ep.write('_SM3_', 0, 'latin1');
  ep.writeUInt8(0x18, 0x06);
  ep.writeUInt8(opts.major ?? 3, 0x07);
  ep.writeUInt8(opts.minor ?? 3, 0x08);
  ep.writeUInt8(opts.docrev ?? 0, 0x09);
  ep.writeUInt8(0x01, 0x0a);
  ep.writeUInt32LE(table.length, 0x0c);
  ep.writeBigUInt64LE(opts.address ?? 0x7fb5c000n, 0x10);
  fixChecksum(ep, 0x05, 0x00, 0x18);
  return ep;
}

/**
 * The file `dmidecode --dump-bin` writes: the entry point at offset 0 with its
 * table address rewritten to 32, the table at offset 32, checksums kept valid.
 */
export function dmiDump(entryPoint: Uint8Array, table: Uint8Array): Buffer {
  const ep = Buffer.from(entryPoint);
  if (ep.toString('latin1', 0, 5) === '_SM3_') {
    ep.writeBigUInt64LE(32n, 0x10);
    fixChecksum(ep, 0x05, 0x00, ep[0x06] as number);
  } else if (ep.toString('latin1', 0, 4) === '_SM_') {
    ep.writeUInt32LE(32, 0x18);
    fixChecksum(ep, 0x15, 0x10, 0x1f);
    fixChecksum(ep, 0x04, 0x00, ep[0x05] as number);
  } else {
    throw new Error('dmiDump: not an SMBIOS entry point');
  }
  const out = Buffer.alloc(32 + table.length);
  ep.copy(out, 0);
  Buffer.from(table).copy(out, 32);
  return out;
}
