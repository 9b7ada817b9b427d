// The in-band ME/AMT part of `agent report`: unlike the other probes it talks to
// the firmware (over MEI), so it runs only on a live machine, never on a --root
// fixture tree. `amt` is what `agent amt info` prints; `mei` is the MKHI firmware
// version and capability rules. No ME at all gives `{ unavailable: reason }`.

import type { Deadline } from '../channels/types.ts';
import { amtInfo, type AmtInfo, type AmtInfoOptions } from '../mei/amtinfo.ts';
import { meFirmwareInfo, type MeFirmwareInfo } from '../mei/fwinfo.ts';
import type { MeiBus, MeiError } from '../mei/types.ts';

export type AmtLive = AmtInfo | { unavailable: string; error: MeiError };
export type MeiLive = MeFirmwareInfo | { unavailable: string; error: MeiError };

export interface AmtInBand {
  amt: AmtLive;
  mei: MeiLive;
}

export async function probeAmtInBand(bus: MeiBus, d: Deadline, opts: AmtInfoOptions = {}): Promise<AmtInBand> {
  const fw = await meFirmwareInfo(bus, d);
  const fwErr = fw.errors.fwVersion;
  const mei: MeiLive = fwErr && (fwErr.code === 'NO_DEVICE' || fwErr.code === 'PERMISSION') ? { unavailable: unavailableText(fwErr), error: fwErr } : fw;
  const info = await amtInfo(bus, d, opts);
  const aErr = info.errors.amt;
  const amt: AmtLive = aErr && (aErr.code === 'NO_DEVICE' || aErr.code === 'NO_CLIENT' || aErr.code === 'PERMISSION') ? { unavailable: unavailableText(aErr), error: aErr } : info;
  return { amt, mei };
}

function unavailableText(e: MeiError): string {
  switch (e.code) {
    case 'NO_DEVICE':
      return 'no MEI device (no Intel ME, or the mei_me driver is not loaded)';
    case 'NO_CLIENT':
      return 'the ME has no AMT host interface (PTHI): no AMT on this SKU, or AMT disabled';
    case 'PERMISSION':
      return 'not allowed to open the MEI device (run as root)';
    default:
      return e.message;
  }
}
