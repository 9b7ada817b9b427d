// Reply documents of the FAKE AMT and DASH services, shaped as DSP0226
// (WS-Management), WS-Enumeration 2004/09 and the CIM schema's
// CIM_AssociatedPowerManagementService / CIM_PowerManagementService describe
// them. The AMT style copies the prefixes Intel AMT firmware writes (a: SOAP,
// b: addressing, c: wsman, g: enumeration, h: the class, and d/e/f/xsi
// declared unused) as in the AMT replies recorded in the test suite of the
// Python AMT client "wry" (Enumerate/Pull of CIM_BootSourceSetting); the
// DASH style uses the conventional s:/wsa:/wsman:/wsen: so a client that
// matched prefixes instead of namespaces fails one of the two.

import { randomUUID } from 'node:crypto';

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsman: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  wsen: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
  cim: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/',
} as const;
export const FAULT_DETAIL = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/';

export interface Prefixes {
  soap: string;
  wsa: string;
  wsman: string;
  wsen: string;
  cls: string;
}
export const AMT_PREFIXES: Prefixes = { soap: 'a', wsa: 'b', wsman: 'c', wsen: 'g', cls: 'h' };
export const DASH_PREFIXES: Prefixes = { soap: 's', wsa: 'wsa', wsman: 'wsman', wsen: 'wsen', cls: 'p' };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export type Selectors = ReadonlyArray<readonly [string, string]>;

/** The namespaces AMT firmware declares on every reply, used or not (trust, WSS, CIM binding, xsi). */
const AMT_EXTRA_NS =
  ' xmlns:d="http://schemas.xmlsoap.org/ws/2005/02/trust" xmlns:e="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"' +
  ' xmlns:f="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

export function envelope(p: Prefixes, action: string, relatesTo: string | null, body: string): string {
  const extraNs = p === AMT_PREFIXES ? AMT_EXTRA_NS : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<${p.soap}:Envelope xmlns:${p.soap}="${NS.soap}" xmlns:${p.wsa}="${NS.wsa}" xmlns:${p.wsman}="${NS.wsman}" xmlns:${p.wsen}="${NS.wsen}"${extraNs}>` +
    `<${p.soap}:Header><${p.wsa}:To>${NS.wsa}/role/anonymous</${p.wsa}:To>` +
    (relatesTo === null ? '' : `<${p.wsa}:RelatesTo>${esc(relatesTo)}</${p.wsa}:RelatesTo>`) +
    `<${p.wsa}:Action ${p.soap}:mustUnderstand="true">${esc(action)}</${p.wsa}:Action>` +
    `<${p.wsa}:MessageID>uuid:${randomUUID()}</${p.wsa}:MessageID></${p.soap}:Header>` +
    `<${p.soap}:Body>${body}</${p.soap}:Body></${p.soap}:Envelope>`
  );
}

export interface FaultSpec {
  code: 'Sender' | 'Receiver' | 'VersionMismatch';
  /** Prefix-free subcode and its namespace. */
  subcode: { ns: 'wsa' | 'wsman' | 'wsen'; local: string } | null;
  reason: string;
  detail: string | null;
  action: string;
}

export const FAULTS = {
  destinationUnreachable: (): FaultSpec => ({
    code: 'Sender',
    subcode: { ns: 'wsa', local: 'DestinationUnreachable' },
    reason: 'No route can be determined to reach the destination role defined by the WS-Addressing To.',
    detail: `${FAULT_DETAIL}InvalidResourceURI`,
    action: `${NS.wsa}/fault`,
  }),
  invalidSelectors: (detail: 'InsufficientSelectors' | 'UnexpectedSelectors' | 'InvalidValue'): FaultSpec => ({
    code: 'Sender',
    subcode: { ns: 'wsman', local: 'InvalidSelectors' },
    reason: 'The Selectors for the resource were not valid.',
    detail: `${FAULT_DETAIL}${detail}`,
    action: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
  }),
  actionNotSupported: (): FaultSpec => ({
    code: 'Sender',
    subcode: { ns: 'wsa', local: 'ActionNotSupported' },
    reason: 'The action is not supported by the service.',
    detail: null,
    action: `${NS.wsa}/fault`,
  }),
  invalidEnumerationContext: (): FaultSpec => ({
    code: 'Receiver',
    subcode: { ns: 'wsen', local: 'InvalidEnumerationContext' },
    reason: 'The supplied enumeration context is invalid.',
    detail: null,
    action: `${NS.wsen}/fault`,
  }),
  schemaValidation: (): FaultSpec => ({
    code: 'Sender',
    subcode: { ns: 'wsman', local: 'SchemaValidationError' },
    reason: 'The supplied SOAP violates the corresponding XML Schema definition.',
    detail: null,
    action: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
  }),
  invalidHeader: (): FaultSpec => ({
    code: 'Sender',
    subcode: { ns: 'wsa', local: 'InvalidMessageInformationHeader' },
    reason: 'A message information header is not valid and the message cannot be processed.',
    detail: null,
    action: `${NS.wsa}/fault`,
  }),
  versionMismatch: (): FaultSpec => ({ code: 'VersionMismatch', subcode: null, reason: 'The envelope is not SOAP 1.2.', detail: null, action: `${NS.wsa}/fault` }),
};

export function fault(p: Prefixes, f: FaultSpec, relatesTo: string | null): string {
  const sub = f.subcode ? `<${p.soap}:Subcode><${p.soap}:Value>${p[f.subcode.ns]}:${f.subcode.local}</${p.soap}:Value></${p.soap}:Subcode>` : '';
  const detail = f.detail ? `<${p.soap}:Detail><${p.wsman}:FaultDetail>${f.detail}</${p.wsman}:FaultDetail></${p.soap}:Detail>` : '';
  const body =
    `<${p.soap}:Fault><${p.soap}:Code><${p.soap}:Value>${p.soap}:${f.code}</${p.soap}:Value>${sub}</${p.soap}:Code>` +
    `<${p.soap}:Reason><${p.soap}:Text xml:lang="en-US">${esc(f.reason)}</${p.soap}:Text></${p.soap}:Reason>${detail}</${p.soap}:Fault>`;
  return envelope(p, f.action, relatesTo, body);
}

function epr(p: Prefixes, tag: string, uri: string, selectors: Selectors): string {
  const sel = selectors.map(([n, v]) => `<${p.wsman}:Selector Name="${esc(n)}">${esc(v)}</${p.wsman}:Selector>`).join('');
  return (
    `<${p.cls}:${tag}><${p.wsa}:Address>${NS.wsa}/role/anonymous</${p.wsa}:Address>` +
    `<${p.wsa}:ReferenceParameters><${p.wsman}:ResourceURI>${uri}</${p.wsman}:ResourceURI><${p.wsman}:SelectorSet>${sel}</${p.wsman}:SelectorSet></${p.wsa}:ReferenceParameters></${p.cls}:${tag}>`
  );
}

export interface AssocInstance {
  powerState: number;
  offered: readonly number[];
  service: Selectors;
  system: Selectors;
}

export function assocItem(p: Prefixes, a: AssocInstance): string {
  const cls = `${NS.cim}CIM_AssociatedPowerManagementService`;
  const states = a.offered.map((s) => `<${p.cls}:AvailableRequestedPowerStates>${s}</${p.cls}:AvailableRequestedPowerStates>`).join('');
  return (
    `<${p.cls}:CIM_AssociatedPowerManagementService xmlns:${p.cls}="${cls}">${states}` +
    `<${p.cls}:PowerState>${a.powerState}</${p.cls}:PowerState><${p.cls}:RequestedPowerState>${a.powerState}</${p.cls}:RequestedPowerState>` +
    epr(p, 'ServiceProvided', `${NS.cim}CIM_PowerManagementService`, a.service) +
    epr(p, 'UserOfService', `${NS.cim}CIM_ComputerSystem`, a.system) +
    `</${p.cls}:CIM_AssociatedPowerManagementService>`
  );
}

export const enumerateResponse = (p: Prefixes, ctx: string, relatesTo: string): string =>
  envelope(p, `${NS.wsen}/EnumerateResponse`, relatesTo, `<${p.wsen}:EnumerateResponse><${p.wsen}:EnumerationContext>${ctx}</${p.wsen}:EnumerationContext></${p.wsen}:EnumerateResponse>`);

/** A page of items; a context to pull again with, or (null) the end of the sequence. */
export function pullResponse(p: Prefixes, items: string, relatesTo: string, next: string | null = null): string {
  const tail = next === null ? `<${p.wsen}:EndOfSequence></${p.wsen}:EndOfSequence>` : '';
  const ctx = next === null ? '' : `<${p.wsen}:EnumerationContext>${esc(next)}</${p.wsen}:EnumerationContext>`;
  return envelope(p, `${NS.wsen}/PullResponse`, relatesTo, `<${p.wsen}:PullResponse>${ctx}<${p.wsen}:Items>${items}</${p.wsen}:Items>${tail}</${p.wsen}:PullResponse>`);
}

export function invokeResponse(p: Prefixes, rv: number, relatesTo: string): string {
  const cls = `${NS.cim}CIM_PowerManagementService`;
  return envelope(p, `${cls}/RequestPowerStateChangeResponse`, relatesTo, `<${p.cls}:RequestPowerStateChange_OUTPUT xmlns:${p.cls}="${cls}"><${p.cls}:ReturnValue>${rv}</${p.cls}:ReturnValue></${p.cls}:RequestPowerStateChange_OUTPUT>`);
}
