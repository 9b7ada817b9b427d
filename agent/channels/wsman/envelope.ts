// WS-Management requests (DMTF DSP0226 over SOAP 1.2 with WS-Addressing
// 2004/08, WS-Enumeration 2004/09). Every request names its Action, the
// ResourceURI of the CIM class (DSP0227's mapping: the class name under the
// cim-schema/2 base), a fresh MessageID the reply must echo in RelatesTo, To,
// and an anonymous ReplyTo. Pure string builders: all text is escaped here.

import { randomUUID } from 'node:crypto';

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsman: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  wsen: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
} as const;

export const ANONYMOUS = `${NS.wsa}/role/anonymous`;
export const CIM_BASE = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/';
export const URI = {
  assocPower: `${CIM_BASE}CIM_AssociatedPowerManagementService`,
  powerService: `${CIM_BASE}CIM_PowerManagementService`,
  computerSystem: `${CIM_BASE}CIM_ComputerSystem`,
} as const;

export const ACTION = {
  enumerate: `${NS.wsen}/Enumerate`,
  enumerateResponse: `${NS.wsen}/EnumerateResponse`,
  pull: `${NS.wsen}/Pull`,
  pullResponse: `${NS.wsen}/PullResponse`,
  release: `${NS.wsen}/Release`,
  requestPowerStateChange: `${URI.powerService}/RequestPowerStateChange`,
  requestPowerStateChangeResponse: `${URI.powerService}/RequestPowerStateChangeResponse`,
} as const;

/** A WS-Addressing endpoint reference to one CIM instance: its class URI and key selectors. */
export interface Epr {
  address: string;
  resourceUri: string;
  selectors: ReadonlyArray<readonly [string, string]>;
}

export interface Built {
  xml: string;
  messageId: string;
}

export const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

/** xs:duration for the seconds left, so the service gives up when we do. */
export const operationTimeout = (ms: number): string => `PT${Math.max(1, Math.floor(ms / 1000))}.000S`;

function selectorSet(selectors: Epr['selectors']): string {
  if (selectors.length === 0) return '';
  const s = selectors.map(([n, v]) => `<w:Selector Name="${escapeXml(n)}">${escapeXml(v)}</w:Selector>`).join('');
  return `<w:SelectorSet>${s}</w:SelectorSet>`;
}

/** One SOAP envelope addressed to one instance (selectors) or a singleton (none). */
export function envelope(to: string, action: string, resourceUri: string, timeoutMs: number, selectors: Epr['selectors'], body: string): Built {
  const messageId = `uuid:${randomUUID()}`;
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsa}" xmlns:w="${NS.wsman}" xmlns:n="${NS.wsen}">` +
    '<s:Header>' +
    `<a:Action s:mustUnderstand="true">${escapeXml(action)}</a:Action>` +
    `<a:To s:mustUnderstand="true">${escapeXml(to)}</a:To>` +
    `<w:ResourceURI s:mustUnderstand="true">${escapeXml(resourceUri)}</w:ResourceURI>` +
    `<a:MessageID s:mustUnderstand="true">${messageId}</a:MessageID>` +
    `<a:ReplyTo><a:Address s:mustUnderstand="true">${ANONYMOUS}</a:Address></a:ReplyTo>` +
    `<w:OperationTimeout>${operationTimeout(timeoutMs)}</w:OperationTimeout>` +
    selectorSet(selectors) +
    '</s:Header>' +
    `<s:Body>${body}</s:Body>` +
    '</s:Envelope>';
  return { xml, messageId };
}

export function enumerate(to: string, resourceUri: string, timeoutMs: number): Built {
  return envelope(to, ACTION.enumerate, resourceUri, timeoutMs, [], '<n:Enumerate/>');
}

export function pull(to: string, resourceUri: string, context: string, timeoutMs: number): Built {
  const body = `<n:Pull><n:EnumerationContext>${escapeXml(context)}</n:EnumerationContext><n:MaxElements>32</n:MaxElements></n:Pull>`;
  return envelope(to, ACTION.pull, resourceUri, timeoutMs, [], body);
}

/**
 * CIM_PowerManagementService.RequestPowerStateChange (DSP1027 §9.5): addressed
 * to the service instance, with the managed system as ManagedElement; Time and
 * TimeoutPeriod are left out (NULL), as Intel's guide asks.
 */
export function requestPowerStateChange(to: string, service: Epr, managed: Epr, powerState: number, timeoutMs: number): Built {
  const body =
    `<p:RequestPowerStateChange_INPUT xmlns:p="${URI.powerService}">` +
    `<p:PowerState>${Math.trunc(powerState)}</p:PowerState>` +
    '<p:ManagedElement>' +
    `<a:Address>${escapeXml(managed.address)}</a:Address>` +
    `<a:ReferenceParameters><w:ResourceURI>${escapeXml(managed.resourceUri)}</w:ResourceURI>${selectorSet(managed.selectors)}</a:ReferenceParameters>` +
    '</p:ManagedElement>' +
    '</p:RequestPowerStateChange_INPUT>';
  return envelope(to, ACTION.requestPowerStateChange, service.resourceUri, timeoutMs, service.selectors, body);
}
