// bench/channels' Wake-on-LAN row: the FAKE sleeping NIC (nic.ts) on loopback,
// reached by unicast (a broadcast would leave loopback). The channel cannot
// read state, so what the bench times is the send alone (three copies, 100 ms
// apart) and the row says the result is unverified.

import type { BenchTarget, StartBenchTarget } from '../bench-target.ts';
import { FakeNic } from './nic.ts';

export const BENCH_MAC = '52:54:00:12:34:56';

/** The target and the NIC behind it, for a test that checks what arrived. */
export async function startWolNicBench(delayMs: number): Promise<{ target: BenchTarget; nic: FakeNic }> {
  const nic = await FakeNic.start({ mac: BENCH_MAC, delayMs });
  return {
    nic,
    target: {
      channel: 'wol',
      label: 'wol (UDP to a loopback listener; unverified: WoL cannot read state)',
      delayMs,
      opts: { host: nic.host, port: nic.port, params: { mac: BENCH_MAC } },
      close: () => nic.close(),
    },
  };
}

export const startWolBench: StartBenchTarget = async (delayMs) => (await startWolNicBench(delayMs)).target;
