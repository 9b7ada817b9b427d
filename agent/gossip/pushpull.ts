// Anti-entropy push-pull over a stream (TCP): what datagrams cannot carry, a
// joiner's first view of the cluster, attestation records, and repair after
// a partition. It starts with a hash of the sender's digest so two members
// that agree (the usual case) exchange one small frame each way; only on a
// difference do full digests and then the missing records travel.
//
//   client  hello   [hash, wantAttestations]
//   server  in-sync | digest [[name, incarnation, state, att digest]...] | records
//   client  records [records server lacks] + wants [names]
//   server  records [wanted records]
//
// Each frame may end with its part of the signed-record exchange (records.ts):
// a hash in hello, a (key, seq) digest, records and wants, records.
//
// Every frame is signed by its sender and carries its credentials, so the
// server knows who asks before it answers, and a joiner can check the seed.

import { createHash } from 'node:crypto';
import { gerr, gok, type GossipResult, type Trust } from './types.ts';
import { cborDecode, cborEncode, shape, WIRE_VERSION, type Signed } from './wire.ts';
import { readRecordBlobs, readRecordDigest, readRecordHash, readRecordPush, writeRecordBlobs, writeRecordDigest, writeRecordPush, type RecordBlob, type RecordDigest, type RecordKey } from './records.ts';

export const MAX_FRAME = 8 * 1024 * 1024;
const MAX_RECORDS = 100_000;
const MAX_ATT_RECORD = 64 * 1024;

export const STATE_CODE = { live: 0, dead: 2, left: 3 } as const;

export interface DigestEntry {
  name: string;
  incarnation: number;
  /** live (alive or suspect), dead or left: suspicions are transient and do not count as a difference. */
  code: number;
  att: Uint8Array | null;
}

export interface MemberRecord {
  creds: Uint8Array | null;
  alive: Signed;
  final: Signed | null;
  attestation: Uint8Array | null;
}

// `rec`: the signed records of records.ts, an optional last element so a frame without them reads as before.
export type Phase =
  | { phase: 'hello'; hash: Uint8Array; wantAtt: string[]; rec?: Uint8Array }
  | { phase: 'in-sync' }
  | { phase: 'digest'; digest: DigestEntry[]; rec?: RecordDigest[] }
  | { phase: 'push'; records: MemberRecord[]; wants: string[]; rec?: { blobs: RecordBlob[]; wants: RecordKey[] } }
  | { phase: 'records'; records: MemberRecord[]; rec?: RecordBlob[] };

export interface Frame {
  sender: string;
  incarnation: number;
  sentAt: number;
  creds: Uint8Array;
  body: Phase;
}

const PHASE = { hello: 0, 'in-sync': 1, digest: 2, push: 3, records: 4 } as const;

export function digestHash(entries: DigestEntry[]): Uint8Array {
  const h = createHash('sha256');
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of sorted) h.update(cborEncode([e.name, e.incarnation, e.code, e.att]));
  return new Uint8Array(h.digest().subarray(0, 16));
}

const writeRecord = (r: MemberRecord): unknown[] => [r.creds, [r.alive.body, r.alive.sig], r.final ? [r.final.body, r.final.sig] : null, r.attestation];

function writePhase(p: Phase): unknown[] {
  switch (p.phase) {
    case 'hello':
      return [PHASE.hello, p.hash, p.wantAtt, ...(p.rec ? [p.rec] : [])];
    case 'in-sync':
      return [PHASE['in-sync']];
    case 'digest':
      return [PHASE.digest, p.digest.map((e) => [e.name, e.incarnation, e.code, e.att]), ...(p.rec ? [writeRecordDigest(p.rec)] : [])];
    case 'push':
      return [PHASE.push, p.records.map(writeRecord), p.wants, ...(p.rec ? [writeRecordPush(p.rec)] : [])];
    case 'records':
      return [PHASE.records, p.records.map(writeRecord), ...(p.rec ? [writeRecordBlobs(p.rec)] : [])];
  }
}

export function encodeFrame(f: Omit<Frame, 'creds'>, trust: Trust): Uint8Array {
  const inner = cborEncode([f.sender, f.incarnation, f.sentAt, trust.creds, writePhase(f.body)]);
  return cborEncode([WIRE_VERSION, inner, trust.sign(inner)]);
}

const { arr, need, text, bytes, optBytes, isUint, readSigned, Shape, MAX_NAME, MAX_CREDS } = shape;

function readRecord(v: unknown): MemberRecord {
  const a = arr(v, 'record', 4, 4);
  return {
    creds: need(optBytes(a[0], MAX_CREDS), 'record creds'),
    alive: readSigned(a[1], 'record alive'),
    final: a[2] === null ? null : readSigned(a[2], 'record final'),
    attestation: need(optBytes(a[3], MAX_ATT_RECORD), 'record attestation'),
  };
}

const names = (v: unknown): string[] => arr(v, 'names', 0, MAX_RECORDS).map((n) => need(text(n, MAX_NAME), 'name'));

function readPhase(v: unknown): Phase {
  const a = arr(v, 'phase', 1, 4);
  switch (a[0]) {
    case PHASE.hello:
      return { phase: 'hello', hash: need(bytes(a[1], 32), 'hash'), wantAtt: names(a[2]), ...(a.length > 3 ? { rec: readRecordHash(a[3]) } : {}) };
    case PHASE['in-sync']:
      return { phase: 'in-sync' };
    case PHASE.digest:
      return {
        phase: 'digest',
        digest: arr(a[1], 'digest', 0, MAX_RECORDS).map((e) => {
          const d = arr(e, 'digest entry', 4, 4);
          return {
            name: need(text(d[0], MAX_NAME), 'digest name'),
            incarnation: need(isUint(d[1]) ? d[1] : undefined, 'digest incarnation'),
            code: need(isUint(d[2]) ? d[2] : undefined, 'digest state'),
            att: need(optBytes(d[3], 64), 'digest attestation'),
          };
        }),
        ...(a.length > 2 ? { rec: readRecordDigest(a[2]) } : {}),
      };
    case PHASE.push:
      return { phase: 'push', records: arr(a[1], 'records', 0, MAX_RECORDS).map(readRecord), wants: names(a[2]), ...(a.length > 3 ? { rec: readRecordPush(a[3]) } : {}) };
    case PHASE.records:
      return { phase: 'records', records: arr(a[1], 'records', 0, MAX_RECORDS).map(readRecord), ...(a.length > 2 ? { rec: readRecordBlobs(a[2]) } : {}) };
    default:
      throw new Shape('phase');
  }
}

export interface DecodedFrame {
  frame: Frame;
  signed: Uint8Array;
  sig: Uint8Array;
}

export function decodeFrame(raw: Uint8Array): GossipResult<DecodedFrame> {
  if (raw.length > MAX_FRAME) return gerr('TOO_LARGE', `stream frame of ${raw.length} bytes`);
  const outer = cborDecode(raw);
  if (!outer.ok) return outer;
  try {
    const a = arr(outer.value, 'frame', 3, 3);
    if (a[0] !== WIRE_VERSION) return gerr('UNSUPPORTED', `wire version ${String(a[0])}`);
    const s = readSigned([a[1], a[2]], 'frame', MAX_FRAME);
    const inner = cborDecode(s.body);
    if (!inner.ok) return inner;
    const b = arr(inner.value, 'frame body', 5, 5);
    const frame: Frame = {
      sender: need(text(b[0], MAX_NAME), 'sender'),
      incarnation: need(isUint(b[1]) ? b[1] : undefined, 'incarnation'),
      sentAt: need(isUint(b[2]) ? b[2] : undefined, 'sent time'),
      creds: need(bytes(b[3], MAX_CREDS), 'creds'),
      body: readPhase(b[4]),
    };
    return gok({ frame, signed: s.body, sig: s.sig });
  } catch (e) {
    if (e instanceof Shape) return gerr('MALFORMED', `stream frame: bad ${e.message}`);
    throw e;
  }
}

/** memberlist's push-pull scaling: past 32 members, stretch the interval with log2 of the size. */
export function pushPullInterval(baseMs: number, members: number): number {
  if (members <= 32) return baseMs;
  return baseMs * (Math.ceil(Math.log2(members) - Math.log2(32)) + 1);
}

/** Is `a` newer than `b` for the same member? Incarnation first; at equal incarnation an end (dead, left) wins. */
export const newer = (a: { incarnation: number; code: number }, b: { incarnation: number; code: number }): boolean =>
  a.incarnation > b.incarnation || (a.incarnation === b.incarnation && a.code > b.code);
