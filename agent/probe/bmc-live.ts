// The BMC asked in band, for `agent report`: what bmc-info.ts reads through
// /dev/ipmi0, or why it could not be asked (no device node, permission, a BMC
// that does not answer). Passwords are never read, so none can leak here.

import { deadlineIn, type ChannelResult } from '../channels/types.ts';
import { readBmcInfo, type BmcInfo } from '../ipmi/bmc-info.ts';
import { IpmiDevice } from '../ipmi/device.ts';
import type { IpmiTransport } from '../ipmi/transport.ts';

export type BmcInBand = ({ devicePath: string } & BmcInfo) | { unavailable: string };

export interface BmcInBandOptions {
  /** Opens the device; tests pass a transport to a simulated or LAN BMC. */
  open?: () => ChannelResult<{ path: string; transport: IpmiTransport; close(): void }>;
  /** For the whole read; the user table of a 63-slot BMC is ~130 commands. */
  timeoutMs?: number;
}

const openDevice = (): ChannelResult<{ path: string; transport: IpmiTransport; close(): void }> => {
  const r = IpmiDevice.open();
  return r.ok ? { ok: true, value: { path: r.value.path, transport: r.value, close: () => r.value.close() } } : r;
};

export async function probeBmcInBand(o: BmcInBandOptions = {}): Promise<BmcInBand> {
  const dev = (o.open ?? openDevice)();
  if (!dev.ok) return { unavailable: `${dev.error.code}: ${dev.error.message}` };
  try {
    const info = await readBmcInfo(dev.value.transport, deadlineIn(o.timeoutMs ?? 30_000));
    return { devicePath: dev.value.path, ...info };
  } finally {
    dev.value.close();
  }
}
