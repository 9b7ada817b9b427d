// The WS-Management calls the AMT activation flows make, over the shared
// digest Transport (agent/channels/wsman/transport.ts): WS-Transfer Get and Put
// of one instance, and extrinsic method invocations that answer a ReturnValue.
// Class URIs and method shapes are Intel's (AMT SDK; go-wsman-messages
// pkg/wsman/{amt,ips,cim}); see shared/reference/amt-me.md 1d and 2.

import { CIM_BASE, envelope, escapeXml, type Built } from '../channels/wsman/envelope.ts';
import type { Transport } from '../channels/wsman/transport.ts';
import { child, type El } from '../channels/wsman/xml.ts';
import { cerr, cok, remainingMs, type ChannelResult, type Deadline } from '../channels/types.ts';

export const AMT_BASE = 'http://intel.com/wbem/wscim/1/amt-schema/1/';
export const IPS_BASE = 'http://intel.com/wbem/wscim/1/ips-schema/1/';
export const TRANSFER = 'http://schemas.xmlsoap.org/ws/2004/09/transfer';

export const CLASS = {
  generalSettings: `${AMT_BASE}AMT_GeneralSettings`,
  setupAndConfiguration: `${AMT_BASE}AMT_SetupAndConfigurationService`,
  redirection: `${AMT_BASE}AMT_RedirectionService`,
  hostBasedSetup: `${IPS_BASE}IPS_HostBasedSetupService`,
  kvmRedirection: `${CIM_BASE}CIM_KVMRedirectionSAP`,
} as const;

const className = (uri: string): string => uri.slice(uri.lastIndexOf('/') + 1);
const clip = (s: string): string => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 120);

/** One request to one instance; AMT's singletons take no selectors. */
export const request = (to: string, action: string, resourceUri: string, body: string, timeoutMs: number): Built => envelope(to, action, resourceUri, timeoutMs, [], body);

/** `<p:NAME>value</p:NAME>` fields of a method input or a Put instance, in the class's namespace. */
function fields(values: ReadonlyArray<readonly [string, string]>): string {
  return values.map(([n, v]) => `<p:${n}>${escapeXml(v)}</p:${n}>`).join('');
}

export class AmtWsman {
  constructor(
    private readonly t: Transport,
    /** The wsa:To address, http(s)://host:port/wsman. */
    private readonly to: string,
  ) {}

  /** WS-Transfer Get of a singleton: the instance element. */
  async get(uri: string, d: Deadline): Promise<ChannelResult<El>> {
    const what = `Get ${className(uri)}`;
    const r = await this.t.call(request(this.to, `${TRANSFER}/Get`, uri, '', remainingMs(d)), what, d);
    if (!r.ok) return r;
    if (r.value.action !== `${TRANSFER}/GetResponse`) return cerr('PROTOCOL', `${what}: the reply's action is ${clip(r.value.action)}`);
    if (r.value.body.ns !== uri || r.value.body.local !== className(uri)) return cerr('PROTOCOL', `${what}: the reply carries {${clip(r.value.body.ns)}}${clip(r.value.body.local)}`);
    return cok(r.value.body);
  }

  /** WS-Transfer Put of a singleton with the given properties; the instance AMT stored comes back. */
  async put(uri: string, values: ReadonlyArray<readonly [string, string]>, d: Deadline): Promise<ChannelResult<El>> {
    const cls = className(uri);
    const what = `Put ${cls}`;
    const body = `<p:${cls} xmlns:p="${escapeXml(uri)}">${fields(values)}</p:${cls}>`;
    const r = await this.t.call(request(this.to, `${TRANSFER}/Put`, uri, body, remainingMs(d)), what, d);
    if (!r.ok) return r;
    if (r.value.action !== `${TRANSFER}/PutResponse`) return cerr('PROTOCOL', `${what}: the reply's action is ${clip(r.value.action)}`);
    return cok(r.value.body);
  }

  /** An extrinsic method: its ReturnValue (0 is success; the caller maps the rest). */
  async invoke(uri: string, method: string, inputs: ReadonlyArray<readonly [string, string]>, d: Deadline): Promise<ChannelResult<number>> {
    const what = `${className(uri)}.${method}`;
    const body = `<p:${method}_INPUT xmlns:p="${escapeXml(uri)}">${fields(inputs)}</p:${method}_INPUT>`;
    const r = await this.t.call(request(this.to, `${uri}/${method}`, uri, body, remainingMs(d)), what, d);
    if (!r.ok) return r;
    if (r.value.action !== `${uri}/${method}Response`) return cerr('PROTOCOL', `${what}: the reply's action is ${clip(r.value.action)}`);
    if (r.value.body.ns !== uri || r.value.body.local !== `${method}_OUTPUT`) return cerr('PROTOCOL', `${what}: the reply is not ${method}_OUTPUT`);
    return uint(child(r.value.body, uri, 'ReturnValue'), `${what} ReturnValue`);
  }
}

/** A property of an instance as a uint32, or a PROTOCOL error naming it. */
export function uint(el: El | undefined, what: string): ChannelResult<number> {
  const t = el?.text.trim() ?? '';
  if (!/^\d{1,10}$/.test(t) || Number(t) > 0xffffffff) return cerr('PROTOCOL', `${what} "${clip(t)}" is not a uint32`);
  return cok(Number(t));
}

export function bool(el: El | undefined, what: string): ChannelResult<boolean> {
  const t = el?.text.trim() ?? '';
  if (t === 'true') return cok(true);
  if (t === 'false') return cok(false);
  return cerr('PROTOCOL', `${what} "${clip(t)}" is not a boolean`);
}

export function text(el: El | undefined, what: string, max = 256): ChannelResult<string> {
  const t = el?.text.trim();
  if (t === undefined || t === '' || t.length > max) return cerr('PROTOCOL', `${what} is missing or oversized`);
  return cok(t);
}
