// `amt.deactivate` for `neutralize`: back to pre-provisioning. CCM needs no
// password (PTHI Unprovision). ACM needs the org's admin password, which is
// sealed to the org's recovery key: the node cannot open it, so the step
// reports that an operator must do it rather than pretend.

import { deactivate } from '../amt/deactivate.ts';
import { meHost } from '../amt/me-host.ts';
import type { Deadline } from '../channels/types.ts';
import type { PlanStep } from './types.ts';
import { describeAction } from './apply-amt.ts';
import { already, done, failed, type ApplyDeps, type RunContext, type StepResult } from './apply-types.ts';

export const NEEDS_OPERATOR = 'needs an operator';

export async function deactivateStep(_s: PlanStep, deps: ApplyDeps, _ctx: RunContext, d: Deadline): Promise<StepResult> {
  const bus = deps.openMei();
  if (!bus.ok) return failed(`no Intel ME: ${bus.error.code}: ${bus.error.message}`);
  const host = meHost(bus.value);
  const mode = await host.controlMode(d);
  if (!mode.ok) return failed(`read control mode (PTHI): ${mode.error.code}: ${mode.error.message}; nothing changed`);
  if (mode.value === 2) {
    return failed(`${NEEDS_OPERATOR}: AMT is in admin control mode, and unprovisioning it needs the org's admin password, which only an operator can open (agent vault open, then agent amt deactivate --password-file F)`);
  }
  if (mode.value === 0) {
    const prov = await host.provisioningState(d);
    if (!prov.ok) return failed(`read provisioning state (PTHI): ${prov.error.code}: ${prov.error.message}; nothing changed`);
    if (prov.value === 0) return already('AMT is not activated (pre-provisioning)');
  }
  const r = await deactivate(host, deps.settle ? { settle: deps.settle } : {}, d);
  return r.ok ? done(`pre-provisioning, verified over PTHI (${describeAction(r)})`) : failed(describeAction(r));
}
