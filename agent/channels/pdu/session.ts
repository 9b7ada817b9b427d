// The thin I/O layer: one net-snmp session per driver, and each exchange
// (GET, SET, a walk of one column) bounded by the deadline twice over: the
// library's timeout and retries are set from the time left before every call,
// and a timer of our own settles the call at the deadline whatever the library
// does (its v3 engine discovery is an extra round trip it does not budget).

import net from 'node:net';
import snmp, { type Session, type User, type Varbind } from 'net-snmp';
import { cerr, cok, remainingMs, type ChannelResult, type Deadline } from '../types.ts';
import type { VarbindLike } from './decode.ts';
import { snmpError } from './errors.ts';
import { monotonicMs } from '../../clock.ts';

export type Credentials =
  | { version: 'v2c'; community: string }
  | { version: 'v3'; user: string; authProtocol: AuthProtocol; authKey: string; privProtocol: PrivProtocol; privKey: string };
export type AuthProtocol = 'sha' | 'sha256' | 'sha512' | 'md5';
export type PrivProtocol = 'aes' | 'aes256b' | 'des';

export interface Endpoint {
  host: string;
  port: number;
}

/** Longest single try; a PDU's agent answers in milliseconds or not at all. */
const MAX_TRY_MS = 2000;
const MIN_TRY_MS = 50;
/** Rows a walk of one column may return: more outlets than any PDU has. */
export const MAX_WALK_ROWS = 512;

export class SnmpClient {
  private session: Session | null = null;
  /** An authenticated exchange has succeeded on this session: from then on silence is a timeout, not a key. */
  private authenticated = false;

  constructor(
    readonly ep: Endpoint,
    private readonly creds: Credentials,
  ) {}

  get target(): string {
    return net.isIPv6(this.ep.host) ? `[${this.ep.host}]:${this.ep.port}` : `${this.ep.host}:${this.ep.port}`;
  }

  get(oids: string[], what: string, d: Deadline): Promise<ChannelResult<VarbindLike[]>> {
    return this.exchange(what, d, (s, done) => s.get(oids, (e, vbs) => done(e, vbs)));
  }

  set(varbinds: { oid: string; value: number }[], what: string, d: Deadline): Promise<ChannelResult<VarbindLike[]>> {
    const typed: Varbind[] = varbinds.map((v) => ({ oid: v.oid, type: snmp.ObjectType.Integer, value: v.value }));
    return this.exchange(what, d, (s, done) => s.set(typed, (e, vbs) => done(e, vbs)));
  }

  /** Every varbind under `column`, at most MAX_WALK_ROWS of them. */
  walk(column: string, what: string, d: Deadline): Promise<ChannelResult<VarbindLike[]>> {
    const rows: VarbindLike[] = [];
    let stop = false;
    return this.exchange(what, d, (s, done) => {
      s.subtree(
        column,
        20,
        (vbs) => {
          for (const vb of vbs) rows.push(vb);
          return stop || rows.length >= MAX_WALK_ROWS;
        },
        (e) => done(e, rows),
      );
    }, () => {
      stop = true;
    });
  }

  close(): void {
    const s = this.session;
    this.session = null;
    try {
      s?.close();
    } catch {
      // The socket is already gone: nothing left to release.
    }
  }

  private open(): ChannelResult<Session> {
    if (this.session) return cok(this.session);
    const options = { port: this.ep.port, transport: net.isIPv6(this.ep.host) ? ('udp6' as const) : ('udp4' as const), retries: 0, timeout: MAX_TRY_MS, backoff: 1 };
    try {
      const c = this.creds;
      const s =
        c.version === 'v2c'
          ? snmp.createSession(this.ep.host, c.community, { ...options, version: snmp.Version2c })
          : snmp.createV3Session(this.ep.host, usmUser(c), { ...options, version: snmp.Version3 });
      // A socket error would otherwise be an unhandled 'error' event; the pending request fails by its timeout or callback.
      s.on('error', () => undefined);
      this.session = s;
      return cok(s);
    } catch {
      return cerr('CONFIG', `cannot open an SNMP session to ${this.target}`);
    }
  }

  private exchange(what: string, d: Deadline, call: (s: Session, done: (e: Error | null, vbs?: Varbind[]) => void) => void, abort?: () => void): Promise<ChannelResult<VarbindLike[]>> {
    const left = remainingMs(d);
    if (left < MIN_TRY_MS) return Promise.resolve(cerr('TIMEOUT', `${what}: the deadline passed`));
    const opened = this.open();
    if (!opened.ok) return Promise.resolve(opened);
    const s = opened.value;
    // Two tries when there is time for them (one lost datagram is common on a busy management LAN), never past the deadline.
    // An SNMPv3 session's first call also spends a round trip on engine discovery, with the same timeout.
    const tries = left >= 2 * 500 ? 2 : 1;
    const rounds = tries + (this.creds.version === 'v3' && s.msgSecurityParameters === undefined ? 1 : 0);
    // A little under the deadline, so that the library's own timeout (with its hint) fires before ours.
    s.timeout = Math.max(MIN_TRY_MS, Math.min(MAX_TRY_MS, Math.floor((left - 20) / rounds)));
    s.retries = tries - 1;
    const started = monotonicMs();
    const version = this.creds.version;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (r: ChannelResult<VarbindLike[]>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const failed = (e: unknown): void => finish(this.silentKey(snmpError(e, { what, target: this.target, version, waitedMs: monotonicMs() - started }), s, what));
      // Our deadline, not the library's tries: too little time proves nothing about the keys, so no silentKey here.
      const timer = setTimeout(() => {
        abort?.();
        finish(snmpError({ name: 'RequestTimedOutError' }, { what, target: this.target, version, waitedMs: monotonicMs() - started }));
      }, Math.max(1, Math.ceil(left)));
      try {
        call(s, (e, vbs) => {
          if (e) return failed(e);
          this.authenticated = true;
          finish(cok(vbs ?? []));
        });
      } catch (e) {
        failed(e);
      }
    });
  }

  /**
   * An SNMPv3 agent that answered engine discovery but never an authenticated
   * request is alive and refusing our keys: net-snmp's own agent, like several
   * embedded ones, drops a request whose digest or encryption does not check
   * instead of sending the usmStatsWrongDigests report. That is AUTH (not
   * retried: a retry loop on a wrong key only fills the PDU's security log),
   * where a v2c agent's silence cannot be told from a dead PDU.
   */
  private silentKey(r: ChannelResult<never>, s: Session, what: string): ChannelResult<never> {
    if (r.ok || r.error.code !== 'TIMEOUT' || this.creds.version !== 'v3' || this.authenticated || s.msgSecurityParameters === undefined) return r;
    return cerr('AUTH', `${what}: the PDU answered SNMPv3 discovery but not the authenticated request: wrong authentication or privacy key (or protocol)`);
  }
}

function usmUser(c: Extract<Credentials, { version: 'v3' }>): User {
  return {
    name: c.user,
    level: snmp.SecurityLevel.authPriv,
    authProtocol: snmp.AuthProtocols[c.authProtocol],
    authKey: c.authKey,
    privProtocol: snmp.PrivProtocols[c.privProtocol],
    privKey: c.privKey,
  };
}
