// Little-endian reading and writing for the ME's host interfaces (PTHI, MKHI and
// the watchdog client are all little-endian). The reader throws only its own
// fault, which `decodeLe` turns into a typed PROTOCOL result, so no decoder built
// on it can throw to its caller or read past the end.

import { merr, mok, type MeiResult } from './types.ts';

class LeFault {
  constructor(readonly message: string) {}
}

export class LeReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array, private readonly end = buf.length) {}

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.end - this.pos;
  }
  fail(message: string): never {
    throw new LeFault(message);
  }
  private need(n: number, what: string): void {
    if (n < 0 || this.end - this.pos < n) this.fail(`${what}: need ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = (this.buf[this.pos] as number) | ((this.buf[this.pos + 1] as number) << 8);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16)) + (b[p + 3] as number) * 0x1000000;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
}

/** Runs a decoder; any fault (and only a fault) becomes PROTOCOL with the decoder's name. */
export function decodeLe<T>(bytes: Uint8Array, what: string, parse: (r: LeReader) => T): MeiResult<T> {
  try {
    return mok(parse(new LeReader(bytes)));
  } catch (e) {
    if (e instanceof LeFault) return merr('PROTOCOL', `${what}: ${e.message}`);
    throw e;
  }
}

/** Bytes up to the first NUL, as Latin-1-safe UTF-8 text (firmware strings are ASCII). */
export function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return Buffer.from(nul === -1 ? bytes : bytes.subarray(0, nul)).toString('utf8');
}

export class LeWriter {
  private readonly parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    this.parts.push(v & 0xff, (v >>> 8) & 0xff);
    return this;
  }
  u32(v: number): this {
    this.parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    return this;
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  /** `b` copied into a field of exactly n bytes, zero-padded or cut. */
  fixed(b: Uint8Array, n: number): this {
    for (let i = 0; i < n; i++) this.parts.push(b[i] ?? 0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
