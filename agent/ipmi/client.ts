// An IPMI-over-LAN client: one RMCP+ session kept across calls, opened on
// first use, re-opened once when the BMC forgot it, closed on close().

import { randomBytes } from 'node:crypto';
import { cerr, cok, type ChannelResult, type Deadline } from '../channels/types.ts';
import { SUITES, STRONG_ORDER, WEAK_ORDER, type CipherSuite } from './crypto.ts';
import { Handshake } from './handshake.ts';
import { LanTransport, type LanTiming } from './lan.ts';
import { PRIV, chassisControl, closeSession, getChassisStatus, getDeviceId, parseChassisStatus, parseDeviceId, type DeviceId, type IpmiRequest, type IpmiResponse } from './messages.ts';
import type { RandomBytes, Session } from './session.ts';

export interface IpmiClientOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  allowWeakCiphers: boolean;
  /** Session privilege; Operator (the default) is what Chassis Control needs (IPMI v2.0 appendix G). */
  privilege?: number;
  /** Suites to offer, best first; defaults to 17 then 3 (then 2, 1 when weak ones are allowed). */
  suites?: readonly number[];
  timing?: LanTiming;
  random?: RandomBytes;
}

/** Completion codes (§5.2 table 5-2) as channel errors. */
export function completionError(cc: number, what: string): ChannelResult<never> {
  const hex = `0x${cc.toString(16)}`;
  if (cc === 0xc0) return cerr('BUSY', `${what}: the BMC is busy (${hex})`);
  if (cc === 0xc3) return cerr('BUSY', `${what}: the BMC timed out processing the command (${hex})`);
  if (cc === 0xd4) return cerr('AUTH', `${what}: insufficient privilege level (${hex})`);
  // 0xD5: e.g. power off or cycle while already off on some BMCs; the caller reads status to learn the truth.
  if (cc === 0xd5) return cerr('STATE', `${what}: not supported in the present state (${hex})`);
  if (cc === 0xc1 || cc === 0xcc) return cerr('UNSUPPORTED', `${what}: the BMC does not take this request (${hex})`);
  return cerr('PROTOCOL', `${what}: completion code ${hex}`);
}

export class IpmiClient {
  private readonly lan: LanTransport;
  private session: Session | null = null;
  private readonly random: RandomBytes;
  private readonly suites: CipherSuite[];

  constructor(private readonly o: IpmiClientOptions) {
    this.lan = new LanTransport(o.host, o.port, o.timing);
    this.random = o.random ?? randomBytes;
    const ids = o.suites ?? [...STRONG_ORDER, ...(o.allowWeakCiphers ? WEAK_ORDER : [])];
    this.suites = ids.flatMap((id) => {
      const s = SUITES[id];
      return s && (o.allowWeakCiphers || s.conf !== 'none') ? [s] : [];
    });
  }

  /** The suite of the open session, if any. */
  get suiteId(): number | null {
    return this.session?.keys.suite.id ?? null;
  }

  async open(d: Deadline): Promise<ChannelResult<Session>> {
    if (this.session) return cok(this.session);
    if (this.suites.length === 0) return cerr('CONFIG', 'no acceptable cipher suite to offer (suites 0-2 need allowWeakCiphers)');
    const hs = new Handshake({ user: this.o.user, password: this.o.password, privilege: this.o.privilege ?? PRIV.operator, suites: this.suites, allowWeak: this.o.allowWeakCiphers, random: this.random });
    const r = await this.lan.run(hs, d);
    if (!r.ok) {
      // The BMC holds a session when only the privilege step failed: release it.
      const opened = hs.opened;
      if (opened) await this.lan.run(opened.command(closeSession(opened.keys.bmcSid)), d);
      return r;
    }
    this.session = r.value;
    return r;
  }

  /**
   * One command in the session. A BMC that dropped the session (timeout,
   * restart) stops answering it or answers 0xC7/0xD1..; one fresh session is
   * tried before giving up.
   */
  async command(req: IpmiRequest, d: Deadline): Promise<ChannelResult<IpmiResponse>> {
    const fresh = this.session === null;
    const s = await this.open(d);
    if (!s.ok) return s;
    const r = await this.lan.run(s.value.command(req), d);
    if (r.ok || fresh || r.error.code !== 'TIMEOUT') return r;
    this.session = null;
    const again = await this.open(d);
    if (!again.ok) return again;
    return this.lan.run(again.value.command(req), d);
  }

  async powerOn(d: Deadline): Promise<ChannelResult<boolean>> {
    const r = await this.command(getChassisStatus(), d);
    if (!r.ok) return r;
    if (r.value.completion !== 0) return completionError(r.value.completion, 'Get Chassis Status');
    const p = parseChassisStatus(r.value.data);
    return p.ok ? cok(p.value.powerOn) : cerr('PROTOCOL', p.reason);
  }

  async control(c: number, d: Deadline): Promise<ChannelResult<void>> {
    const r = await this.command(chassisControl(c), d);
    if (!r.ok) return r;
    if (r.value.completion !== 0) return completionError(r.value.completion, 'Chassis Control');
    return cok(undefined);
  }

  async deviceId(d: Deadline): Promise<ChannelResult<DeviceId>> {
    const r = await this.command(getDeviceId(), d);
    if (!r.ok) return r;
    if (r.value.completion !== 0) return completionError(r.value.completion, 'Get Device ID');
    const p = parseDeviceId(r.value.data);
    return p.ok ? cok(p.value) : cerr('PROTOCOL', p.reason);
  }

  /** Close Session, best effort: a lost reply still leaves the BMC to time the session out. */
  async close(d: Deadline): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await this.lan.run(s.command(closeSession(s.keys.bmcSid)), d);
    this.lan.close();
  }
}
