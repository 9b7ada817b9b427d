// Get Channel Info (IPMI v2.0 §22.24): which channels the BMC has and what
// they are; the LAN ones are where users log in over the network.

import { NETFN, type IpmiRequest } from './messages.ts';
import type { Decoded } from './rmcp.ts';

export const getChannelInfo = (channel: number): IpmiRequest => ({ netFn: NETFN.app, cmd: 0x42, data: Uint8Array.from([channel & 0x0f]) });

/** Channel medium types (table 6-3). */
const MEDIUM: Record<number, string> = {
  0x01: 'IPMB',
  0x02: 'ICMB v1.0',
  0x03: 'ICMB v0.9',
  0x04: '802.3 LAN',
  0x05: 'RS-232',
  0x06: 'other LAN',
  0x07: 'PCI SMBus',
  0x08: 'SMBus v1.x',
  0x09: 'SMBus v2.0',
  0x0a: 'USB 1.x',
  0x0b: 'USB 2.x',
  0x0c: 'system interface',
};
const SESSIONS = ['session-less', 'single-session', 'multi-session', 'session-based'] as const;

export interface ChannelInfo {
  channel: number;
  mediumType: number;
  medium: string;
  protocolType: number;
  sessionSupport: (typeof SESSIONS)[number];
  activeSessions: number;
  /** Where users log in over the network (802.3 or other LAN). */
  lan: boolean;
}

export function parseChannelInfo(data: Uint8Array): Decoded<ChannelInfo> {
  if (data.length < 4) return { ok: false, reason: 'short Get Channel Info reply' };
  const mediumType = (data[1] ?? 0) & 0x7f;
  const s = data[3] ?? 0;
  return {
    ok: true,
    value: {
      channel: (data[0] ?? 0) & 0x0f,
      mediumType,
      medium: MEDIUM[mediumType] ?? `reserved (0x${mediumType.toString(16)})`,
      protocolType: (data[2] ?? 0) & 0x1f,
      sessionSupport: SESSIONS[s >> 6] ?? 'session-less',
      activeSessions: s & 0x3f,
      lan: mediumType === 0x04 || mediumType === 0x06,
    },
  };
}

/** Channels to ask about: 0-0xD and 0xF; 0xE means "this channel", an alias that would list one twice. */
export const CHANNEL_NUMBERS: readonly number[] = [...Array.from({ length: 14 }, (_, i) => i), 0x0f];
