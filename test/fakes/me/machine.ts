// A simulated ME with the clients amtinfo talks to (PTHI, MKHI, watchdog), for
// tests that want "a believable AMT 16.1 Corporate machine" in one line. LME is
// added by whoever needs it: pass extra specs.

import { SimulatedMe } from './firmware.ts';
import { defaultMkhiConfig, mkhiSpec, type SimMkhiConfig } from './mkhi.ts';
import { pthiSpec } from './pthi.ts';
import type { AmtState, SimClientSpec } from './types.ts';
import { watchdogSpec } from './watchdog.ts';

export function simulatedAmtMachine(opts: { state?: Partial<AmtState>; mkhi?: SimMkhiConfig; extra?: SimClientSpec[] } = {}): SimulatedMe {
  return new SimulatedMe({
    clients: [pthiSpec(), mkhiSpec(opts.mkhi ?? defaultMkhiConfig()), watchdogSpec(), ...(opts.extra ?? [])],
    ...(opts.state ? { state: opts.state } : {}),
  });
}
