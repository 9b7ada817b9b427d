// Shared by the PDU channel tests: fast ladder timing, a driver opened on a
// test PDU, and a UDP socket that swallows everything (a PDU that never answers).

import dgram from 'node:dgram';
import { pduChannel } from '../../../agent/channels/pdu/index.ts';
import type { ChannelOptions, PowerDriver } from '../../../agent/channels/types.ts';
import { Channel, type VerifyTiming } from '../../../agent/channels/verify.ts';
import type { PduAgent } from './agent.ts';

export const FAST: VerifyTiming = { pollMs: 20, backoffMs: 20, backoffMaxMs: 100, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export const COMMUNITY = 'pdu-C0mmunity-7731';
export const V3 = { name: 'fence', authKey: 'pdu-auth-Key-5512', privKey: 'pdu-priv-Key-2277' };

export function v2c(port: number, outlet: string, extra: Partial<ChannelOptions> = {}, community = COMMUNITY): ChannelOptions {
  return { host: '127.0.0.1', port, params: { outlet, ...(extra.params ?? {}) }, secrets: { 'community-file': community } };
}

export function v3(port: number, outlet: string, keys: { authKey: string; privKey: string } = V3, user = V3.name): ChannelOptions {
  return { host: '127.0.0.1', port, user, params: { outlet }, secrets: { 'auth-file': keys.authKey, 'priv-file': keys.privKey } };
}

export function open(opts: ChannelOptions): PowerDriver {
  const d = pduChannel.open(opts);
  if (!d.ok) throw new Error(`open failed: ${d.error.code} ${d.error.message}`);
  return d.value;
}

export const channel = (opts: ChannelOptions): Channel => new Channel(open(opts), FAST);

/** A UDP socket on loopback that reads every datagram and never answers. */
export async function blackHole(): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  const s = dgram.createSocket('udp4');
  let n = 0;
  s.on('message', () => n++);
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', res));
  return { port: s.address().port, received: () => n, close: () => new Promise((res) => s.close(() => res())) };
}

/** SET varbinds the PDU received, as column.instance=value strings. */
export const setsSeen = (pdu: PduAgent): string[] => pdu.sets().map((s) => `${s.oid}=${String(s.value)}`);
