// libvirt for bench/channels: the REAL libvirtd of daemon.ts (not a fake) with its
// diskless TCG domain running, ready for a cycle. Nothing here can delay the
// domain's power changes: start and destroy take what QEMU takes, so `delayMs` is
// ignored, reported as 0, and the label says so.

import type { StartBenchTarget } from '../bench-target.ts';
import { libvirtMissing, startLibvirtd } from './daemon.ts';

export const startLibvirtBench: StartBenchTarget = async () => {
  const missing = libvirtMissing();
  if (missing !== null) throw new Error(`libvirt bench: ${missing}`);
  const lv = await startLibvirtd({ running: true });
  return {
    channel: 'libvirt',
    label: 'libvirt (real libvirtd 9.0 + QEMU TCG, virsh per call; delay ignored: real timing)',
    delayMs: 0,
    opts: { params: { uri: lv.uri, domain: lv.domain } },
    close: () => lv.stop(),
  };
};
