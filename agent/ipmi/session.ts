// An established RMCP+ session as a pure machine: it turns IPMI requests into
// signed, encrypted packets and checks every reply (integrity, session ID,
// decryption, request/response match) before handing it back. No I/O: the
// LAN driver feeds it bytes and asks it for bytes to (re)transmit.

import type { ChannelError } from '../channels/types.ts';
import { decryptPayload, encryptPayload, type CipherSuite } from './crypto.ts';
import { decodeResponse, encodeRequest, type IpmiRequest, type IpmiResponse } from './messages.ts';
import { PAYLOAD, decodeV20, encodeV20, type Integrity } from './rmcp.ts';

/** What a machine wants after a packet arrived. */
export type Reaction<T> =
  /** Not this exchange's answer; `stale` marks a genuine reply that came late (not evidence of garbage). */
  | { kind: 'ignore'; reason: string; stale?: boolean }
  | { kind: 'send'; bytes: Buffer }
  | { kind: 'done'; value: T }
  | { kind: 'fail'; error: ChannelError };

/** One request/response exchange, possibly several packets long (the session handshake). */
export interface Exchange<T> {
  /** The packet to send now: the first transmission, or again after silence. */
  transmit(): Buffer;
  receive(b: Uint8Array): Reaction<T>;
}

export interface SessionKeys {
  suite: CipherSuite;
  consoleSid: number;
  bmcSid: number;
  k1: Buffer;
  k2: Buffer;
}

export type RandomBytes = (n: number) => Buffer;

export class Session {
  /** Outbound session sequence number; 0 is reserved for packets outside a session (§13.14). */
  private seq = 0;
  private rqSeq = 0;
  private readonly integrity: Integrity;

  constructor(
    readonly keys: SessionKeys,
    private readonly random: RandomBytes,
  ) {
    this.integrity = { alg: keys.suite.integrity, k1: keys.k1 };
  }

  /** An exchange for one IPMI command; each retransmission gets a fresh session sequence number. */
  command(req: IpmiRequest): Exchange<IpmiResponse> {
    this.rqSeq = (this.rqSeq + 1) & 0x3f;
    const rqSeq = this.rqSeq;
    const msg = encodeRequest(req, rqSeq);
    return {
      transmit: () => this.wrap(msg),
      receive: (b) => this.unwrap(b, req, rqSeq),
    };
  }

  private wrap(msg: Buffer): Buffer {
    this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    const encrypted = this.keys.suite.conf === 'aes-cbc-128';
    const payload = encrypted ? encryptPayload(this.keys.k2, msg, this.random(16)) : msg;
    return encodeV20({ payloadType: PAYLOAD.ipmi, encrypted, sessionId: this.keys.bmcSid, seq: this.seq, payload }, this.integrity);
  }

  private unwrap(b: Uint8Array, req: IpmiRequest, rqSeq: number): Reaction<IpmiResponse> {
    const p = decodeV20(b, this.integrity);
    if (!p.ok) return { kind: 'ignore', reason: p.reason };
    const v = p.value;
    if (v.payloadType !== PAYLOAD.ipmi) return { kind: 'ignore', reason: `payload type 0x${v.payloadType.toString(16)} inside the session` };
    if (v.sessionId !== this.keys.consoleSid) return { kind: 'ignore', reason: 'a packet for another session' };
    const wantEncrypted = this.keys.suite.conf !== 'none';
    if (v.encrypted !== wantEncrypted) return { kind: 'ignore', reason: 'a reply without the negotiated encryption' };
    const plain = wantEncrypted ? decryptPayload(this.keys.k2, v.payload) : v.payload;
    if (!plain) return { kind: 'ignore', reason: 'a reply that does not decrypt' };
    const r = decodeResponse(plain);
    if (!r.ok) return { kind: 'ignore', reason: r.reason };
    // A late reply to an earlier retransmission or request carries another rqSeq: not this exchange's answer.
    if (r.value.rqSeq !== rqSeq || r.value.cmd !== req.cmd || r.value.netFn !== req.netFn) return { kind: 'ignore', reason: 'a reply to another request', stale: true };
    return { kind: 'done', value: r.value };
  }
}
