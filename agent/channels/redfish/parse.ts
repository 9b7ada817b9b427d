// Typed reading of the JSON a BMC sends. Every document is untrusted: each
// reader returns a value or a PROTOCOL error and never throws, whatever the
// bytes. URIs taken from documents must stay paths on the same service, so a
// hostile document cannot send our credentials to another host.

import { cerr, cok, type ChannelResult } from '../types.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string from the device, fit for an error message: bounded, no control characters. */
export const printable = (s: string, max = 160): string => {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
};

export function parseJson(body: Uint8Array | string): ChannelResult<Json> {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return cok(JSON.parse(text) as Json);
  } catch {
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    return cerr('PROTOCOL', `the reply is not JSON (${size} bytes, starting "${printable(text, 40)}")`);
  }
}

/** An absolute path under /redfish/v1 with nothing that could escape it (no scheme, host, dot segments or odd bytes). */
export function isServicePath(s: string): boolean {
  if (s.length > 512 || !/^\/redfish\/v1(\/|$)/.test(s)) return false;
  if (!/^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(s)) return false;
  return !s.split('/').some((seg) => ['.', '..'].includes(seg.replace(/%2e/gi, '.')));
}

function link(v: Json | undefined): string | null {
  if (!isObject(v)) return null;
  const id = v['@odata.id'];
  return typeof id === 'string' && isServicePath(id) ? id : null;
}

export interface ServiceRoot {
  systems: string;
  /** The session collection to log in at; null when the service offers none (basic auth then). */
  sessions: string | null;
}

export function parseServiceRoot(j: Json): ChannelResult<ServiceRoot> {
  if (!isObject(j)) return cerr('PROTOCOL', 'the service root is not a JSON object');
  const systems = link(j['Systems']);
  if (systems === null) return cerr('PROTOCOL', 'the service root has no Systems collection');
  const links = j['Links'];
  let sessions = isObject(links) ? link(links['Sessions']) : null;
  // Links.Sessions is required since 1.0, but older firmware only names the SessionService.
  if (sessions === null) {
    const svc = link(j['SessionService']);
    if (svc !== null) sessions = `${svc.replace(/\/$/, '')}/Sessions`;
  }
  return cok({ systems, sessions });
}

export function parseMembers(j: Json): ChannelResult<string[]> {
  if (!isObject(j)) return cerr('PROTOCOL', 'the Systems collection is not a JSON object');
  const members = j['Members'];
  if (!Array.isArray(members)) return cerr('PROTOCOL', 'the Systems collection has no Members array');
  if (members.length > 1024) return cerr('PROTOCOL', `the Systems collection lists ${members.length} members`);
  const out: string[] = [];
  for (const m of members) {
    const id = link(m);
    if (id === null) return cerr('PROTOCOL', 'a Systems member has no usable @odata.id');
    out.push(id);
  }
  return cok(out);
}

export interface ResetAction {
  target: string;
  /** ResetType@Redfish.AllowableValues when given inline. */
  allowed: string[] | null;
  /** @Redfish.ActionInfo, where the allowed values live instead on some services. */
  actionInfo: string | null;
}

export interface SystemDoc {
  powerState: Json | undefined;
  reset: ResetAction | null;
}

function stringList(v: Json | undefined, what: string): ChannelResult<string[] | null> {
  if (v === undefined) return cok(null);
  if (!Array.isArray(v) || v.length > 64 || !v.every((x): x is string => typeof x === 'string')) return cerr('PROTOCOL', `${what} is not a list of strings`);
  return cok(v);
}

export function parseSystem(j: Json): ChannelResult<SystemDoc> {
  if (!isObject(j)) return cerr('PROTOCOL', 'the ComputerSystem is not a JSON object');
  const actions = j['Actions'];
  const reset = isObject(actions) ? actions['#ComputerSystem.Reset'] : undefined;
  if (!isObject(reset)) return cok({ powerState: j['PowerState'], reset: null });
  const target = reset['target'];
  if (typeof target !== 'string' || !isServicePath(target)) return cerr('PROTOCOL', 'ComputerSystem.Reset has no usable target');
  const allowed = stringList(reset['ResetType@Redfish.AllowableValues'], 'ResetType@Redfish.AllowableValues');
  if (!allowed.ok) return allowed;
  const info = reset['@Redfish.ActionInfo'];
  const actionInfo = typeof info === 'string' && isServicePath(info) ? info : null;
  return cok({ powerState: j['PowerState'], reset: { target, allowed: allowed.value, actionInfo } });
}

/** The ResetType parameter's AllowableValues in an ActionInfo document; null when it lists none. */
export function parseActionInfo(j: Json): ChannelResult<string[] | null> {
  if (!isObject(j)) return cerr('PROTOCOL', 'the ActionInfo is not a JSON object');
  const params = j['Parameters'];
  if (!Array.isArray(params)) return cerr('PROTOCOL', 'the ActionInfo has no Parameters array');
  const p = params.find((x) => isObject(x) && x['Name'] === 'ResetType');
  if (!isObject(p)) return cok(null);
  return stringList(p['AllowableValues'], 'the ResetType AllowableValues');
}

export type TaskOutcome = { done: true } | { done: false };

/** A task monitor's document once it stops answering 202: a Task, or the action's own result. */
export function parseTaskResult(j: Json): ChannelResult<TaskOutcome> {
  if (!isObject(j)) return cerr('PROTOCOL', 'the task monitor answered with something that is not a JSON object');
  const state = j['TaskState'];
  if (state === undefined) return cok({ done: true });
  if (typeof state !== 'string') return cerr('PROTOCOL', 'TaskState is not a string');
  if (state === 'Completed') return cok({ done: true });
  if (['New', 'Starting', 'Running', 'Pending', 'Stopping', 'Suspended', 'Service', 'Interrupted'].includes(state)) return cok({ done: false });
  return cerr('STATE', `the reset task ended ${printable(state, 40)}${messagesOf(j['Messages'])}`);
}

function messagesOf(v: Json | undefined): string {
  if (!Array.isArray(v)) return '';
  const texts = v.flatMap((m) => (isObject(m) && typeof m['Message'] === 'string' ? [m['Message']] : [])).slice(0, 3);
  return texts.length ? `: ${texts.map((t) => printable(t)).join('; ')}` : '';
}

export interface RedfishFault {
  messageIds: string[];
  text: string;
}

/** The `error` object of a failed request (DSP0266 §9.6), for messages; empty when the body carries none. */
export function parseFault(body: Uint8Array | string): RedfishFault {
  const j = parseJson(body);
  if (!j.ok || !isObject(j.value) || !isObject(j.value['error'])) return { messageIds: [], text: '' };
  const e = j.value['error'];
  const ext = Array.isArray(e['@Message.ExtendedInfo']) ? e['@Message.ExtendedInfo'] : [];
  const ids: string[] = [];
  const texts: string[] = [];
  for (const m of ext.slice(0, 8)) {
    if (!isObject(m)) continue;
    if (typeof m['MessageId'] === 'string') ids.push(printable(m['MessageId'], 80));
    if (typeof m['Message'] === 'string') texts.push(printable(m['Message']));
  }
  if (typeof e['code'] === 'string') ids.push(printable(e['code'], 80));
  if (!texts.length && typeof e['message'] === 'string') texts.push(printable(e['message']));
  return { messageIds: ids, text: texts.slice(0, 2).join('; ') };
}

/** A Location header as a path on this service: relative, or absolute on the very same host and port. */
export function locationPath(header: string | undefined, host: string, port: number): ChannelResult<string> {
  if (!header) return cerr('PROTOCOL', 'the reply has no Location header');
  let path = header;
  if (!header.startsWith('/')) {
    let u: URL;
    try {
      u = new URL(header);
    } catch {
      return cerr('PROTOCOL', `the Location header "${printable(header, 80)}" is not a URI`);
    }
    const samePort = (u.port === '' ? (u.protocol === 'http:' ? 80 : 443) : Number(u.port)) === port;
    if (u.hostname.replace(/^\[|\]$/g, '') !== host.toLowerCase() || !samePort) return cerr('PROTOCOL', `the Location header points at another host (${printable(u.host, 80)})`);
    path = u.pathname;
  }
  return isServicePath(path) ? cok(path) : cerr('PROTOCOL', `the Location header "${printable(header, 80)}" is not a path under /redfish/v1`);
}
