// Deterministic CBOR (RFC 8949 section 4.2.1: shortest argument forms, definite
// lengths, map keys sorted by their encoded bytes) for the subset identity
// records use: safe integers, text, bytes, booleans, null, arrays, maps, tags.
//
// The encoder is ours because cbor-x does not produce this encoding: it keeps
// map keys in insertion order and writes integers above 2^32 as float64
// (test/identity/cbor.test.ts pins both). Decoding goes through cbor-x, and a
// decoded value is accepted only if re-encoding it gives back the exact input
// bytes, so every alternative encoding of the same value (long-form lengths,
// indefinite lengths, floats, unsorted or duplicate keys, tags cbor-x
// interprets) is rejected and a signature covers one byte string per value.

import { Decoder, Tag } from 'cbor-x';
import { err, okv, type IdResult } from './errors.ts';

export class Tagged {
  constructor(
    readonly tag: number,
    readonly value: Cbor,
  ) {}
}

export type CborKey = string | number;
export type Cbor = number | string | boolean | null | Uint8Array | readonly Cbor[] | ReadonlyMap<CborKey, Cbor> | Tagged;

/** Nesting deeper than any record needs; bounds recursion on hostile input. */
const MAX_DEPTH = 16;

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  head(major: number, n: number): void {
    const m = major << 5;
    if (n < 24) this.push(Uint8Array.of(m | n));
    else if (n < 0x100) this.push(Uint8Array.of(m | 24, n));
    else if (n < 0x10000) this.push(Uint8Array.of(m | 25, n >> 8, n & 0xff));
    else if (n < 0x100000000) {
      const b = new Uint8Array(5);
      b[0] = m | 26;
      new DataView(b.buffer).setUint32(1, n);
      this.push(b);
    } else {
      const b = new Uint8Array(9);
      b[0] = m | 27;
      new DataView(b.buffer).setBigUint64(1, BigInt(n));
      this.push(b);
    }
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function write(w: Writer, v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new TypeError('cbor: nested too deeply');
  if (v === null) w.push(Uint8Array.of(0xf6));
  else if (v === false) w.push(Uint8Array.of(0xf4));
  else if (v === true) w.push(Uint8Array.of(0xf5));
  else if (typeof v === 'number') {
    // Object.is: -0 would come back as 0 and break the byte-for-byte rule.
    if (!Number.isSafeInteger(v) || Object.is(v, -0)) throw new TypeError(`cbor: ${v} is not a safe integer`);
    if (v >= 0) w.head(0, v);
    else w.head(1, -1 - v);
  } else if (typeof v === 'string') {
    const b = utf8.encode(v);
    w.head(3, b.length);
    w.push(b);
  } else if (v instanceof Uint8Array) {
    w.head(2, v.length);
    w.push(v);
  } else if (Array.isArray(v)) {
    w.head(4, v.length);
    for (const x of v) write(w, x, depth + 1);
  } else if (v instanceof Map) {
    const entries = [...v.entries()].map(([k, x]) => {
      if (typeof k !== 'string' && typeof k !== 'number') throw new TypeError('cbor: map keys are text or integers');
      return [encodeAt(k, depth + 1), x] as const;
    });
    entries.sort((a, b) => compareBytes(a[0], b[0]));
    w.head(5, entries.length);
    // A JS Map cannot hold two keys with one encoding, so sorted keys are also unique.
    for (const [k, x] of entries) {
      w.push(k);
      write(w, x, depth + 1);
    }
  } else if (v instanceof Tagged) {
    if (!Number.isSafeInteger(v.tag) || v.tag < 0) throw new TypeError('cbor: bad tag');
    w.head(6, v.tag);
    write(w, v.value, depth + 1);
  } else {
    throw new TypeError(`cbor: cannot encode ${Object.prototype.toString.call(v)}`);
  }
}

function encodeAt(v: unknown, depth: number): Uint8Array {
  const w = new Writer();
  write(w, v, depth);
  return w.bytes();
}

/** Throws TypeError only for values outside the Cbor type (a programming error, never peer input). */
export function encodeCbor(v: Cbor): Uint8Array {
  return encodeAt(v, 0);
}

// mapsAsObjects false: maps come back as Map, so integer keys stay integers
// and "__proto__" stays data. useRecords false: no cbor-x record extension.
const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });

/** Converts cbor-x's Tag to ours so callers see one type; map keys are converted too. */
function normalize(v: unknown, depth: number): Cbor {
  if (depth > MAX_DEPTH) throw new TypeError('cbor: nested too deeply');
  if (v instanceof Tag) return new Tagged(v.tag, normalize(v.value, depth + 1));
  if (Array.isArray(v)) return v.map((x) => normalize(x, depth + 1));
  if (v instanceof Map) return new Map([...v.entries()].map(([k, x]) => [normalize(k, depth + 1) as CborKey, normalize(x, depth + 1)]));
  if (v instanceof Uint8Array) return new Uint8Array(v);
  // cbor-x returns every 8-byte argument as a bigint; within the safe range it is an ordinary integer.
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return v as Cbor;
}

export const MAX_CBOR = 64 * 1024;

/** Decodes one deterministic CBOR item that must span all of `bytes`. */
export function decodeCbor(bytes: Uint8Array, max = MAX_CBOR): IdResult<Cbor> {
  if (bytes.length > max) return err('TOO_LARGE', `${bytes.length} bytes, limit ${max}`);
  if (bytes.length === 0) return err('MALFORMED', 'empty input');
  let value: Cbor;
  try {
    value = normalize(decoder.decode(bytes), 0);
  } catch (e) {
    return err('MALFORMED', `not CBOR: ${e instanceof Error ? e.message : String(e)}`);
  }
  let again: Uint8Array;
  try {
    again = encodeCbor(value);
  } catch (e) {
    return err('NOT_CANONICAL', e instanceof Error ? e.message : String(e));
  }
  if (compareBytes(again, bytes) !== 0) return err('NOT_CANONICAL', 'not the deterministic encoding of its value (or trailing bytes)');
  return okv(value);
}

/** Typed field access for decoded maps: each returns undefined when absent or of another type. */
export const field = {
  text: (m: ReadonlyMap<CborKey, Cbor>, k: CborKey): string | undefined => {
    const v = m.get(k);
    return typeof v === 'string' ? v : undefined;
  },
  uint: (m: ReadonlyMap<CborKey, Cbor>, k: CborKey): number | undefined => {
    const v = m.get(k);
    return typeof v === 'number' && v >= 0 ? v : undefined;
  },
  int: (m: ReadonlyMap<CborKey, Cbor>, k: CborKey): number | undefined => {
    const v = m.get(k);
    return typeof v === 'number' ? v : undefined;
  },
  bytes: (m: ReadonlyMap<CborKey, Cbor>, k: CborKey): Uint8Array | undefined => {
    const v = m.get(k);
    return v instanceof Uint8Array ? v : undefined;
  },
  bool: (m: ReadonlyMap<CborKey, Cbor>, k: CborKey): boolean | undefined => {
    const v = m.get(k);
    return typeof v === 'boolean' ? v : undefined;
  },
  map: (m: ReadonlyMap<CborKey, Cbor>, k: CborKey): ReadonlyMap<CborKey, Cbor> | undefined => {
    const v = m.get(k);
    return v instanceof Map ? v : undefined;
  },
  array: (m: ReadonlyMap<CborKey, Cbor>, k: CborKey): readonly Cbor[] | undefined => {
    const v = m.get(k);
    return Array.isArray(v) ? v : undefined;
  },
};

export const isMap = (v: Cbor | undefined): v is ReadonlyMap<CborKey, Cbor> => v instanceof Map;
