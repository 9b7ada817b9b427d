// The PTHI and watchdog-client reads the AMT actions share: the operational
// state check (and enabling AMT where the firmware allows it), and the final
// verification of control mode and provisioning state.

import type { Deadline } from '../channels/types.ts';
import type { MeHost } from './host.ts';
import { settle, type SettleOptions } from './settle.ts';
import type { ActionResult, StepLog } from './steps.ts';

export const CONTROL_MODE: Readonly<Record<number, string>> = { 0: 'not activated', 1: 'client control mode', 2: 'admin control mode' };
export const PROVISIONING_STATE: Readonly<Record<number, string>> = { 0: 'pre-provisioning', 1: 'in provisioning', 2: 'post-provisioning' };

/**
 * On ME >= 16.1 AMT may be disabled at the firmware level; the watchdog
 * client's SetAmtOperationalState turns it on (rpc-go does the same before a
 * local activation). Older firmware has no such switch: skipped. Null when
 * the action may go on, otherwise its failed result.
 */
export async function checkOperationalState(host: MeHost, log: StepLog, d: Deadline, o?: SettleOptions): Promise<ActionResult | null> {
  const step = 'read AMT operational state (watchdog client)';
  const op = await host.operationalState(d);
  if (!op.ok) {
    if (op.error.code === 'NO_CLIENT') {
      log.skipped(step, 'the firmware has no watchdog client');
      return null;
    }
    return log.fail(step, op.error);
  }
  if (!op.value.newInterface) {
    log.skipped(step, 'the firmware predates the operational-state interface (ME < 16.1): the BIOS setting decides');
    return null;
  }
  if (op.value.enabled) {
    log.done(step, 'AMT enabled');
    return null;
  }
  log.done(step, 'AMT disabled');
  const en = await host.enableAmt(d);
  if (!en.ok) return log.fail('enable AMT (watchdog client)', en.error);
  log.changed = true;
  const back = await settle((x) => host.operationalState(x), (s) => s.enabled, d, o);
  if (!back.ok) return log.fail('enable AMT (watchdog client)', back.error);
  if (!back.value.enabled) return log.fail('enable AMT (watchdog client)', { code: 'STATE', message: 'the firmware took the request but AMT still reads as disabled' });
  log.done('enable AMT (watchdog client)', 'read back: enabled');
  return null;
}

/** The action's end: control mode and provisioning state read back over PTHI, as asked or a failure. */
export async function verifyMode(host: MeHost, log: StepLog, mode: number, provisioning: number, d: Deadline, o?: SettleOptions): Promise<ActionResult> {
  const m = await settle((x) => host.controlMode(x), (v) => v === mode, d, o);
  if (!m.ok) return log.fail('verify control mode (PTHI)', m.error);
  if (m.value !== mode) return log.fail('verify control mode (PTHI)', { code: 'STATE', message: `control mode reads ${CONTROL_MODE[m.value] ?? m.value}, not ${CONTROL_MODE[mode]}` });
  log.done('verify control mode (PTHI)', CONTROL_MODE[mode] ?? String(mode));
  const p = await settle((x) => host.provisioningState(x), (v) => v === provisioning, d, o);
  if (!p.ok) return log.fail('verify provisioning state (PTHI)', p.error);
  if (p.value !== provisioning) return log.fail('verify provisioning state (PTHI)', { code: 'STATE', message: `provisioning state reads ${PROVISIONING_STATE[p.value] ?? p.value}, not ${PROVISIONING_STATE[provisioning]}` });
  log.done('verify provisioning state (PTHI)', PROVISIONING_STATE[provisioning] ?? String(provisioning));
  return log.ok();
}
