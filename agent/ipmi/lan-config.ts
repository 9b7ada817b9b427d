// LAN Configuration Parameters (IPMI v2.0 §23.1-23.2, table 23-4) of one LAN
// channel: address, its source, mask, gateway, MAC, VLAN, and the RMCP+
// cipher suites with the highest privilege each may reach. Parameter 24's
// nibbles follow the ENTRIES of parameter 23 in order, not the suite numbers.

import type { Deadline } from '../channels/types.ts';
import type { IpmiRequest } from './messages.ts';
import { PRIVILEGE } from './users.ts';
import type { Decoded } from './rmcp.ts';
import { call, type CallError, type IpmiTransport } from './transport.ts';

export const NETFN_TRANSPORT = 0x0c;
export const LAN_CMD = { set: 0x01, get: 0x02 } as const;
export const LAN_PARAM = {
  setInProgress: 0,
  ipAddress: 3,
  ipSource: 4,
  mac: 5,
  netmask: 6,
  gateway: 12,
  vlan: 20,
  cipherSuiteCount: 22,
  cipherSuites: 23,
  cipherPrivileges: 24,
} as const;
/** Entries parameter 24 has room for: 8 bytes of two nibbles. */
export const MAX_CIPHER_ENTRIES = 16;

export const getLanConfig = (channel: number, param: number): IpmiRequest => ({ netFn: NETFN_TRANSPORT, cmd: LAN_CMD.get, data: Uint8Array.from([channel & 0x0f, param, 0, 0]) });
export const setLanConfig = (channel: number, param: number, data: Uint8Array): IpmiRequest => ({ netFn: NETFN_TRANSPORT, cmd: LAN_CMD.set, data: Uint8Array.from([channel & 0x0f, param, ...data]) });

/** The parameter's data after its revision byte. */
export function parseParam(data: Uint8Array, size: number, what: string): Decoded<Uint8Array> {
  if (data.length < 1 + size) return { ok: false, reason: `short ${what} (${Math.max(0, data.length - 1)} of ${size} bytes)` };
  return { ok: true, value: data.subarray(1, 1 + size) };
}

const SOURCES = ['unspecified', 'static', 'dhcp', 'bios', 'other'] as const;
export type IpSource = (typeof SOURCES)[number] | 'reserved';

export function parseIpSource(data: Uint8Array): Decoded<IpSource> {
  const p = parseParam(data, 1, 'IP address source');
  return p.ok ? { ok: true, value: SOURCES[(p.value[0] ?? 0) & 0x0f] ?? 'reserved' } : p;
}

export function parseIpv4(data: Uint8Array, what: string): Decoded<string> {
  const p = parseParam(data, 4, what);
  return p.ok ? { ok: true, value: [...p.value].join('.') } : p;
}

export function parseMac(data: Uint8Array): Decoded<string> {
  const p = parseParam(data, 6, 'MAC address');
  return p.ok ? { ok: true, value: [...p.value].map((b) => b.toString(16).padStart(2, '0')).join(':') } : p;
}

export interface Vlan {
  enabled: boolean;
  id: number;
}

export function parseVlan(data: Uint8Array): Decoded<Vlan> {
  const p = parseParam(data, 2, '802.1q VLAN ID');
  if (!p.ok) return p;
  const hi = p.value[1] ?? 0;
  return { ok: true, value: { enabled: (hi & 0x80) !== 0, id: (p.value[0] ?? 0) | ((hi & 0x0f) << 8) } };
}

export function parseCipherCount(data: Uint8Array): Decoded<number> {
  const p = parseParam(data, 1, 'cipher suite entry count');
  return p.ok ? { ok: true, value: (p.value[0] ?? 0) & 0x1f } : p;
}

/** Suite IDs of parameter 23, in entry order; the first data byte is reserved. */
export function parseCipherSuites(data: Uint8Array, count: number): Decoded<number[]> {
  const p = parseParam(data, 1, 'cipher suite entries');
  if (!p.ok) return p;
  const ids = [...data.subarray(2)].slice(0, Math.min(count, MAX_CIPHER_ENTRIES));
  if (ids.length < Math.min(count, MAX_CIPHER_ENTRIES)) return { ok: false, reason: `cipher suite entries: ${ids.length} of ${count}` };
  return { ok: true, value: ids.map((b) => b & 0x3f) };
}

/** Parameter 24: a reserved byte, then the privilege of entry 2k in the low nibble and 2k+1 in the high one. */
export function parseCipherPrivileges(data: Uint8Array): Decoded<number[]> {
  const p = parseParam(data, 9, 'cipher suite privilege levels');
  if (!p.ok) return p;
  const out: number[] = [];
  for (let i = 0; i < MAX_CIPHER_ENTRIES; i++) {
    const b = p.value[1 + (i >> 1)] ?? 0;
    out.push(i & 1 ? b >> 4 : b & 0x0f);
  }
  return { ok: true, value: out };
}

export function encodeCipherPrivileges(privs: readonly number[]): Uint8Array {
  const b = new Uint8Array(9);
  privs.slice(0, MAX_CIPHER_ENTRIES).forEach((v, i) => {
    const at = 1 + (i >> 1);
    b[at] = (b[at] ?? 0) | (i & 1 ? (v & 0x0f) << 4 : v & 0x0f);
  });
  return b;
}

export interface CipherEntry {
  entry: number;
  suite: number;
  /** Highest privilege a session on this suite may have; 0 = the suite is unused. */
  privilege: number | null;
  privilegeName: string | null;
}

export interface LanConfig {
  channel: number;
  ipSource: IpSource | null;
  ipAddress: string | null;
  netmask: string | null;
  gateway: string | null;
  mac: string | null;
  vlan: Vlan | null;
  cipherSuites: CipherEntry[] | null;
  /** Parameters the BMC refused or answered wrongly, with why. */
  errors: string[];
}

export const privilegeName = (p: number): string => PRIVILEGE[p] ?? (p === 0 ? 'unused' : `reserved (${p})`);

type Read = { ok: true; value: Buffer } | { ok: false; error: CallError };

/** Reads every parameter; one the BMC refuses is null with its reason. A transport error ends the read. */
export async function readLanConfig(t: IpmiTransport, channel: number, d: Deadline): Promise<{ ok: true; value: LanConfig } | { ok: false; error: CallError }> {
  const errors: string[] = [];
  let broken: CallError | null = null;
  const get = async <T>(param: number, name: string, parse: (b: Buffer) => Decoded<T>): Promise<T | null> => {
    if (broken) return null;
    const r: Read = await call(t, getLanConfig(channel, param), d, `Get LAN Configuration Parameters ${param} (${name})`);
    if (!r.ok) {
      if (r.error.code === 'REFUSED') errors.push(r.error.message);
      else broken = r.error;
      return null;
    }
    const p = parse(r.value);
    if (!p.ok) errors.push(`${name}: ${p.reason}`);
    return p.ok ? p.value : null;
  };
  const ipSource = await get(LAN_PARAM.ipSource, 'IP address source', parseIpSource);
  const ipAddress = await get(LAN_PARAM.ipAddress, 'IP address', (b) => parseIpv4(b, 'IP address'));
  const netmask = await get(LAN_PARAM.netmask, 'subnet mask', (b) => parseIpv4(b, 'subnet mask'));
  const gateway = await get(LAN_PARAM.gateway, 'default gateway', (b) => parseIpv4(b, 'default gateway'));
  const mac = await get(LAN_PARAM.mac, 'MAC address', parseMac);
  const vlan = await get(LAN_PARAM.vlan, '802.1q VLAN ID', parseVlan);
  const count = await get(LAN_PARAM.cipherSuiteCount, 'cipher suite entry count', parseCipherCount);
  const ids = count === null ? null : await get(LAN_PARAM.cipherSuites, 'cipher suite entries', (b) => parseCipherSuites(b, count));
  const privs = ids === null ? null : await get(LAN_PARAM.cipherPrivileges, 'cipher suite privilege levels', parseCipherPrivileges);
  if (broken) return { ok: false, error: broken };
  const cipherSuites = ids?.map((suite, entry) => {
    const p = privs?.[entry] ?? null;
    return { entry, suite, privilege: p, privilegeName: p === null ? null : privilegeName(p) };
  }) ?? null;
  return { ok: true, value: { channel, ipSource, ipAddress, netmask, gateway, mac, vlan, cipherSuites, errors } };
}
