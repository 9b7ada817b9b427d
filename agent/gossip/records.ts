// Anti-entropy of signed records (the vault's sealed credentials, later
// anything a node must publish to the whole cluster) riding on push-pull.
// Records are opaque here: a blob named by its author node and an id, ordered
// by a seq the author raises; the verify callback the daemon injects decides
// whether bytes are genuine and what key and seq they carry, so this file
// never learns the record format.
//
// Why push-pull only and no piggybacking on datagrams: a record is hundreds of
// bytes (a sealed box, a signature, a certificate), a datagram holds 1,400, so
// a record would crowd membership updates out of the packets (memberlist#299:
// user broadcasts starving system ones), and nobody needs a record quickly:
// it is read when a member is being healed, minutes after it was written. A
// new local record instead starts push-pulls with a few peers at once, and
// the periodic push-pull with a random peer spreads it further in O(log N)
// rounds, repairing whatever a partition or a restart missed.
//
// The exchange (inside the member push-pull frames of pushpull.ts):
//   hello   carries the hash of the (node, id, seq, digest) list
//   digest  carries that list when the hashes differ
//   push    carries the records the server lacks or holds older, and the keys the client wants
//   records carries the wanted records
// Each side bounds what one exchange carries (records and bytes); the rest
// travels next time, as the hashes still differ.

import { createHash } from 'node:crypto';
import { gerr, gok, type GossipError, type GossipResult } from './types.ts';
import { cborEncode, shape } from './wire.ts';

export interface RecordKey {
  node: string;
  id: string;
}

export interface RecordDigest extends RecordKey {
  seq: number;
  /** First 16 bytes of SHA-256 of the record: tells two records of one seq apart. */
  digest: Uint8Array;
}

export interface RecordBlob extends RecordKey {
  seq: number;
  bytes: Uint8Array;
}

/** What the verify callback found in a genuine record: the key and seq its signed content names. */
export interface RecordClaim extends RecordKey {
  seq: number;
}

/** Checks a record's signature and content; the daemon binds it to the vault's verifier, tests to their own blobs. */
export type VerifyRecord = (bytes: Uint8Array, now: number) => GossipResult<RecordClaim>;

export interface RecordLimits {
  /** One record's bytes. */
  maxRecordBytes: number;
  /** Records held per author node: one member cannot fill the book. */
  maxPerNode: number;
  /** Records held in all. */
  maxRecords: number;
  /** Bytes of records held in all. */
  maxTotalBytes: number;
  /** Records one exchange carries each way. */
  maxPerExchange: number;
  /** Bytes of records one exchange carries each way. */
  maxBytesPerExchange: number;
}

/**
 * A vault record is about a kilobyte; a node holds a few (AMT admin, BMC user,
 * a channel reference or two). 32 per node leaves room, 65,536 records and
 * 32 MiB cover ten thousand nodes; an exchange of 64 records and 512 KiB
 * stays far below a stream frame's 8 MiB.
 */
export const DEFAULT_RECORD_LIMITS: RecordLimits = {
  maxRecordBytes: 16 * 1024,
  maxPerNode: 32,
  maxRecords: 65_536,
  maxTotalBytes: 32 * 1024 * 1024,
  maxPerExchange: 64,
  maxBytesPerExchange: 512 * 1024,
};

/** What a gossip core needs to carry records: the daemon's verifier, and limits other than the defaults if any. */
export interface RecordOptions {
  verify: VerifyRecord;
  limits?: Partial<RecordLimits>;
}

const MAX_ID = 253;
const DIGEST_BYTES = 16;
/** A digest list or a want list longer than any book may hold is not one. */
const MAX_LIST = DEFAULT_RECORD_LIMITS.maxRecords;

export const recordDigest = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest().subarray(0, DIGEST_BYTES));

/** Length-prefixed, so no pair of (node, id) strings maps to another's key whatever characters they hold. */
const keyOf = (k: RecordKey): string => `${k.node.length}:${k.node}${k.id}`;

function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/**
 * Is `a` newer than `b` for the same key? A higher seq; at equal seq the
 * larger digest, so that if an author ever signed two records with one seq
 * every node still settles on the same one instead of trading them forever.
 */
export const newerRecord = (a: { seq: number; digest: Uint8Array }, b: { seq: number; digest: Uint8Array }): boolean =>
  a.seq > b.seq || (a.seq === b.seq && cmpBytes(a.digest, b.digest) > 0);

interface Held extends RecordBlob {
  digest: Uint8Array;
}

export type OfferOutcome = { kind: 'accepted'; replaced: boolean } | { kind: 'ignored' } | { kind: 'rejected'; error: GossipError };

const rejected = (code: GossipError['code'], message: string): OfferOutcome => ({ kind: 'rejected', error: { code, message } });

export class RecordBook {
  private readonly held = new Map<string, Held>();
  private readonly perNode = new Map<string, number>();
  private totalBytes = 0;
  private cachedHash: Uint8Array | null = null;
  /** Keys accepted from peers since the daemon last took them: a set, so it is bounded by the book. */
  private readonly fresh = new Set<string>();

  constructor(
    private readonly verify: VerifyRecord,
    private readonly limits: RecordLimits,
    /** The core's random source (rotate's offsets): the core draws from nothing of its own. */
    private readonly random: () => number,
  ) {}

  static from(opts: RecordOptions, random: () => number): RecordBook {
    return new RecordBook(opts.verify, { ...DEFAULT_RECORD_LIMITS, ...opts.limits }, random);
  }

  get size(): number {
    return this.held.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get(node: string, id: string): RecordBlob | undefined {
    const h = this.held.get(keyOf({ node, id }));
    return h ? { node: h.node, id: h.id, seq: h.seq, bytes: h.bytes } : undefined;
  }

  digest(): RecordDigest[] {
    const out: RecordDigest[] = [];
    for (const h of this.held.values()) out.push({ node: h.node, id: h.id, seq: h.seq, digest: h.digest });
    return out;
  }

  /** Hash of the sorted digest list: two books that agree exchange only this. */
  hash(): Uint8Array {
    if (this.cachedHash) return this.cachedHash;
    const keys = [...this.held.keys()].sort();
    const h = createHash('sha256');
    for (const k of keys) {
      const r = this.held.get(k) as Held;
      h.update(cborEncode([r.node, r.id, r.seq, r.digest]));
    }
    this.cachedHash = new Uint8Array(h.digest().subarray(0, DIGEST_BYTES));
    return this.cachedHash;
  }

  /**
   * A record of this node's own store (its own, or one it received before a
   * restart): verified like any other, but not held to membership, since the
   * member table is empty at start.
   */
  publish(bytes: Uint8Array, now: number): GossipResult<RecordClaim & { accepted: boolean }> {
    const c = this.verify(bytes, now);
    if (!c.ok) return c;
    const o = this.offerVerified({ ...c.value, bytes }, c.value);
    if (o.kind === 'rejected') return { ok: false, error: o.error };
    return gok({ ...c.value, accepted: o.kind === 'accepted' });
  }

  /**
   * A record from a peer. Cheap checks first (already held, too large, author
   * not a verified member, over a limit), the signature last: a peer
   * repeating what this node holds costs a map lookup, not a verification.
   */
  offer(blob: RecordBlob, isMember: (node: string) => boolean, now: number): OfferOutcome {
    const digest = recordDigest(blob.bytes);
    const have = this.held.get(keyOf(blob));
    if (have && !newerRecord({ seq: blob.seq, digest }, have)) return { kind: 'ignored' };
    if (!isMember(blob.node)) return rejected('UNKNOWN_AUTHOR', `record ${blob.node}/${blob.id}: ${blob.node} is not a verified member here`);
    const room = this.room(blob, have);
    if (room) return room;
    const c = this.verify(blob.bytes, now);
    if (!c.ok) return { kind: 'rejected', error: c.error };
    const o = this.offerVerified(blob, c.value);
    if (o.kind === 'accepted') this.fresh.add(keyOf(blob));
    return o;
  }

  /**
   * What one frame from a peer brought, at most an exchange's worth: a peer
   * that sends more (it may send up to a frame's 8 MiB) is not obeying the
   * limit, and the excess is not worth a signature check. Returns the
   * refusals, for the caller's log.
   */
  offerAll(blobs: RecordBlob[], isMember: (node: string) => boolean, now: number): GossipError[] {
    const errors: GossipError[] = [];
    if (blobs.length > this.limits.maxPerExchange) errors.push({ code: 'TOO_LARGE', message: `${blobs.length} records in one exchange, limit ${this.limits.maxPerExchange}: the rest ignored` });
    for (const b of blobs.slice(0, this.limits.maxPerExchange)) {
      const o = this.offer(b, isMember, now);
      if (o.kind === 'rejected') errors.push(o.error);
    }
    return errors;
  }

  /** Records accepted from peers since the last call, for the daemon to store. */
  takeAccepted(): RecordBlob[] {
    const out: RecordBlob[] = [];
    for (const k of this.fresh) {
      const h = this.held.get(k);
      if (h) out.push({ node: h.node, id: h.id, seq: h.seq, bytes: h.bytes });
    }
    this.fresh.clear();
    return out;
  }

  /**
   * The client's half after the server's digest: what to push (held newer or
   * not held there) and what to ask for (held newer there, by an author this
   * node would accept). Both bounded; a random start spreads the bounded
   * exchanges over the whole difference instead of retrying the same head.
   */
  compare(theirs: RecordDigest[], isMember: (node: string) => boolean): { blobs: RecordBlob[]; wants: RecordKey[] } {
    const there = new Map<string, RecordDigest>();
    for (const t of theirs) there.set(keyOf(t), t);
    const push: Held[] = [];
    for (const [k, h] of this.held) {
      const t = there.get(k);
      if (!t || newerRecord(h, t)) push.push(h);
    }
    const wants: RecordKey[] = [];
    for (const [k, t] of there) {
      const h = this.held.get(k);
      if ((!h || newerRecord(t, h)) && isMember(t.node)) wants.push({ node: t.node, id: t.id });
    }
    return { blobs: this.bounded(rotate(push, this.random)), wants: rotate(wants, this.random).slice(0, this.limits.maxPerExchange) };
  }

  /** The server's answer to wants: the records held, bounded. */
  serve(wants: RecordKey[]): RecordBlob[] {
    const found: Held[] = [];
    for (const w of wants) {
      const h = this.held.get(keyOf(w));
      if (h) found.push(h);
    }
    return this.bounded(found);
  }

  private bounded(list: Held[]): RecordBlob[] {
    const out: RecordBlob[] = [];
    let bytes = 0;
    for (const h of list) {
      if (out.length >= this.limits.maxPerExchange) break;
      if (bytes + h.bytes.length > this.limits.maxBytesPerExchange) continue;
      bytes += h.bytes.length;
      out.push({ node: h.node, id: h.id, seq: h.seq, bytes: h.bytes });
    }
    return out;
  }

  /** Null when the record fits, else why not: per-node count, total count, total bytes. */
  private room(blob: RecordBlob, have: Held | undefined): OfferOutcome | null {
    if (blob.bytes.length > this.limits.maxRecordBytes) return rejected('TOO_LARGE', `record ${blob.node}/${blob.id} of ${blob.bytes.length} bytes, limit ${this.limits.maxRecordBytes}`);
    if (!have) {
      if ((this.perNode.get(blob.node) ?? 0) >= this.limits.maxPerNode) return rejected('REFUSED', `${blob.node} already has ${this.limits.maxPerNode} records here`);
      if (this.held.size >= this.limits.maxRecords) return rejected('REFUSED', `the record book is full (${this.limits.maxRecords} records)`);
    }
    if (this.totalBytes - (have?.bytes.length ?? 0) + blob.bytes.length > this.limits.maxTotalBytes) return rejected('REFUSED', `the record book is full (${this.limits.maxTotalBytes} bytes)`);
    return null;
  }

  /** The record's content must name the key and seq it travelled under: a relay cannot file one record under another's name. */
  private offerVerified(blob: RecordBlob, claim: RecordClaim): OfferOutcome {
    if (claim.node !== blob.node || claim.id !== blob.id || claim.seq !== blob.seq) {
      return rejected('NOT_AUTHOR', `record filed as ${blob.node}/${blob.id}#${blob.seq} says ${claim.node}/${claim.id}#${claim.seq}`);
    }
    const k = keyOf(blob);
    const digest = recordDigest(blob.bytes);
    const have = this.held.get(k);
    if (have && !newerRecord({ seq: blob.seq, digest }, have)) return { kind: 'ignored' };
    const room = this.room(blob, have);
    if (room) return room;
    // Own copies: the frame the bytes came in may be large, and a view would pin it.
    this.held.set(k, { node: blob.node, id: blob.id, seq: blob.seq, bytes: new Uint8Array(blob.bytes), digest });
    this.totalBytes += blob.bytes.length - (have?.bytes.length ?? 0);
    if (!have) this.perNode.set(blob.node, (this.perNode.get(blob.node) ?? 0) + 1);
    this.cachedHash = null;
    return { kind: 'accepted', replaced: have !== undefined };
  }
}

/** The list from a random offset, wrapping: cheap, and no entry is always last. */
function rotate<T>(list: T[], random: () => number): T[] {
  if (list.length < 2) return list;
  const at = Math.floor(random() * list.length) % list.length;
  return [...list.slice(at), ...list.slice(0, at)];
}

// ---- wire parts (inside push-pull frames; decoded strictly, never thrown out of decodeFrame) ----

const { arr, need, text, bytes, isUint, Shape, MAX_NAME } = shape;

export const writeRecordDigest = (d: RecordDigest[]): unknown[] => d.map((e) => [e.node, e.id, e.seq, e.digest]);
export const writeRecordBlobs = (b: RecordBlob[]): unknown[] => b.map((e) => [e.node, e.id, e.seq, e.bytes]);
export const writeRecordKeys = (k: RecordKey[]): unknown[] => k.map((e) => [e.node, e.id]);

const seqOf = (v: unknown, what: string): number => need(isUint(v) ? v : undefined, what);

export function readRecordHash(v: unknown): Uint8Array {
  const h = need(bytes(v, DIGEST_BYTES), 'record hash');
  if (h.length !== DIGEST_BYTES) throw new Shape('record hash');
  return h;
}

export function readRecordDigest(v: unknown): RecordDigest[] {
  return arr(v, 'record digest', 0, MAX_LIST).map((e) => {
    const a = arr(e, 'record digest entry', 4, 4);
    const digest = need(bytes(a[3], DIGEST_BYTES), 'record digest bytes');
    if (digest.length !== DIGEST_BYTES) throw new Shape('record digest bytes');
    return { node: need(text(a[0], MAX_NAME), 'record node'), id: need(text(a[1], MAX_ID), 'record id'), seq: seqOf(a[2], 'record seq'), digest };
  });
}

/** `maxBytes`: one record's limit; anything larger is not taken apart further. */
export function readRecordBlobs(v: unknown, maxBytes = DEFAULT_RECORD_LIMITS.maxRecordBytes): RecordBlob[] {
  return arr(v, 'records', 0, MAX_LIST).map((e) => {
    const a = arr(e, 'record', 4, 4);
    return { node: need(text(a[0], MAX_NAME), 'record node'), id: need(text(a[1], MAX_ID), 'record id'), seq: seqOf(a[2], 'record seq'), bytes: need(bytes(a[3], maxBytes), 'record bytes') };
  });
}

export function readRecordKeys(v: unknown): RecordKey[] {
  return arr(v, 'record wants', 0, MAX_LIST).map((e) => {
    const a = arr(e, 'record want', 2, 2);
    return { node: need(text(a[0], MAX_NAME), 'record node'), id: need(text(a[1], MAX_ID), 'record id') };
  });
}

/** The record parts of a push frame: [records, wants]. */
export function readRecordPush(v: unknown): { blobs: RecordBlob[]; wants: RecordKey[] } {
  const a = arr(v, 'record push', 2, 2);
  return { blobs: readRecordBlobs(a[0]), wants: readRecordKeys(a[1]) };
}

export const writeRecordPush = (p: { blobs: RecordBlob[]; wants: RecordKey[] }): unknown[] => [writeRecordBlobs(p.blobs), writeRecordKeys(p.wants)];

/** Helper for tests and tools: the typed result of reading a part, never a throw. */
export function readPart<T>(read: (v: unknown) => T, v: unknown): GossipResult<T> {
  try {
    return gok(read(v));
  } catch (e) {
    if (e instanceof Shape) return gerr('MALFORMED', `record part: bad ${e.message}`);
    throw e;
  }
}
