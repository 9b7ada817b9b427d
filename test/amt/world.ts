// A simulated AMT machine for the action tests: SimulatedMe with PTHI, MKHI,
// the watchdog client and the simulated LME, whose channels reach the fake
// AMT WS-MAN server on loopback (plain, or TLS when the state enforces it).

import { deadlineIn, type Deadline } from '../../agent/channels/types.ts';
import { meHost } from '../../agent/amt/me-host.ts';
import type { MeHost } from '../../agent/amt/host.ts';
import { makeCert } from '../fakes/cert.ts';
import { FakeAmtWsman } from '../fakes/me/amt-wsman.ts';
import type { SimulatedMe } from '../fakes/me/firmware.ts';
import { SimLme, type SimLmeOptions } from '../fakes/me/lme.ts';
import { simulatedAmtMachine } from '../fakes/me/machine.ts';
import type { AmtState } from '../fakes/me/types.ts';

export const PASSWORD = 'Corr3ct-Horse!battery';
export const WRONG = 'not-the-Password-1';
/** Fast settling for tests: the simulated firmware changes state at once. */
export const FAST = { attempts: 3, gapMs: 20 };

export interface World {
  me: SimulatedMe;
  wsman: FakeAmtWsman;
  lme: SimLme;
  host: MeHost;
  d: () => Deadline;
  stop(): Promise<void>;
}

export async function amtWorld(o: { state?: Partial<AmtState>; lme?: SimLmeOptions } = {}): Promise<World> {
  const tls = o.state?.tlsEnforcedOnLocalPorts === true;
  const wsman = new FakeAmtWsman({ knownPasswords: [PASSWORD, WRONG], ...(tls ? { tls: makeCert('Intel(r) AMT') } : {}) });
  await wsman.start();
  const lme = new SimLme(wsman, o.lme);
  const me = simulatedAmtMachine({ ...(o.state ? { state: o.state } : {}), extra: [lme.spec()] });
  return { me, wsman, lme, host: meHost(me), d: () => deadlineIn(10_000), stop: () => wsman.stop() };
}
