// WS-Management replies as typed values: the envelope (Action, RelatesTo, a
// SOAP 1.2 fault with its WS-Management subcode), the enumeration context, the
// CIM_AssociatedPowerManagementService instances of a Pull, and the ReturnValue
// of RequestPowerStateChange. Everything is matched by namespace; anything not
// of the expected shape is a reason string, never an exception.

import { ACTION, NS, URI, type Epr } from './envelope.ts';
import { child, children, parseXml, textQName, type El, type QName } from './xml.ts';

export interface SoapFault {
  code: QName | null;
  subcode: QName | null;
  reason: string;
  /** wsman:FaultDetail URI, when given. */
  detail: string | null;
}

export type Reply =
  | { kind: 'fault'; fault: SoapFault; relatesTo: string | null }
  | { kind: 'body'; action: string; relatesTo: string | null; body: El };

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

export interface PowerAssociation {
  /** CIM PowerState of the managed element (DSP1027 ValueMap). */
  powerState: number;
  /** The states RequestPowerStateChange accepts now. */
  available: number[];
  service: Epr;
  managed: Epr;
}

export interface PullResult {
  items: PowerAssociation[];
  context: string | null;
  end: boolean;
}

const MAX_STATES = 64;
const MAX_TEXT = 1024;

const clip = (s: string, n = 200): string => s.replace(/[^\x20-\x7e]/g, '?').slice(0, n);

function parseFault(f: El): SoapFault {
  const code = child(f, NS.soap, 'Code');
  const value = code && child(code, NS.soap, 'Value');
  const sub = code && child(code, NS.soap, 'Subcode');
  const subValue = sub && child(sub, NS.soap, 'Value');
  const reason = child(f, NS.soap, 'Reason');
  const texts = reason ? children(reason, NS.soap, 'Text').map((t) => t.text) : [];
  const detail = child(f, NS.soap, 'Detail');
  const fd = detail && child(detail, NS.wsman, 'FaultDetail');
  return {
    code: value ? textQName(value) : null,
    subcode: subValue ? textQName(subValue) : null,
    reason: clip(texts[0] ?? ''),
    detail: fd ? clip(fd.text) : null,
  };
}

/** A SOAP 1.2 envelope with its header fields and its single body element (or fault). */
export function parseReply(bytes: Uint8Array | string): Parsed<Reply> {
  const doc = parseXml(bytes);
  if (!doc.ok) return fail(doc.reason);
  const env = doc.root;
  if (env.local !== 'Envelope') return fail(`the document is <${clip(env.local, 40)}>, not a SOAP envelope`);
  if (env.ns !== NS.soap) return fail(`the envelope is in namespace "${clip(env.ns, 80)}", not SOAP 1.2`);
  const header = child(env, NS.soap, 'Header');
  const body = child(env, NS.soap, 'Body');
  if (!body) return fail('the envelope has no Body');
  const relates = header && child(header, NS.wsa, 'RelatesTo');
  const relatesTo = relates ? relates.text.trim() : null;
  const fault = child(body, NS.soap, 'Fault');
  if (fault) return { ok: true, value: { kind: 'fault', fault: parseFault(fault), relatesTo } };
  const action = header && child(header, NS.wsa, 'Action');
  if (!action) return fail('the reply has no wsa:Action');
  const content = body.children[0];
  if (!content || body.children.length !== 1) return fail(`the Body holds ${body.children.length} elements, not 1`);
  return { ok: true, value: { kind: 'body', action: action.text.trim(), relatesTo, body: content } };
}

export function parseEnumerateResponse(r: { action: string; body: El }): Parsed<string> {
  if (r.action !== ACTION.enumerateResponse) return fail(`expected EnumerateResponse, got action ${clip(r.action)}`);
  if (r.body.ns !== NS.wsen || r.body.local !== 'EnumerateResponse') return fail('the Body is not a wsen:EnumerateResponse');
  const ctx = child(r.body, NS.wsen, 'EnumerationContext');
  if (!ctx || ctx.text === '' || ctx.text.length > MAX_TEXT) return fail('the EnumerateResponse has no usable EnumerationContext');
  return { ok: true, value: ctx.text };
}

function uint16(el: El | undefined, what: string): Parsed<number> {
  const t = el?.text.trim() ?? '';
  if (!/^\d{1,5}$/.test(t) || Number(t) > 65535) return fail(`${what} "${clip(t, 20)}" is not a uint16`);
  return { ok: true, value: Number(t) };
}

export function parseEpr(el: El): Parsed<Epr> {
  const address = child(el, NS.wsa, 'Address');
  const ref = child(el, NS.wsa, 'ReferenceParameters');
  const uri = ref && child(ref, NS.wsman, 'ResourceURI');
  if (!address || !uri || uri.text === '') return fail(`the reference ${el.local} lacks an Address or ResourceURI`);
  const set = child(ref, NS.wsman, 'SelectorSet');
  const selectors: [string, string][] = [];
  for (const s of set ? children(set, NS.wsman, 'Selector') : []) {
    const name = s.attrs.get('Name');
    if (!name || s.children.length > 0) return fail(`a selector of ${el.local} has no Name or is a nested reference`);
    selectors.push([name, s.text]);
  }
  if (selectors.length > 16 || uri.text.length > MAX_TEXT) return fail(`the reference ${el.local} is oversized`);
  return { ok: true, value: { address: address.text, resourceUri: uri.text, selectors } };
}

export function parsePowerAssociation(item: El): Parsed<PowerAssociation> {
  if (item.ns !== URI.assocPower || item.local !== 'CIM_AssociatedPowerManagementService')
    return fail(`an enumerated item is {${clip(item.ns, 80)}}${clip(item.local, 40)}, not CIM_AssociatedPowerManagementService`);
  const ps = uint16(child(item, URI.assocPower, 'PowerState'), 'PowerState');
  if (!ps.ok) return ps;
  const avail = children(item, URI.assocPower, 'AvailableRequestedPowerStates');
  if (avail.length > MAX_STATES) return fail('too many AvailableRequestedPowerStates');
  const available: number[] = [];
  for (const a of avail) {
    const v = uint16(a, 'AvailableRequestedPowerStates');
    if (!v.ok) return v;
    available.push(v.value);
  }
  const sp = child(item, URI.assocPower, 'ServiceProvided');
  const us = child(item, URI.assocPower, 'UserOfService');
  if (!sp || !us) return fail('the association lacks ServiceProvided or UserOfService');
  const service = parseEpr(sp);
  if (!service.ok) return service;
  const managed = parseEpr(us);
  if (!managed.ok) return managed;
  return { ok: true, value: { powerState: ps.value, available, service: service.value, managed: managed.value } };
}

export function parsePullResponse(r: { action: string; body: El }): Parsed<PullResult> {
  if (r.action !== ACTION.pullResponse) return fail(`expected PullResponse, got action ${clip(r.action)}`);
  if (r.body.ns !== NS.wsen || r.body.local !== 'PullResponse') return fail('the Body is not a wsen:PullResponse');
  const ctx = child(r.body, NS.wsen, 'EnumerationContext');
  const itemsEl = child(r.body, NS.wsen, 'Items');
  const items: PowerAssociation[] = [];
  for (const it of itemsEl?.children ?? []) {
    const a = parsePowerAssociation(it);
    if (!a.ok) return a;
    items.push(a.value);
  }
  const end = child(r.body, NS.wsen, 'EndOfSequence') !== undefined;
  return { ok: true, value: { items, context: ctx && ctx.text !== '' ? ctx.text : null, end } };
}

export function parseInvokeResponse(r: { action: string; body: El }): Parsed<number> {
  if (r.action !== ACTION.requestPowerStateChangeResponse) return fail(`expected RequestPowerStateChangeResponse, got action ${clip(r.action)}`);
  if (r.body.ns !== URI.powerService || r.body.local !== 'RequestPowerStateChange_OUTPUT') return fail('the Body is not RequestPowerStateChange_OUTPUT');
  const rv = child(r.body, URI.powerService, 'ReturnValue');
  const t = rv?.text.trim() ?? '';
  if (!/^\d{1,10}$/.test(t) || Number(t) > 0xffffffff) return fail(`ReturnValue "${clip(t, 20)}" is not a uint32`);
  return { ok: true, value: Number(t) };
}
