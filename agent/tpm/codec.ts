// Big-endian marshalling for TPM 2.0 structures. The Reader throws only its own DecodeFault,
// which `decode` turns into a typed result, so no parser built on it can throw to its caller.

import { terr, tok, type TpmErrorCode, type TpmResult } from './types.ts';

class DecodeFault {
  constructor(readonly code: TpmErrorCode, readonly message: string, readonly offset: number) {}
}

export class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer, private readonly end = buf.length) {}

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.end - this.pos;
  }

  fail(code: TpmErrorCode, message: string): never {
    throw new DecodeFault(code, message, this.pos);
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) this.fail('TRUNCATED', `${what}: need ${n} bytes, ${this.end - this.pos} left`);
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf.readUInt8(this.pos++);
  }
  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(what = 'u64'): bigint {
    this.need(8, what);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }
  /** TPM2B_*: a u16 size then that many bytes; `max` is the structure's own limit. */
  tpm2b(what: string, max = 0xffff): Buffer {
    const n = this.u16(`${what} size`);
    if (n > max) this.fail('MALFORMED', `${what}: size ${n} exceeds ${max}`);
    return this.bytes(n, what);
  }
  /** A nested reader over the next n bytes, for sized sub-structures. */
  sub(n: number, what: string): Reader {
    this.need(n, what);
    const r = new Reader(this.buf.subarray(0, this.pos + n), this.pos + n);
    r.pos = this.pos;
    this.pos += n;
    return r;
  }
  done(what: string): void {
    if (this.pos !== this.end) this.fail('MALFORMED', `${what}: ${this.end - this.pos} trailing bytes`);
  }
}

/** Runs a parser over bytes; any decode fault becomes a typed failure. */
export function decode<T>(bytes: Uint8Array, parse: (r: Reader) => T): TpmResult<T> {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return tok(parse(new Reader(buf)));
  } catch (e) {
    if (e instanceof DecodeFault) return terr(e.code, e.message, { offset: e.offset });
    throw e;
  }
}

export class Writer {
  private parts: Buffer[] = [];
  u8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(v);
    return this.push(b);
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return this.push(b);
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return this.push(b);
  }
  bytes(v: Uint8Array): this {
    return this.push(Buffer.from(v));
  }
  tpm2b(v: Uint8Array): this {
    return this.u16(v.length).bytes(v);
  }
  private push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}
