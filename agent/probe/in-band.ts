// The probes that ask firmware instead of reading files: PTHI, MKHI and the
// watchdog client over MEI (agent/mei/), and the BMC over /dev/ipmi0
// (agent/ipmi/). They run only on a live machine: a --root fixture tree has no
// devices to open, so there they say "not asked" and why. Each is bounded by
// its own deadline and runs beside the other, so a BMC that never answers
// costs the report its timeout, not a hang.

import { networkInterfaces } from 'node:os';
import { deadlineIn } from '../channels/types.ts';
import { openDeviceBus } from '../mei/device.ts';
import type { MeiBus, MeiResult } from '../mei/types.ts';
import { probeAmtInBand, type AmtLive, type MeiLive } from './amt-live.ts';
import { probeBmcInBand, type BmcInBand, type BmcInBandOptions } from './bmc-live.ts';

export interface NotAsked {
  unavailable: string;
}

export interface InBand {
  amt: AmtLive | NotAsked;
  mei: MeiLive | NotAsked;
  bmc: BmcInBand | NotAsked;
}

export const notAsked = (why: string): InBand => ({ amt: { unavailable: why }, mei: { unavailable: why }, bmc: { unavailable: why } });

export interface InBandOptions {
  /** Tests hand in the simulated ME; the default opens /dev/mei0..3. */
  openMei?: () => MeiResult<MeiBus>;
  openBmc?: BmcInBandOptions['open'];
  timeoutMs?: number;
}

/** Bounded: 15 s is what rpc-go gives a slow ME before calling it absent. */
const DEFAULT_TIMEOUT_MS = 15_000;

export async function askInBand(o: InBandOptions = {}): Promise<InBand> {
  const ms = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const mei = (o.openMei ?? (() => openDeviceBus()))();
  const [me, bmc] = await Promise.all([
    mei.ok
      ? probeAmtInBand(mei.value, deadlineIn(ms), { osInterfaces: networkInterfaces })
      : Promise.resolve({ amt: { unavailable: mei.error.message }, mei: { unavailable: mei.error.message } }),
    probeBmcInBand({ timeoutMs: ms, ...(o.openBmc ? { open: o.openBmc } : {}) }),
  ]);
  return { amt: me.amt, mei: me.mei, bmc };
}
