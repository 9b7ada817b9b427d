// MeHost over a MeiBus: the device, or the simulated firmware in tests. Each
// query opens its client and closes it after (MeiClient closes when idle), so
// no PTHI connection is held while LME works.

import type { Deadline } from '../channels/types.ts';
import { Lme, type LmeOptions } from '../mei/lme.ts';
import { getOperationalState, setOperationalState, watchdogClient } from '../mei/me-queries.ts';
import { getControlMode, getLocalSystemAccount, getProvisioningState, pthiClient, unprovision } from '../mei/pthi-queries.ts';
import { mok, type MeiBus, type MeiResult } from '../mei/types.ts';
import type { MeHost, OperationalState } from './host.ts';

export function meHost(bus: MeiBus, lme: LmeOptions = {}): MeHost {
  return {
    controlMode: (d) => getControlMode(pthiClient(bus), d),
    provisioningState: (d) => getProvisioningState(pthiClient(bus), d),
    localSystemAccount: (d) => getLocalSystemAccount(pthiClient(bus), d),
    async unprovision(d: Deadline): Promise<MeiResult<void>> {
      const r = await unprovision(pthiClient(bus), d);
      return r.ok ? mok(undefined) : r;
    },
    async operationalState(d: Deadline): Promise<MeiResult<OperationalState>> {
      const r = await getOperationalState(watchdogClient(bus), d);
      if (!r.ok) return r;
      return mok({ newInterface: r.value.newInterface, enabled: r.value.amtEnabled ?? true, tlsEnforced: r.value.tlsOnLocalPorts ?? false });
    },
    enableAmt: (d) => setOperationalState(watchdogClient(bus), true, d),
    openLme: (d) => Lme.open(bus, d, lme),
  };
}
