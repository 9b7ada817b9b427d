// A FAKE Intel AMT / AMD DASH WS-Management service on loopback. No emulator
// of either exists on npm or in Debian (openwsman is not packaged for this
// project's machines), so this follows the published texts: DMTF DSP0226
// (WS-Management: headers, faults and their subcodes), DSP0227 (ResourceURIs
// under cim-schema/2), DSP1027 (Power State Management: the association, its
// AvailableRequestedPowerStates, RequestPowerStateChange and its ReturnValue
// map), DSP0232 (DASH ports 623/664), the Intel AMT SDK "Change System Power
// State" use case (service "Intel(r) AMT Power Management Service", managed
// system CIM_ComputerSystem Name=ManagedSystem), the request shapes in Intel's
// device-management-toolkit/wsman-messages tests, and the AMT replies recorded
// in the test suite of the Python AMT client "wry" (see replies.ts). Strict:
// a wrong digest gets 401 and a fresh challenge, an expired nonce 401 with
// stale=true, an unknown ResourceURI wsa:DestinationUnreachable, a wrong
// selector wsman:InvalidSelectors, a state not offered a non-zero ReturnValue.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseXml, type El } from '../../../agent/channels/wsman/xml.ts';
import { DigestServer } from './digest.ts';
import { PowerMachine, type MachineOptions } from './machine.ts';
import * as R from './replies.ts';

export type Kind = 'amt' | 'dash';

export interface FakeOptions extends MachineOptions {
  kind: Kind;
  user: string;
  password: string;
  tls?: { key: string; cert: string };
  nonceLifetimeMs?: number;
  /** Several host systems (DASH): more associations. */
  extraSystems?: string[];
}

const CIM = R.NS.cim;
const ASSOC = `${CIM}CIM_AssociatedPowerManagementService`;
const SERVICE = `${CIM}CIM_PowerManagementService`;
const SYSTEM = `${CIM}CIM_ComputerSystem`;

const childOf = (el: El | undefined, ns: string, local: string): El | undefined => el?.children.find((c) => c.ns === ns && c.local === local);

export class FakeWsman {
  readonly machine: PowerMachine;
  readonly digest: DigestServer;
  readonly prefixes: R.Prefixes;
  readonly serviceKeys: R.Selectors;
  readonly systemKeys: R.Selectors;
  /** Test knobs: never answer, answer garbage, answer the next invoke with this ReturnValue. */
  mode: 'normal' | 'hang' | 'garbage' = 'normal';
  forceReturn: number | null = null;
  /** The most items one Pull returns whatever MaxElements asks, to make a client pull again. */
  maxPerPull = Number.POSITIVE_INFINITY;
  /** Every request body and Authorization header, to prove no password travels. */
  seen: string[] = [];
  faults: string[] = [];
  posts = 0;
  /** Open enumerations: the instances still to be pulled, snapshotted at Enumerate as AMT does. */
  private contexts = new Map<string, string[]>();
  private server: http.Server | https.Server | null = null;
  port = 0;

  constructor(private readonly o: FakeOptions) {
    this.machine = new PowerMachine(o);
    const amt = o.kind === 'amt';
    // AMT realms read "Digest:" and 32 hex digits; the DASH realm is the fake's own.
    this.digest = new DigestServer(amt ? 'Digest:3F6A2B1C9D8E7F60514233241506F7E8' : 'DASH fake', o.user, o.password, o.nonceLifetimeMs);
    this.prefixes = amt ? R.AMT_PREFIXES : R.DASH_PREFIXES;
    const sysName = amt ? 'ManagedSystem' : '4C4C4544-0037-3010-8052-B4C04F4A4E31';
    this.systemKeys = [['CreationClassName', 'CIM_ComputerSystem'], ['Name', sysName]];
    this.serviceKeys = [
      ['CreationClassName', 'CIM_PowerManagementService'],
      ['Name', amt ? 'Intel(r) AMT Power Management Service' : 'Power Management Service'],
      ['SystemCreationClassName', 'CIM_ComputerSystem'],
      ['SystemName', amt ? 'Intel(r) AMT' : sysName],
    ];
  }

  async start(): Promise<number> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res);
    this.server = this.o.tls ? https.createServer({ key: this.o.tls.key, cert: this.o.tls.cert }, handler) : http.createServer(handler);
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.posts++;
      const body = Buffer.concat(chunks).toString('utf8');
      this.seen.push(`${req.headers.authorization ?? ''}\n${body}`);
      if (this.mode === 'hang') return;
      if (this.mode === 'garbage') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>It works!</body>');
      if (req.method !== 'POST' || req.url !== '/wsman') return void res.writeHead(404).end();
      const verdict = this.digest.verify(req.headers.authorization, req.method);
      if (verdict !== 'ok') {
        return void res.writeHead(401, { 'WWW-Authenticate': this.digest.challenge(verdict === 'stale'), 'Content-Length': '0' }).end();
      }
      const [status, xml] = this.soap(body);
      res.writeHead(status, { 'Content-Type': 'application/soap+xml;charset=UTF-8' }).end(xml);
    });
  }

  private fault(f: R.FaultSpec, relatesTo: string | null): [number, string] {
    this.faults.push(f.subcode?.local ?? f.code);
    return [f.code === 'Receiver' ? 500 : 400, R.fault(this.prefixes, f, relatesTo)];
  }

  soap(body: string): [number, string] {
    const doc = parseXml(body);
    if (!doc.ok) return this.fault(R.FAULTS.schemaValidation(), null);
    const env = doc.root;
    if (env.local !== 'Envelope' || env.ns !== R.NS.soap) return this.fault(R.FAULTS.versionMismatch(), null);
    const header = childOf(env, R.NS.soap, 'Header');
    const action = childOf(header, R.NS.wsa, 'Action')?.text;
    const id = childOf(header, R.NS.wsa, 'MessageID')?.text;
    const replyTo = childOf(childOf(header, R.NS.wsa, 'ReplyTo'), R.NS.wsa, 'Address')?.text;
    const to = childOf(header, R.NS.wsa, 'To')?.text;
    if (!action || !id || !to || replyTo !== `${R.NS.wsa}/role/anonymous`) return this.fault(R.FAULTS.invalidHeader(), id ?? null);
    const uri = childOf(header, R.NS.wsman, 'ResourceURI')?.text;
    const payload = childOf(env, R.NS.soap, 'Body')?.children[0];
    if (uri === ASSOC) return this.association(action, payload, id);
    if (uri === SERVICE) return this.invoke(action, header, payload, id);
    return this.fault(R.FAULTS.destinationUnreachable(), id);
  }

  private association(action: string, payload: El | undefined, id: string): [number, string] {
    const p = this.prefixes;
    if (action === `${R.NS.wsen}/Enumerate`) {
      if (payload?.ns !== R.NS.wsen || payload.local !== 'Enumerate') return this.fault(R.FAULTS.schemaValidation(), id);
      const ctx = randomUUID();
      const { state, offered } = this.machine.read();
      const items = [R.assocItem(p, { powerState: state, offered, service: this.serviceKeys, system: this.systemKeys })];
      for (const name of this.o.extraSystems ?? []) {
        items.push(R.assocItem(p, { powerState: 2, offered: [8], service: this.serviceKeys, system: [['CreationClassName', 'CIM_ComputerSystem'], ['Name', name]] }));
      }
      this.contexts.set(ctx, items);
      return [200, R.enumerateResponse(p, ctx, id)];
    }
    if (action === `${R.NS.wsen}/Pull`) {
      const ctx = childOf(payload, R.NS.wsen, 'EnumerationContext')?.text ?? '';
      const left = this.contexts.get(ctx);
      if (payload?.ns !== R.NS.wsen || payload.local !== 'Pull' || left === undefined) return this.fault(R.FAULTS.invalidEnumerationContext(), id);
      // Without MaxElements WS-Enumeration returns one item per Pull, as the recorded AMT replies show.
      const max = Number(childOf(payload, R.NS.wsen, 'MaxElements')?.text ?? '1');
      const page = left.splice(0, Math.min(this.maxPerPull, Number.isInteger(max) && max > 0 ? max : 1));
      const end = left.length === 0;
      if (end) this.contexts.delete(ctx);
      return [200, R.pullResponse(p, page.join(''), id, end ? null : ctx)];
    }
    return this.fault(R.FAULTS.actionNotSupported(), id);
  }

  /** Selectors given must be exactly the instance's keys; AMT, with one instance, also takes none (as Intel's own messages send). */
  private selectorsMatch(set: El | undefined, keys: R.Selectors, noneAllowed: boolean): 'ok' | 'InsufficientSelectors' | 'UnexpectedSelectors' | 'InvalidValue' {
    const given = (set?.children ?? []).filter((c) => c.ns === R.NS.wsman && c.local === 'Selector').map((c) => [c.attrs.get('Name') ?? '', c.text] as const);
    if (given.length === 0) return noneAllowed ? 'ok' : 'InsufficientSelectors';
    for (const [n, v] of given) {
      const key = keys.find(([k]) => k === n);
      if (!key) return 'UnexpectedSelectors';
      if (key[1] !== v) return 'InvalidValue';
    }
    return given.length === keys.length ? 'ok' : 'InsufficientSelectors';
  }

  private invoke(action: string, header: El | undefined, payload: El | undefined, id: string): [number, string] {
    if (action !== `${SERVICE}/RequestPowerStateChange`) return this.fault(R.FAULTS.actionNotSupported(), id);
    const own = this.selectorsMatch(childOf(header, R.NS.wsman, 'SelectorSet'), this.serviceKeys, this.o.kind === 'amt');
    if (own !== 'ok') return this.fault(R.FAULTS.invalidSelectors(own), id);
    if (payload?.ns !== SERVICE || payload.local !== 'RequestPowerStateChange_INPUT') return this.fault(R.FAULTS.schemaValidation(), id);
    const ps = childOf(payload, SERVICE, 'PowerState')?.text ?? '';
    const me = childOf(payload, SERVICE, 'ManagedElement');
    const ref = childOf(me, R.NS.wsa, 'ReferenceParameters');
    if (!/^\d+$/.test(ps) || !ref) return this.fault(R.FAULTS.schemaValidation(), id);
    if (childOf(ref, R.NS.wsman, 'ResourceURI')?.text !== SYSTEM) return this.fault(R.FAULTS.invalidSelectors('InvalidValue'), id);
    const target = this.selectorsMatch(childOf(ref, R.NS.wsman, 'SelectorSet'), this.systemKeys, false);
    if (target !== 'ok') return this.fault(R.FAULTS.invalidSelectors(target), id);
    const forced = this.forceReturn;
    this.forceReturn = null;
    const rv = forced ?? this.machine.request(Number(ps));
    return [200, R.invokeResponse(this.prefixes, rv, id)];
  }
}
