// `agent amt deactivate`: back to pre-provisioning (amt-me.md 1d). CCM: the
// password-less PTHI Unprovision, as rpc-go does since its PR #1345. ACM:
// AMT_SetupAndConfigurationService.Unprovision(ProvisioningMode=1) over LME
// as admin, which needs the admin password. Either way the result is the
// control mode and provisioning state read back over PTHI; a lost WS-MAN
// reply is settled by that read-back too.

import type { Deadline } from '../channels/types.ts';
import { unprovision } from './calls.ts';
import type { MeHost } from './host.ts';
import { wsmanAs } from './link.ts';
import { CONTROL_MODE, verifyMode } from './me-state.ts';
import { AmtSession, replyLost } from './session.ts';
import { leavingTimeFor, VERIFY_RESERVE_MS, type SettleOptions } from './settle.ts';
import { StepLog, type ActionResult } from './steps.ts';

export interface DeactivateOptions {
  /** The admin password; needed only in admin control mode. */
  password?: string;
  settle?: SettleOptions;
}

export async function deactivate(host: MeHost, o: DeactivateOptions, d: Deadline): Promise<ActionResult> {
  const log = new StepLog('deactivate');
  const mode = await host.controlMode(d);
  if (!mode.ok) return log.fail('read control mode (PTHI)', mode.error);
  log.done('read control mode (PTHI)', CONTROL_MODE[mode.value] ?? `unknown (${mode.value})`);
  if (mode.value === 0) {
    const prov = await host.provisioningState(d);
    if (!prov.ok) return log.fail('read provisioning state (PTHI)', prov.error);
    if (prov.value === 0) {
      log.done('read provisioning state (PTHI)', 'pre-provisioning: nothing to do');
      return log.ok();
    }
    // Stuck in provisioning (a setup that stopped half-way): PTHI Unprovision clears it, as rpc-go does.
    log.done('read provisioning state (PTHI)', `provisioning state ${prov.value}: clearing it`);
    return pthiUnprovision(host, log, o, d);
  }
  if (mode.value === 1) return pthiUnprovision(host, log, o, d);
  if (mode.value !== 2) return log.fail('check control mode', { code: 'PROTOCOL', message: `control mode ${mode.value} is not 0, 1 or 2` });
  if (o.password === undefined) return log.fail('check the admin password', { code: 'CONFIG', message: 'AMT is in admin control mode: deactivating needs the admin password (--password-file)' });

  const lme = new AmtSession(host);
  try {
    const link = await lme.link(d);
    if (!link.ok) return log.fail('open LME and the WS-MAN link', link.error);
    log.done('open LME and the WS-MAN link', `port ${link.value.port}${link.value.tls ? ' (TLS)' : ' (HTTP)'}`);
    const r = await unprovision(wsmanAs(link.value, { user: 'admin', password: o.password }), leavingTimeFor(d, VERIFY_RESERVE_MS));
    if (!r.ok && !replyLost(r.error.code)) return log.fail('AMT_SetupAndConfigurationService.Unprovision', r.error);
    log.changed = r.ok;
    log.done('AMT_SetupAndConfigurationService.Unprovision', r.ok ? 'ReturnValue 0' : `sent; no reply (${r.error.code}): verified below over PTHI`);
  } finally {
    await lme.close();
  }
  const v = await verifyMode(host, log, 0, 0, d, o.settle);
  if (v.ok) v.changed = true;
  return v;
}

async function pthiUnprovision(host: MeHost, log: StepLog, o: DeactivateOptions, d: Deadline): Promise<ActionResult> {
  const u = await host.unprovision(leavingTimeFor(d, VERIFY_RESERVE_MS));
  if (!u.ok && !replyLost(u.error.code)) return log.fail('Unprovision (PTHI)', u.error);
  log.changed = u.ok;
  log.done('Unprovision (PTHI)', u.ok ? 'AMT_STATUS_SUCCESS' : `sent; no reply (${u.error.code}): verified below`);
  const v = await verifyMode(host, log, 0, 0, d, o.settle);
  if (v.ok) v.changed = true;
  return v;
}
