// The gossip wire format: CBOR arrays with small integer tags, because a
// datagram holds 1,400 bytes and every state update carries a 64-byte
// signature. Two signatures live here:
// - a packet is signed by its sender (hop authentication: who sent this ping,
//   ack, nack, ping-req);
// - an update (alive, suspect, dead, leave) is signed by its author and is
//   relayed as the exact bytes the author signed, so any member can check
//   who said it no matter how many hops it took.
// Decoding is strict: anything that is not exactly a shape below is MALFORMED.

import { Decoder, Encoder } from 'cbor-x';
import { gerr, gok, type Addr, type GossipResult, type Trust } from './types.ts';

export const WIRE_VERSION = 1;
export const SIG_BYTES = 64;
/** Largest UDP payload over IPv4; a datagram cannot be larger, whatever the sender claims. */
export const MAX_DATAGRAM = 65_507;
const MAX_NAME = 253;
const MAX_ADDR = 300;
const MAX_CREDS = 4096;
const MAX_ATT_DIGEST = 64;
const MAX_MSGS = 128;
const MAX_EVIDENCE = 16;
/** heal/lease.ts MAX_LEASE_BYTES: a lease is a few hundred bytes. */
export const MAX_LEASE = 1024;

export type Update =
  | { type: 'alive'; name: string; incarnation: number; time: number; addr: Addr; creds: Uint8Array | null; att: Uint8Array | null }
  | { type: 'suspect'; author: string; subject: string; incarnation: number; time: number }
  | { type: 'dead'; author: string; subject: string; incarnation: number; time: number; evidence: Signed[] }
  | { type: 'leave'; name: string; incarnation: number; time: number };

/** An update as its author signed it: `body` is encodeUpdate(update). */
export interface Signed {
  body: Uint8Array;
  sig: Uint8Array;
}

export type Msg =
  | { type: 'ping'; seq: number; target: string }
  | { type: 'ack'; seq: number }
  | { type: 'ping-req'; seq: number; target: string; targetAddr: Addr }
  | { type: 'nack'; seq: number }
  | { type: 'update'; update: Signed }
  /** Asks the receiver to send a Wake-on-LAN packet for `mac` on its own segment (wake.ts). */
  | { type: 'wake'; nonce: number; subject: string; mac: Uint8Array }
  /** A heal lease (agent/heal/lease.ts), opaque here: signed by its actor, checked by the daemon before it is used or passed on. */
  | { type: 'lease'; lease: Uint8Array };

export interface PacketBody {
  sender: string;
  sentAt: number;
  msgs: Msg[];
}

const UPDATE_TAG = { alive: 0, suspect: 1, dead: 2, leave: 3 } as const;
const MSG_TAG = { ping: 0, ack: 1, 'ping-req': 2, nack: 3, update: 4, wake: 5, lease: 6 } as const;

const encoder = new Encoder({ useRecords: false, tagUint8Array: false, structuredClone: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false, structuredClone: false });

/**
 * A right-sized copy: cbor-x returns a view into its shared output buffer, and a
 * stored view of a few bytes would pin a buffer grown to the largest frame ever
 * encoded (a push-pull reply of the whole cluster), once per stored update.
 */
export const cborEncode = (v: unknown): Uint8Array => new Uint8Array(encoder.encode(v));

export function cborDecode(bytes: Uint8Array): GossipResult<unknown> {
  try {
    return gok(decoder.decode(bytes));
  } catch (e) {
    return gerr('MALFORMED', `not CBOR: ${(e as Error).message}`);
  }
}

// Field readers: each returns the value or undefined, and the caller turns
// undefined into one MALFORMED naming the field.
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const text = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);
const bytes = (v: unknown, max: number): Uint8Array | undefined => (v instanceof Uint8Array && v.length <= max ? new Uint8Array(v) : undefined);
const optBytes = (v: unknown, max: number): Uint8Array | null | undefined => (v === null ? null : bytes(v, max));

class Shape extends Error {}
function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Shape(what);
  return v;
}
const arr = (v: unknown, what: string, min: number, max: number): unknown[] => {
  if (!Array.isArray(v) || v.length < min || v.length > max) throw new Shape(what);
  return v;
};

export function encodeUpdate(u: Update): Uint8Array {
  switch (u.type) {
    case 'alive':
      return cborEncode([UPDATE_TAG.alive, u.name, u.incarnation, u.time, u.addr, u.creds, u.att]);
    case 'suspect':
      return cborEncode([UPDATE_TAG.suspect, u.author, u.subject, u.incarnation, u.time]);
    case 'dead':
      return cborEncode([UPDATE_TAG.dead, u.author, u.subject, u.incarnation, u.time, u.evidence.map((e) => [e.body, e.sig])]);
    case 'leave':
      return cborEncode([UPDATE_TAG.leave, u.name, u.incarnation, u.time]);
  }
}

export function signUpdate(u: Update, trust: Trust): Signed {
  const body = encodeUpdate(u);
  return { body, sig: trust.sign(body) };
}

/** `max`: a datagram's worth for updates and packets; a stream frame passes its own limit. */
function readSigned(v: unknown, what: string, max = MAX_DATAGRAM): Signed {
  const a = arr(v, what, 2, 2);
  const sig = need(bytes(a[1], SIG_BYTES), `${what} signature`);
  if (sig.length !== SIG_BYTES) throw new Shape(`${what} signature`);
  return { body: need(bytes(a[0], max), `${what} body`), sig };
}

function readUpdate(v: unknown): Update {
  const a = arr(v, 'update', 4, 7);
  switch (a[0]) {
    case UPDATE_TAG.alive:
      if (a.length !== 7) throw new Shape('alive');
      return {
        type: 'alive',
        name: need(text(a[1], MAX_NAME), 'alive name'),
        incarnation: need(isUint(a[2]) ? a[2] : undefined, 'alive incarnation'),
        time: need(isUint(a[3]) ? a[3] : undefined, 'alive time'),
        addr: need(text(a[4], MAX_ADDR), 'alive addr'),
        creds: need(optBytes(a[5], MAX_CREDS), 'alive creds'),
        att: need(optBytes(a[6], MAX_ATT_DIGEST), 'alive attestation digest'),
      };
    case UPDATE_TAG.suspect:
    case UPDATE_TAG.dead: {
      const dead = a[0] === UPDATE_TAG.dead;
      if (a.length !== (dead ? 6 : 5)) throw new Shape(dead ? 'dead' : 'suspect');
      const base = {
        author: need(text(a[1], MAX_NAME), 'author'),
        subject: need(text(a[2], MAX_NAME), 'subject'),
        incarnation: need(isUint(a[3]) ? a[3] : undefined, 'incarnation'),
        time: need(isUint(a[4]) ? a[4] : undefined, 'time'),
      };
      if (!dead) return { type: 'suspect', ...base };
      return { type: 'dead', ...base, evidence: arr(a[5], 'evidence', 1, MAX_EVIDENCE).map((e) => readSigned(e, 'evidence')) };
    }
    case UPDATE_TAG.leave:
      if (a.length !== 4) throw new Shape('leave');
      return {
        type: 'leave',
        name: need(text(a[1], MAX_NAME), 'leave name'),
        incarnation: need(isUint(a[2]) ? a[2] : undefined, 'leave incarnation'),
        time: need(isUint(a[3]) ? a[3] : undefined, 'leave time'),
      };
    default:
      throw new Shape('update type');
  }
}

export function decodeUpdate(body: Uint8Array): GossipResult<Update> {
  const v = cborDecode(body);
  if (!v.ok) return v;
  try {
    return gok(readUpdate(v.value));
  } catch (e) {
    if (e instanceof Shape) return gerr('MALFORMED', `update: bad ${e.message}`);
    throw e;
  }
}

function writeMsg(m: Msg): unknown[] {
  switch (m.type) {
    case 'ping':
      return [MSG_TAG.ping, m.seq, m.target];
    case 'ack':
      return [MSG_TAG.ack, m.seq];
    case 'ping-req':
      return [MSG_TAG['ping-req'], m.seq, m.target, m.targetAddr];
    case 'nack':
      return [MSG_TAG.nack, m.seq];
    case 'update':
      return [MSG_TAG.update, m.update.body, m.update.sig];
    case 'wake':
      return [MSG_TAG.wake, m.nonce, m.subject, m.mac];
    case 'lease':
      return [MSG_TAG.lease, m.lease];
  }
}

function readMsg(v: unknown): Msg {
  const a = arr(v, 'message', 2, 4);
  const seq = (): number => need(isUint(a[1]) ? a[1] : undefined, 'seq');
  switch (a[0]) {
    case MSG_TAG.ping:
      if (a.length !== 3) throw new Shape('ping');
      return { type: 'ping', seq: seq(), target: need(text(a[2], MAX_NAME), 'ping target') };
    case MSG_TAG.ack:
      if (a.length !== 2) throw new Shape('ack');
      return { type: 'ack', seq: seq() };
    case MSG_TAG['ping-req']:
      if (a.length !== 4) throw new Shape('ping-req');
      return { type: 'ping-req', seq: seq(), target: need(text(a[2], MAX_NAME), 'ping-req target'), targetAddr: need(text(a[3], MAX_ADDR), 'ping-req addr') };
    case MSG_TAG.nack:
      if (a.length !== 2) throw new Shape('nack');
      return { type: 'nack', seq: seq() };
    case MSG_TAG.update:
      if (a.length !== 3) throw new Shape('update message');
      return { type: 'update', update: readSigned([a[1], a[2]], 'update') };
    case MSG_TAG.wake: {
      if (a.length !== 4) throw new Shape('wake');
      const mac = need(bytes(a[3], 6), 'wake mac');
      if (mac.length !== 6) throw new Shape('wake mac');
      return { type: 'wake', nonce: seq(), subject: need(text(a[2], MAX_NAME), 'wake subject'), mac };
    }
    case MSG_TAG.lease: {
      if (a.length !== 2) throw new Shape('lease');
      const lease = need(bytes(a[1], MAX_LEASE), 'lease bytes');
      if (lease.length === 0) throw new Shape('lease bytes');
      return { type: 'lease', lease };
    }
    default:
      throw new Shape('message type');
  }
}

/** The encoded size of a message inside a packet, for filling a datagram. */
export const msgSize = (m: Msg): number => cborEncode(writeMsg(m)).length;

/** Packet bytes around the messages: version, body and signature headers, sender, time. */
export const packetOverhead = (sender: string): number => 16 + SIG_BYTES + sender.length + 16;

export function encodePacket(body: PacketBody, trust: Trust): Uint8Array {
  const inner = cborEncode([body.sender, body.sentAt, body.msgs.map(writeMsg)]);
  return cborEncode([WIRE_VERSION, inner, trust.sign(inner)]);
}

export interface DecodedPacket {
  body: PacketBody;
  /** The bytes the sender signed. */
  signed: Uint8Array;
  sig: Uint8Array;
}

export function decodePacket(raw: Uint8Array): GossipResult<DecodedPacket> {
  if (raw.length > MAX_DATAGRAM) return gerr('TOO_LARGE', `packet of ${raw.length} bytes`);
  const outer = cborDecode(raw);
  if (!outer.ok) return outer;
  try {
    const a = arr(outer.value, 'packet', 3, 3);
    if (a[0] !== WIRE_VERSION) return gerr('UNSUPPORTED', `wire version ${String(a[0])}`);
    const s = readSigned([a[1], a[2]], 'packet');
    const inner = cborDecode(s.body);
    if (!inner.ok) return inner;
    const b = arr(inner.value, 'packet body', 3, 3);
    const body: PacketBody = {
      sender: need(text(b[0], MAX_NAME), 'sender'),
      sentAt: need(isUint(b[1]) ? b[1] : undefined, 'sent time'),
      msgs: arr(b[2], 'messages', 0, MAX_MSGS).map(readMsg),
    };
    return gok({ body, signed: s.body, sig: s.sig });
  } catch (e) {
    if (e instanceof Shape) return gerr('MALFORMED', `packet: bad ${e.message}`);
    throw e;
  }
}

export const shape = { arr, need, text, bytes, optBytes, isUint, readSigned, Shape, MAX_NAME, MAX_ADDR, MAX_CREDS };
