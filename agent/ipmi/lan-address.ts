// A static IPv4 address for a BMC LAN channel (LAN parameters 4, 3, 6, 12),
// written inside "set in progress" where the BMC has it (parameter 0: 1 set
// in progress, 2 commit write, 0 set complete; a BMC that answers 80h has no
// such lock and takes each write at once). Read back afterwards: success is
// what the BMC then reports, not what it answered.

import type { Deadline } from '../channels/types.ts';
import { getLanConfig, LAN_PARAM, parseIpSource, parseIpv4, setLanConfig } from './lan-config.ts';
import { stepFromError, type Step } from './steps.ts';
import { call, type IpmiTransport } from './transport.ts';

export interface LanAddress {
  ip: string;
  netmask: string;
  gateway: string;
}

export interface LanAddressResult {
  ok: boolean;
  channel: number;
  steps: Step[];
}

const octets = (s: string): number[] | null => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  const v = m ? m.slice(1).map(Number) : null;
  return v && v.every((n) => n <= 255) ? v : null;
};

/** Why the address is unusable, or null. */
export function checkLanAddress(a: LanAddress): string | null {
  const ip = octets(a.ip);
  const mask = octets(a.netmask);
  const gw = octets(a.gateway);
  if (!ip || !mask || !gw) return 'addresses must be dotted IPv4 (a.b.c.d)';
  const m = mask.reduce((acc, o) => (acc << 8) | o, 0) >>> 0;
  if (m === 0 || ((~m >>> 0) & ((~m >>> 0) + 1)) !== 0) return `netmask ${a.netmask} is not contiguous`;
  const net = (o: number[]): number => (o.reduce((acc, x) => (acc << 8) | x, 0) & m) >>> 0;
  if (net(ip) !== net(gw)) return `gateway ${a.gateway} is not in ${a.ip}/${a.netmask}`;
  return null;
}

const NO_LOCK = 0x80;

export async function setLanAddress(t: IpmiTransport, channel: number, a: LanAddress, d: Deadline): Promise<LanAddressResult> {
  const steps: Step[] = [];
  const end = (): LanAddressResult => ({ ok: steps.every((s) => s.outcome === 'done' || s.outcome === 'not-applicable'), channel, steps });
  const bytes = (s: string): Uint8Array => Uint8Array.from(octets(s) ?? []);
  const param = (p: number, data: Uint8Array, what: string) => call(t, setLanConfig(channel, p, data), d, `Set LAN Configuration Parameters ${p} (${what})`);

  const lock = await param(LAN_PARAM.setInProgress, Uint8Array.from([1]), 'set in progress');
  let locked = false;
  if (lock.ok) {
    locked = true;
    steps.push({ step: `channel ${channel}: set in progress`, outcome: 'done' });
  } else if (lock.error.code === 'REFUSED' && lock.error.completion === NO_LOCK) {
    steps.push({ step: `channel ${channel}: set in progress`, outcome: 'not-applicable', detail: 'the BMC has no set-in-progress lock' });
  } else {
    steps.push(stepFromError(`channel ${channel}: set in progress`, lock.error));
    return end();
  }
  const writes: [number, Uint8Array, string][] = [
    [LAN_PARAM.ipSource, Uint8Array.from([1]), 'IP address source static'],
    [LAN_PARAM.ipAddress, bytes(a.ip), `IP address ${a.ip}`],
    [LAN_PARAM.netmask, bytes(a.netmask), `subnet mask ${a.netmask}`],
    [LAN_PARAM.gateway, bytes(a.gateway), `default gateway ${a.gateway}`],
  ];
  let failed = false;
  for (const [p, data, what] of writes) {
    const step = `channel ${channel}: ${what}`;
    if (failed) {
      steps.push({ step, outcome: 'skipped' });
      continue;
    }
    const r = await param(p, data, what);
    steps.push(r.ok ? { step, outcome: 'done' } : stepFromError(step, r.error));
    failed = !r.ok;
  }
  if (locked) {
    // Commit only a complete set; "set complete" without commit rolls back on BMCs that keep a rollback copy.
    if (!failed) {
      const c = await param(LAN_PARAM.setInProgress, Uint8Array.from([2]), 'commit write');
      steps.push(c.ok ? { step: `channel ${channel}: commit write`, outcome: 'done' } : stepFromError(`channel ${channel}: commit write`, c.error));
    }
    const done = await param(LAN_PARAM.setInProgress, Uint8Array.from([0]), 'set complete');
    steps.push(done.ok ? { step: `channel ${channel}: set complete`, outcome: 'done' } : stepFromError(`channel ${channel}: set complete`, done.error));
  }
  // What the BMC holds now, whatever it answered above.
  const read = async <T>(p: number, parse: (b: Buffer) => { ok: true; value: T } | { ok: false; reason: string }): Promise<T | string> => {
    const r = await call(t, getLanConfig(channel, p), d, `Get LAN Configuration Parameters ${p}`);
    if (!r.ok) return `unreadable (${r.error.message})`;
    const v = parse(r.value);
    return v.ok ? v.value : `unreadable (${v.reason})`;
  };
  const now = {
    source: await read(LAN_PARAM.ipSource, parseIpSource),
    ip: await read(LAN_PARAM.ipAddress, (b) => parseIpv4(b, 'IP address')),
    netmask: await read(LAN_PARAM.netmask, (b) => parseIpv4(b, 'subnet mask')),
    gateway: await read(LAN_PARAM.gateway, (b) => parseIpv4(b, 'default gateway')),
  };
  const same = now.source === 'static' && now.ip === a.ip && now.netmask === a.netmask && now.gateway === a.gateway;
  steps.push({ step: `channel ${channel}: read back`, outcome: same ? 'done' : 'failed', detail: `${now.source} ${now.ip}/${now.netmask} via ${now.gateway}` });
  return end();
}
