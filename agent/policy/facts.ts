// What the planner cannot see on the machine and the org states at enrollment:
// references to the channels outside it (the PDU outlet, the hypervisor's VM
// id, the VPS provider's server id) and the BMC's static LAN address. A
// reference is not a secret (the credentials for those APIs live with the org),
// so a key that names one is refused rather than carried into a plan.
//
// JSON: {"channels": [{"channel": "pdu", "host": "10.0.9.2", "outlet": "web1-psuA"}, ...],
//        "lan": {"ip": "10.0.8.21", "netmask": "255.255.255.0", "gateway": "10.0.8.1"}}

import { readFileSync } from 'node:fs';
import { isChannelName, type ChannelName } from '../channels/registry.ts';
import { checkLanAddress, type LanAddress } from '../ipmi/lan-address.ts';
import type { PolicyResult } from './types.ts';

export interface ChannelRef {
  channel: ChannelName;
  /** Flat, non-secret identifiers: host, outlet, vm, server, region. */
  ref: Record<string, string | number | boolean>;
}

export interface PlanFacts {
  channels: ChannelRef[];
  lan: LanAddress | null;
}

export const NO_FACTS: PlanFacts = { channels: [], lan: null };

/** The node provisions these itself (their credentials are made, not given), so no reference is recorded. */
const PROVISIONED: ReadonlySet<string> = new Set(['amt', 'ipmi', 'redfish', 'dash']);
const SECRET_KEY = /pass|secret|token|key|cred/i;
const MAX_FACTS_FILE = 64 * 1024;
const MAX_REFS = 32;

const bad = (message: string): { ok: false; error: { code: 'MALFORMED'; message: string } } => ({ ok: false, error: { code: 'MALFORMED', message: `facts: ${message}` } });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function factsFromJson(v: unknown): PolicyResult<PlanFacts> {
  if (!isObject(v)) return bad('must be an object');
  for (const k of Object.keys(v)) if (k !== 'channels' && k !== 'lan') return bad(`${k}: unknown key (known: channels, lan)`);
  const channels: ChannelRef[] = [];
  const list = v.channels ?? [];
  if (!Array.isArray(list) || list.length > MAX_REFS) return bad(`channels: must be a list of at most ${MAX_REFS}`);
  for (const [i, c] of list.entries()) {
    const at = `channels[${i}]`;
    if (!isObject(c)) return bad(`${at}: must be an object`);
    const name = c.channel;
    if (typeof name !== 'string' || !isChannelName(name)) return bad(`${at}.channel: not a channel name`);
    if (PROVISIONED.has(name)) return bad(`${at}.channel: ${name} is provisioned by the policy, not referenced`);
    if (channels.some((x) => x.channel === name)) return bad(`${at}.channel: ${name} given twice`);
    const ref: ChannelRef['ref'] = {};
    for (const [k, x] of Object.entries(c)) {
      if (k === 'channel') continue;
      if (SECRET_KEY.test(k)) return bad(`${at}.${k}: a reference carries no secret (credentials stay with the org)`);
      if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(k)) return bad(`${at}.${k}: not a plain key name`);
      if (typeof x === 'string' ? x.length > 256 : typeof x === 'number' ? !Number.isSafeInteger(x) : typeof x !== 'boolean') {
        return bad(`${at}.${k}: must be text (at most 256), a whole number or true/false`);
      }
      ref[k] = x as string | number | boolean;
    }
    if (Object.keys(ref).length === 0) return bad(`${at}: names no identifier (host, outlet, vm, server...)`);
    channels.push({ channel: name, ref });
  }
  let lan: LanAddress | null = null;
  if (v.lan !== undefined && v.lan !== null) {
    const l = v.lan;
    if (!isObject(l)) return bad('lan: must be {ip, netmask, gateway}');
    for (const k of Object.keys(l)) if (!['ip', 'netmask', 'gateway'].includes(k)) return bad(`lan.${k}: unknown key (known: ip, netmask, gateway)`);
    if (typeof l.ip !== 'string' || typeof l.netmask !== 'string' || typeof l.gateway !== 'string') return bad('lan: ip, netmask and gateway are dotted IPv4 text');
    lan = { ip: l.ip, netmask: l.netmask, gateway: l.gateway };
    const why = checkLanAddress(lan);
    if (why) return bad(`lan: ${why}`);
  }
  channels.sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  return { ok: true, value: { channels, lan } };
}

export function readFacts(path: string): PolicyResult<PlanFacts> {
  let text: string;
  try {
    const b = readFileSync(path);
    if (b.length > MAX_FACTS_FILE) return bad(`${path}: larger than ${MAX_FACTS_FILE} bytes`);
    text = b.toString('utf8');
  } catch (e) {
    return { ok: false, error: { code: 'UNREADABLE', message: `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` } };
  }
  try {
    return factsFromJson(JSON.parse(text));
  } catch (e) {
    return bad(`${path}: not JSON: ${(e as Error).message}`);
  }
}
