// bench/channels targets for Proxmox VE: a QEMU VM on a two-node cluster over
// pinned HTTPS, with an API token, and with a ticket login (CSRF on every POST).

import type { BenchTarget, StartBenchTarget } from '../bench-target.ts';
import { startPve } from './harness.ts';

async function target(delayMs: number, auth: 'token' | 'ticket'): Promise<BenchTarget> {
  const rig = await startPve(['pve1', 'pve2']);
  rig.fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve2', power: 'on', delayMs });
  return { channel: 'proxmox', label: `proxmox (qemu, ${auth}, node looked up)`, delayMs, opts: auth === 'token' ? rig.token() : rig.ticket(), close: () => rig.close() };
}

export const proxmoxToken: StartBenchTarget = (delayMs) => target(delayMs, 'token');
export const proxmoxTicket: StartBenchTarget = (delayMs) => target(delayMs, 'ticket');
