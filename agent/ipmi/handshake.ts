// RMCP+ session activation (IPMI v2.0 §13.15) as one multi-packet exchange:
// Get Channel Authentication Capabilities -> Open Session (cipher suites best
// first) -> RAKP 1/2 -> RAKP 3/4 -> Set Session Privilege Level. Pure: the
// driver feeds replies and retransmits whatever transmit() gives.

import { cerr, type ChannelError, type ChannelErrorCode } from '../channels/types.ts';
import { additionalKey, equalCodes, rakp2Code, rakp3Code, rakp4Code, sessionIntegrityKey, userKey, AUTH_NUM, CONF_NUM, INTEGRITY_NUM, type CipherSuite, type RakpInputs } from './crypto.ts';
import { CMD, decodeResponse, type IpmiResponse, encodeRequest, getChannelAuthCaps, parseAuthCaps, setSessionPrivilege } from './messages.ts';
import { AUTH_REFUSED, SUITE_REFUSED, openSessionRequest, parseOpenSessionResponse, parseRakp2, parseRakp4, rakp1, rakp3, statusText } from './rakp.ts';
import { PAYLOAD, decodeV15, decodeV20, encodeV15, encodeV20 } from './rmcp.ts';
import { Session, type Exchange, type RandomBytes, type Reaction } from './session.ts';

export interface HandshakeOptions {
  user: string;
  password: string;
  /** The privilege the session needs (Operator suffices for chassis control, §G). */
  privilege: number;
  /** Suites to offer, best first. */
  suites: readonly CipherSuite[];
  /**
   * Whether a BMC that speaks only IPMI v1.5 may be used. v1.5 sessions (straight-password
   * or MD5 auth, no integrity) are out of scope by design, as the README's table says: such a
   * BMC is CONFIG (refused) without the flag and UNSUPPORTED with it, so the flag only changes
   * which error names the reason.
   */
  allowWeak: boolean;
  random: RandomBytes;
}

type Stage = 'caps' | 'open' | 'rakp1' | 'rakp3' | 'priv';

const failed = (code: ChannelErrorCode, message: string): Reaction<never> => {
  const r = cerr(code, message);
  return { kind: 'fail', error: (r as { ok: false; error: ChannelError }).error };
};

export class Handshake implements Exchange<Session> {
  private stage: Stage = 'caps';
  private suiteIdx = 0;
  private readonly consoleSid: number;
  private readonly consoleRandom: Buffer;
  private readonly kuid: Buffer;
  private bmcSid = 0;
  private rakp: RakpInputs | null = null;
  private session: Session | null = null;
  private privExchange: Exchange<IpmiResponse> | null = null;
  /** Suites the BMC refused, for the error message. */
  private readonly refused: number[] = [];

  constructor(private readonly o: HandshakeOptions) {
    // Session ID 0 is reserved (§13.17); any other value tells our replies apart.
    this.consoleSid = (o.random(4).readUInt32LE(0) >>> 0) || 1;
    this.consoleRandom = o.random(16);
    this.kuid = userKey(o.password);
  }

  private get suite(): CipherSuite {
    const s = this.o.suites[this.suiteIdx];
    if (!s) throw new Error('no cipher suite left');
    return s;
  }

  /** Role byte: privilege plus 0x10, name-only lookup (the user is found by name, not name and privilege). */
  private get role(): number {
    return this.o.privilege | 0x10;
  }

  /** The BMC-side session once RAKP 4 succeeded, to close it if the privilege step fails. */
  get opened(): Session | null {
    return this.session;
  }

  transmit(): Buffer {
    switch (this.stage) {
      case 'caps':
        return encodeV15(encodeRequest(getChannelAuthCaps(this.o.privilege), 0));
      case 'open':
        return encodeV20({ payloadType: PAYLOAD.openSessionRequest, encrypted: false, sessionId: 0, seq: 0, payload: openSessionRequest(this.suiteIdx, this.consoleSid, this.suite, this.o.privilege) });
      case 'rakp1':
        return encodeV20({ payloadType: PAYLOAD.rakp1, encrypted: false, sessionId: 0, seq: 0, payload: rakp1(this.suiteIdx, this.bmcSid, this.consoleRandom, this.role, this.o.user) });
      case 'rakp3': {
        const code = rakp3Code(this.suite.auth, this.kuid, this.rakpInputs());
        return encodeV20({ payloadType: PAYLOAD.rakp3, encrypted: false, sessionId: 0, seq: 0, payload: rakp3(this.suiteIdx, 0, this.bmcSid, code) });
      }
      case 'priv':
        return this.privEx().transmit();
    }
  }

  receive(b: Uint8Array): Reaction<Session> {
    switch (this.stage) {
      case 'caps':
        return this.onCaps(b);
      case 'open':
        return this.onOpen(b);
      case 'rakp1':
        return this.onRakp2(b);
      case 'rakp3':
        return this.onRakp4(b);
      case 'priv':
        return this.onPriv(b);
    }
  }

  private next(stage: Stage): Reaction<Session> {
    this.stage = stage;
    return { kind: 'send', bytes: this.transmit() };
  }

  private rakpInputs(): RakpInputs {
    if (!this.rakp) throw new Error('RAKP inputs before RAKP 2');
    return this.rakp;
  }

  private onCaps(b: Uint8Array): Reaction<Session> {
    const p = decodeV15(b);
    if (!p.ok) return { kind: 'ignore', reason: p.reason };
    const r = decodeResponse(p.value);
    if (!r.ok) return { kind: 'ignore', reason: r.reason };
    if (r.value.cmd !== CMD.getChannelAuthCapabilities) return { kind: 'ignore', reason: 'a reply to another request' };
    if (r.value.completion !== 0) return failed('PROTOCOL', `Get Channel Authentication Capabilities failed with completion code 0x${r.value.completion.toString(16)}`);
    const caps = parseAuthCaps(r.value.data);
    if (!caps.ok) return failed('PROTOCOL', caps.reason);
    if (!caps.value.v20) {
      if (!this.o.allowWeak) return failed('CONFIG', 'the BMC offers only IPMI v1.5 sessions, which have no real integrity; refused');
      return failed('UNSUPPORTED', 'the BMC offers only IPMI v1.5 sessions, which this client never uses (no integrity; out of scope by design)');
    }
    return this.next('open');
  }

  private onOpen(b: Uint8Array): Reaction<Session> {
    const p = decodeV20(b);
    if (!p.ok) return { kind: 'ignore', reason: p.reason };
    if (p.value.payloadType !== PAYLOAD.openSessionResponse) return { kind: 'ignore', reason: 'not an Open Session Response' };
    const r = parseOpenSessionResponse(p.value.payload);
    if (!r.ok) return { kind: 'ignore', reason: r.reason };
    const v = r.value;
    // A reply to an earlier suite's request (a late retransmission) carries that suite's tag.
    if (v.consoleSid !== null && v.consoleSid !== this.consoleSid || v.tag !== this.suiteIdx) return { kind: 'ignore', reason: 'an Open Session Response for another request', stale: true };
    if (v.status !== 0) {
      if (SUITE_REFUSED.has(v.status)) {
        this.refused.push(this.suite.id);
        if (this.suiteIdx + 1 < this.o.suites.length) {
          this.suiteIdx++;
          return this.next('open');
        }
        return failed('CONFIG', `the BMC refused cipher suites ${this.refused.join(', ')} (${statusText(v.status)})`);
      }
      return this.statusFailure('Open Session', v.status);
    }
    const s = this.suite;
    if (v.algs[0] !== AUTH_NUM[s.auth] || v.algs[1] !== INTEGRITY_NUM[s.integrity] || v.algs[2] !== CONF_NUM[s.conf]) return failed('PROTOCOL', `the BMC answered cipher suite ${s.id} with other algorithms (${v.algs.join('/')})`);
    this.bmcSid = v.bmcSid;
    return this.next('rakp1');
  }

  private onRakp2(b: Uint8Array): Reaction<Session> {
    const p = decodeV20(b);
    if (!p.ok) return { kind: 'ignore', reason: p.reason };
    if (p.value.payloadType !== PAYLOAD.rakp2) return { kind: 'ignore', reason: 'not a RAKP 2' };
    const r = parseRakp2(p.value.payload);
    if (!r.ok) return { kind: 'ignore', reason: r.reason };
    if (r.value.consoleSid !== null && r.value.consoleSid !== this.consoleSid || r.value.tag !== this.suiteIdx) return { kind: 'ignore', reason: 'a RAKP 2 for another session', stale: true };
    if (r.value.status !== 0) return this.statusFailure('RAKP 2', r.value.status);
    this.rakp = { consoleSid: this.consoleSid, bmcSid: this.bmcSid, consoleRandom: this.consoleRandom, bmcRandom: r.value.bmcRandom, guid: r.value.guid, role: this.role, user: this.o.user };
    // The BMC proves it holds the same password: a mismatch is a wrong password (or not our BMC).
    if (!equalCodes(rakp2Code(this.suite.auth, this.kuid, this.rakp), r.value.code)) return failed('AUTH', `the BMC rejected the credentials for user "${this.o.user}" (RAKP 2 key exchange code mismatch: wrong password)`);
    return this.next('rakp3');
  }

  private onRakp4(b: Uint8Array): Reaction<Session> {
    const p = decodeV20(b);
    if (!p.ok) return { kind: 'ignore', reason: p.reason };
    if (p.value.payloadType !== PAYLOAD.rakp4) return { kind: 'ignore', reason: 'not a RAKP 4' };
    const r = parseRakp4(p.value.payload);
    if (!r.ok) return { kind: 'ignore', reason: r.reason };
    if (r.value.consoleSid !== null && r.value.consoleSid !== this.consoleSid || r.value.tag !== this.suiteIdx) return { kind: 'ignore', reason: 'a RAKP 4 for another session', stale: true };
    if (r.value.status !== 0) return this.statusFailure('RAKP 4', r.value.status);
    const a = this.suite.auth;
    const inputs = this.rakpInputs();
    // No BMC key (K_G) is configured, so K_UID stands in for it (§13.31).
    const sik = sessionIntegrityKey(a, this.kuid, inputs);
    if (!equalCodes(rakp4Code(a, sik, inputs), r.value.icv)) return failed('PROTOCOL', 'RAKP 4 integrity check value mismatch');
    this.session = new Session({ suite: this.suite, consoleSid: this.consoleSid, bmcSid: this.bmcSid, k1: additionalKey(a, sik, 1), k2: additionalKey(a, sik, 2) }, this.o.random);
    this.privExchange = this.session.command(setSessionPrivilege(this.o.privilege));
    return this.next('priv');
  }

  private privEx(): Exchange<IpmiResponse> {
    if (!this.privExchange) throw new Error('no session yet');
    return this.privExchange;
  }

  private onPriv(b: Uint8Array): Reaction<Session> {
    const r = this.privEx().receive(b);
    if (r.kind === 'ignore') return r;
    if (r.kind !== 'done') return failed('PROTOCOL', 'unexpected reply to Set Session Privilege Level');
    const resp = r.value;
    const session = this.session;
    if (!session) return failed('PROTOCOL', 'no session');
    // 0x80-0x82: level not available / above the user's limit / above the channel's limit (§22.18).
    if (resp.completion === 0x80 || resp.completion === 0x81 || resp.completion === 0x82 || resp.completion === 0xd4)
      return failed('AUTH', `user "${this.o.user}" may not take the privilege chassis control needs (completion code 0x${resp.completion.toString(16)})`);
    if (resp.completion !== 0) return failed('PROTOCOL', `Set Session Privilege Level failed with completion code 0x${resp.completion.toString(16)}`);
    return { kind: 'done', value: session };
  }

  private statusFailure(step: string, status: number): Reaction<Session> {
    const text = statusText(status);
    if (AUTH_REFUSED.has(status)) return failed('AUTH', `the BMC refused user "${this.o.user}" at ${step}: ${text}`);
    if (status === 0x01 || status === 0x0b) return failed('BUSY', `the BMC has no free session slot: ${text}`);
    return failed('PROTOCOL', `${step} failed: ${text}`);
  }
}
