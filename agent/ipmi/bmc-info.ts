// Everything the BMC says about itself through one transport: Get Device ID,
// Get Self Test Results, the channels, each LAN channel's configuration and
// the user table. A refused query is noted and the rest still read; a dead
// transport ends the read and says where.

import type { Deadline } from '../channels/types.ts';
import { CHANNEL_NUMBERS, getChannelInfo, parseChannelInfo, type ChannelInfo } from './channels.ts';
import { readLanConfig, type LanConfig } from './lan-config.ts';
import { getDeviceId, parseDeviceId, type DeviceId } from './messages.ts';
import { getSelfTestResults, parseSelfTest, type SelfTest } from './self-test.ts';
import { call, type CallError, type IpmiTransport } from './transport.ts';
import { readUsers, type UserTable } from './users.ts';

export interface BmcInfo {
  device: DeviceId | null;
  selfTest: SelfTest | null;
  channels: ChannelInfo[];
  lan: LanConfig[];
  users: UserTable | null;
  /** Queries refused or answered wrongly, and the transport error that ended the read, if one did. */
  errors: string[];
  /** False when the transport failed part-way: what follows that point was not read. */
  complete: boolean;
}

/** Channels that exist: the ones whose Get Channel Info is answered (absent ones answer 0xCC or 0xCB). */
export async function readChannels(t: IpmiTransport, d: Deadline): Promise<{ ok: true; value: ChannelInfo[] } | { ok: false; error: CallError }> {
  const out: ChannelInfo[] = [];
  for (const n of CHANNEL_NUMBERS) {
    const r = await call(t, getChannelInfo(n), d, `Get Channel Info (channel ${n})`);
    if (!r.ok) {
      if (r.error.code === 'REFUSED') continue;
      return r;
    }
    const p = parseChannelInfo(r.value);
    // A BMC that answers for another channel than asked is not describing this one.
    if (p.ok && p.value.channel === n) out.push(p.value);
  }
  return { ok: true, value: out };
}

export async function readBmcInfo(t: IpmiTransport, d: Deadline): Promise<BmcInfo> {
  const info: BmcInfo = { device: null, selfTest: null, channels: [], lan: [], users: null, errors: [], complete: false };
  const broke = (e: CallError): BmcInfo => {
    info.errors.push(`${e.code}: ${e.message}`);
    return info;
  };
  const id = await call(t, getDeviceId(), d, 'Get Device ID');
  if (!id.ok && id.error.code !== 'REFUSED') return broke(id.error);
  if (id.ok) {
    const p = parseDeviceId(id.value);
    if (p.ok) info.device = p.value;
    else info.errors.push(p.reason);
  } else info.errors.push(id.error.message);

  const st = await call(t, getSelfTestResults(), d, 'Get Self Test Results');
  if (!st.ok && st.error.code !== 'REFUSED') return broke(st.error);
  if (st.ok) {
    const p = parseSelfTest(st.value);
    if (p.ok) info.selfTest = p.value;
    else info.errors.push(p.reason);
  } else info.errors.push(st.error.message);

  const ch = await readChannels(t, d);
  if (!ch.ok) return broke(ch.error);
  info.channels = ch.value;
  const lanChannels = ch.value.filter((c) => c.lan).map((c) => c.channel);
  for (const c of lanChannels) {
    const l = await readLanConfig(t, c, d);
    if (!l.ok) return broke(l.error);
    info.lan.push(l.value);
  }
  const u = await readUsers(t, lanChannels, d);
  if (!u.ok) {
    if (u.error.code !== 'REFUSED') return broke(u.error);
    info.errors.push(u.error.message);
  } else info.users = u.value;
  info.complete = true;
  return info;
}
