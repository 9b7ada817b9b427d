// A FAKE of the WS-Management service Intel AMT serves on its local ports
// (16992, or 16993 with TLS), reached in tests only through the simulated
// LME (lme.ts), which bridges APF channels to this loopback server. No AMT
// emulator exists; this implements exactly the classes the activation flows
// use, from Intel's published shapes (AMT SDK; go-wsman-messages
// pkg/wsman/{amt,ips,cim}; amt-me.md 1d and 2), and reads and changes the
// shared AmtState as the firmware would:
//   Get AMT_GeneralSettings (DigestRealm); IPS_HostBasedSetupService.Setup;
//   AMT_SetupAndConfigurationService.CommitChanges / Unprovision;
//   Get / Put / RequestStateChange of AMT_RedirectionService;
//   Get / RequestStateChange of CIM_KVMRedirectionSAP.
// Digest auth as AMT does it: before activation the local system account
// ($$OsAdmin, from PTHI) logs in; after it, "admin" with the password whose
// HA1 is the stored adminDigest. AMT keeps only that HA1, and the shared
// DigestServer checks passwords, so the fake is told which passwords the test
// world knows and uses the one whose HA1 matches (any other can never log in).
// Fault knobs: drop the reply to Setup after applying it (the connection is
// cut, as when the firmware restarts its port stack), hang.

import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { parseXml, type El } from '../../../agent/channels/wsman/xml.ts';
import { DigestServer } from '../wsman/digest.ts';
import * as R from '../wsman/replies.ts';
import type { AmtState } from './types.ts';

const AMT = 'http://intel.com/wbem/wscim/1/amt-schema/1/';
const IPS = 'http://intel.com/wbem/wscim/1/ips-schema/1/';
const TRANSFER = 'http://schemas.xmlsoap.org/ws/2004/09/transfer';
export const WSMAN_CLASS = {
  generalSettings: `${AMT}AMT_GeneralSettings`,
  setup: `${AMT}AMT_SetupAndConfigurationService`,
  redirection: `${AMT}AMT_RedirectionService`,
  hostBasedSetup: `${IPS}IPS_HostBasedSetupService`,
  kvm: `${R.NS.cim}CIM_KVMRedirectionSAP`,
} as const;

const P = R.AMT_PREFIXES;
const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');
const childOf = (el: El | undefined, ns: string, local: string): El | undefined => el?.children.find((c) => c.ns === ns && c.local === local);
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface FakeAmtWsmanOptions {
  /** Passwords the test may use as admin; see the header for why the fake needs them. */
  knownPasswords?: string[];
  tls?: { key: string; cert: string };
}

/** A status and document; 'drop' cuts the connection; 'hang' never answers. */
type Reply = [number, string] | 'drop' | 'hang';

export class FakeAmtWsman {
  private state: AmtState | null = null;
  private lsa: DigestServer | null = null;
  private admin: { digest: string; server: DigestServer } | null = null;
  private httpServer: http.Server | null = null;
  private httpsServer: https.Server | null = null;
  httpPort = 0;
  httpsPort = 0;
  /** Test knobs. */
  dropSetupReply = false;
  hang = false;
  /** Every request: the user it authenticated as and the action, for assertions. */
  calls: Array<{ user: string; action: string }> = [];
  /** Every Authorization header and body, to prove no password travels. */
  seen: string[] = [];

  constructor(private readonly o: FakeAmtWsmanOptions = {}) {}

  /** The state every client of this simulated firmware shares; bound when LME first connects. */
  attach(state: AmtState): void {
    this.state = state;
  }

  async start(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res);
    this.httpServer = http.createServer(handler);
    await new Promise<void>((r) => this.httpServer?.listen(0, '127.0.0.1', r));
    this.httpPort = (this.httpServer.address() as AddressInfo).port;
    if (this.o.tls) {
      this.httpsServer = https.createServer({ key: this.o.tls.key, cert: this.o.tls.cert }, handler);
      await new Promise<void>((r) => this.httpsServer?.listen(0, '127.0.0.1', r));
      this.httpsPort = (this.httpsServer.address() as AddressInfo).port;
    }
  }

  async stop(): Promise<void> {
    for (const s of [this.httpServer, this.httpsServer]) {
      if (!s) continue;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  private servers(st: AmtState): { lsa: DigestServer; admin: DigestServer | null } {
    if (!this.lsa) this.lsa = new DigestServer(st.digestRealm, st.localSystemAccount.user, st.localSystemAccount.password);
    if (st.adminDigest === null) this.admin = null;
    else if (this.admin?.digest !== st.adminDigest) {
      const pw = (this.o.knownPasswords ?? []).find((p) => md5(`admin:${st.digestRealm}:${p}`) === st.adminDigest);
      this.admin = pw === undefined ? null : { digest: st.adminDigest, server: new DigestServer(st.digestRealm, 'admin', pw) };
    }
    return { lsa: this.lsa, admin: this.admin?.server ?? null };
  }

  /** Who this request authenticates as, or the 401 challenge to send. */
  private authenticate(st: AmtState, header: string | undefined): { user: string } | { challenge: string } {
    const { lsa, admin } = this.servers(st);
    const user = /username="([^"]*)"/.exec(header ?? '')?.[1];
    const byUser = user === 'admin' ? admin : user === st.localSystemAccount.user ? lsa : null;
    // Without a usable user, the challenge comes from the account that can log in now.
    const fallback = st.controlMode === 0 ? lsa : (admin ?? lsa);
    if (header === undefined || user === undefined || byUser === null) return { challenge: fallback.challenge() };
    const v = byUser.verify(header, 'POST');
    if (v === 'ok') return { user };
    return { challenge: byUser.challenge(v === 'stale') };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.seen.push(`${req.headers.authorization ?? ''}\n${body}`);
      const st = this.state;
      if (this.hang || st === null) return;
      if (req.method !== 'POST' || req.url !== '/wsman') return void res.writeHead(404).end();
      const auth = this.authenticate(st, req.headers.authorization);
      if ('challenge' in auth) return void res.writeHead(401, { 'WWW-Authenticate': auth.challenge, 'Content-Length': '0' }).end();
      const reply = this.soap(st, auth.user, body);
      if (reply === 'hang') return;
      if (reply === 'drop') return void (req.socket as Socket).destroy();
      res.writeHead(reply[0], { 'Content-Type': 'application/soap+xml;charset=UTF-8' }).end(reply[1]);
    });
  }

  private fault(f: R.FaultSpec, id: string | null): [number, string] {
    return [f.code === 'Receiver' ? 500 : 400, R.fault(P, f, id)];
  }

  private accessDenied(id: string): [number, string] {
    return this.fault({ code: 'Sender', subcode: { ns: 'wsman', local: 'AccessDenied' }, reason: 'The sender was not authorized to access the resource.', detail: null, action: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault' }, id);
  }

  soap(st: AmtState, user: string, body: string): Reply {
    const doc = parseXml(body);
    if (!doc.ok) return this.fault(R.FAULTS.schemaValidation(), null);
    const env = doc.root;
    if (env.local !== 'Envelope' || env.ns !== R.NS.soap) return this.fault(R.FAULTS.versionMismatch(), null);
    const header = childOf(env, R.NS.soap, 'Header');
    const action = childOf(header, R.NS.wsa, 'Action')?.text ?? '';
    const id = childOf(header, R.NS.wsa, 'MessageID')?.text;
    const replyTo = childOf(childOf(header, R.NS.wsa, 'ReplyTo'), R.NS.wsa, 'Address')?.text;
    const uri = childOf(header, R.NS.wsman, 'ResourceURI')?.text ?? '';
    if (!action || !id || !childOf(header, R.NS.wsa, 'To') || replyTo !== `${R.NS.wsa}/role/anonymous`) return this.fault(R.FAULTS.invalidHeader(), id ?? null);
    const payload = childOf(env, R.NS.soap, 'Body')?.children[0];
    this.calls.push({ user, action });
    const isAdmin = user === 'admin';
    switch (`${uri}|${action}`) {
      case `${WSMAN_CLASS.generalSettings}|${TRANSFER}/Get`:
        return [200, this.instance(WSMAN_CLASS.generalSettings, `${TRANSFER}/GetResponse`, id, [['ElementName', 'Intel(r) AMT: General Settings'], ['DigestRealm', st.digestRealm], ['HostName', ''], ['NetworkInterfaceEnabled', 'true']])];
      case `${WSMAN_CLASS.hostBasedSetup}|${WSMAN_CLASS.hostBasedSetup}/Setup`:
        return this.setup(st, payload, id);
      case `${WSMAN_CLASS.setup}|${WSMAN_CLASS.setup}/CommitChanges`:
        if (!isAdmin) return this.accessDenied(id);
        st.journal.push('wsman: CommitChanges');
        return [200, this.output(WSMAN_CLASS.setup, 'CommitChanges', 0, id)];
      case `${WSMAN_CLASS.setup}|${WSMAN_CLASS.setup}/Unprovision`:
        return this.unprovision(st, isAdmin, payload, id);
      case `${WSMAN_CLASS.redirection}|${TRANSFER}/Get`:
        if (!isAdmin) return this.accessDenied(id);
        return [200, this.instance(WSMAN_CLASS.redirection, `${TRANSFER}/GetResponse`, id, this.redirection(st))];
      case `${WSMAN_CLASS.redirection}|${TRANSFER}/Put`:
        return this.putRedirection(st, isAdmin, payload, id);
      case `${WSMAN_CLASS.redirection}|${WSMAN_CLASS.redirection}/RequestStateChange`: {
        if (!isAdmin) return this.accessDenied(id);
        const s = this.requested(WSMAN_CLASS.redirection, payload);
        if (s === null || s < 32768 || s > 32771) return [200, this.output(WSMAN_CLASS.redirection, 'RequestStateChange', 5, id)];
        st.redirection.ider = (s & 1) !== 0;
        st.redirection.sol = (s & 2) !== 0;
        st.journal.push(`wsman: redirection ${s}`);
        return [200, this.output(WSMAN_CLASS.redirection, 'RequestStateChange', 0, id)];
      }
      case `${WSMAN_CLASS.kvm}|${TRANSFER}/Get`:
        if (!isAdmin) return this.accessDenied(id);
        return [200, this.instance(WSMAN_CLASS.kvm, `${TRANSFER}/GetResponse`, id, [['CreationClassName', 'CIM_KVMRedirectionSAP'], ['ElementName', 'KVM Redirection Service Access Point'], ['EnabledState', st.redirection.kvm ? '2' : '3'], ['Name', 'KVM Redirection Service Access Point'], ['RequestedState', st.redirection.kvm ? '2' : '3']])];
      case `${WSMAN_CLASS.kvm}|${WSMAN_CLASS.kvm}/RequestStateChange`: {
        if (!isAdmin) return this.accessDenied(id);
        const s = this.requested(WSMAN_CLASS.kvm, payload);
        if (s !== 2 && s !== 3) return [200, this.output(WSMAN_CLASS.kvm, 'RequestStateChange', 5, id)];
        st.redirection.kvm = s === 2;
        st.journal.push(`wsman: kvm ${s}`);
        return [200, this.output(WSMAN_CLASS.kvm, 'RequestStateChange', 0, id)];
      }
      default:
        return this.fault(uri.startsWith(AMT) || uri.startsWith(IPS) || uri.startsWith(R.NS.cim) ? R.FAULTS.actionNotSupported() : R.FAULTS.destinationUnreachable(), id);
    }
  }

  private setup(st: AmtState, payload: El | undefined, id: string): Reply {
    const uri = WSMAN_CLASS.hostBasedSetup;
    if (payload?.ns !== uri || payload.local !== 'Setup_INPUT') return this.fault(R.FAULTS.schemaValidation(), id);
    const type = childOf(payload, uri, 'NetAdminPassEncryptionType')?.text;
    const hash = childOf(payload, uri, 'NetworkAdminPassword')?.text ?? '';
    if (st.controlMode !== 0 || st.provisioningState !== 0) return [200, this.output(uri, 'Setup', 2, id)];
    if (type !== '2' || !/^[0-9a-f]{32}$/.test(hash)) return [200, this.output(uri, 'Setup', 3, id)];
    st.controlMode = 1;
    st.provisioningState = 2;
    st.adminDigest = hash;
    st.journal.push('wsman: Setup (client control mode)');
    if (this.dropSetupReply) {
      this.dropSetupReply = false;
      return 'drop';
    }
    return [200, this.output(uri, 'Setup', 0, id)];
  }

  private unprovision(st: AmtState, isAdmin: boolean, payload: El | undefined, id: string): Reply {
    const uri = WSMAN_CLASS.setup;
    if (!isAdmin) return this.accessDenied(id);
    if (payload?.ns !== uri || payload.local !== 'Unprovision_INPUT') return this.fault(R.FAULTS.schemaValidation(), id);
    if (childOf(payload, uri, 'ProvisioningMode')?.text !== '1') return [200, this.output(uri, 'Unprovision', 36, id)];
    st.controlMode = 0;
    st.provisioningState = 0;
    st.adminDigest = null;
    st.redirection = { sol: false, ider: false, kvm: false, listenerEnabled: false };
    st.journal.push('wsman: Unprovision');
    return [200, this.output(uri, 'Unprovision', 0, id)];
  }

  private redirection(st: AmtState): Array<[string, string]> {
    const state = 32768 + (st.redirection.ider ? 1 : 0) + (st.redirection.sol ? 2 : 0);
    return [
      ['AccessLog', ''],
      ['CreationClassName', 'AMT_RedirectionService'],
      ['ElementName', 'Intel(r) AMT Redirection Service'],
      ['EnabledState', String(state)],
      ['ListenerEnabled', String(st.redirection.listenerEnabled)],
      ['Name', 'Intel(r) AMT Redirection Service'],
      ['SystemCreationClassName', 'CIM_ComputerSystem'],
      ['SystemName', 'Intel(r) AMT'],
    ];
  }

  /** A Put must carry the instance's keys unchanged; only ListenerEnabled is taken from it. */
  private putRedirection(st: AmtState, isAdmin: boolean, payload: El | undefined, id: string): Reply {
    const uri = WSMAN_CLASS.redirection;
    if (!isAdmin) return this.accessDenied(id);
    if (payload?.ns !== uri || payload.local !== 'AMT_RedirectionService') return this.fault(R.FAULTS.schemaValidation(), id);
    for (const key of ['CreationClassName', 'Name', 'SystemCreationClassName', 'SystemName']) {
      const want = this.redirection(st).find(([k]) => k === key)?.[1];
      if (childOf(payload, uri, key)?.text !== want) return this.fault(R.FAULTS.invalidSelectors('InvalidValue'), id);
    }
    const listener = childOf(payload, uri, 'ListenerEnabled')?.text;
    if (listener !== 'true' && listener !== 'false') return this.fault(R.FAULTS.schemaValidation(), id);
    st.redirection.listenerEnabled = listener === 'true';
    st.journal.push(`wsman: listener ${listener}`);
    return [200, this.instance(uri, `${TRANSFER}/PutResponse`, id, this.redirection(st))];
  }

  private requested(uri: string, payload: El | undefined): number | null {
    if (payload?.ns !== uri || payload.local !== 'RequestStateChange_INPUT') return null;
    const t = childOf(payload, uri, 'RequestedState')?.text ?? '';
    return /^\d{1,5}$/.test(t) ? Number(t) : null;
  }

  private instance(uri: string, action: string, id: string, props: ReadonlyArray<readonly [string, string]>): string {
    const cls = uri.slice(uri.lastIndexOf('/') + 1);
    const body = props.map(([k, v]) => `<${P.cls}:${k}>${esc(v)}</${P.cls}:${k}>`).join('');
    return R.envelope(P, action, id, `<${P.cls}:${cls} xmlns:${P.cls}="${uri}">${body}</${P.cls}:${cls}>`);
  }

  private output(uri: string, method: string, rv: number, id: string): string {
    return R.envelope(P, `${uri}/${method}Response`, id, `<${P.cls}:${method}_OUTPUT xmlns:${P.cls}="${uri}"><${P.cls}:ReturnValue>${rv}</${P.cls}:ReturnValue></${P.cls}:${method}_OUTPUT>`);
  }
}
