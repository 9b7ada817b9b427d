// `agent amt activate --ccm`: host-based setup into client control mode, as
// rpc-go's local CCM activation does it (amt-me.md 1d): control mode must be
// 0; AMT enabled through the watchdog client where the firmware has the new
// interface; the local system account over PTHI; over LME, the digest realm
// from AMT_GeneralSettings, then IPS_HostBasedSetupService.Setup with
// MD5("admin:" realm ":" password); CommitChanges as admin where TLS is
// enforced on the local ports. A lost reply is settled by re-reading the
// control mode over PTHI, never assumed (a changing request's wait ends early
// enough to leave time for that), and success is the PTHI read-back.
//
// Already in CCM: success only if the given password is the admin password
// (an authenticated Get as admin), so a rerun is idempotent and a machine
// activated by someone else is reported, not taken over. ACM: refused.

import type { Deadline } from '../channels/types.ts';
import { adminDigest, commitChanges, digestRealm, hostBasedSetup } from './calls.ts';
import type { MeHost } from './host.ts';
import { wsmanAs } from './link.ts';
import { checkOperationalState, CONTROL_MODE, verifyMode } from './me-state.ts';
import { AmtSession, replyLost } from './session.ts';
import { leavingTimeFor, settle, VERIFY_RESERVE_MS, type SettleOptions } from './settle.ts';
import { StepLog, type ActionResult } from './steps.ts';

export interface ActivateOptions {
  password: string;
  settle?: SettleOptions;
}

export async function activateCcm(host: MeHost, o: ActivateOptions, d: Deadline): Promise<ActionResult> {
  const log = new StepLog('activate');
  const mode = await host.controlMode(d);
  if (!mode.ok) return log.fail('read control mode (PTHI)', mode.error);
  log.done('read control mode (PTHI)', CONTROL_MODE[mode.value] ?? `unknown (${mode.value})`);
  const lme = new AmtSession(host);
  try {
    if (mode.value === 1) return await alreadyCcm(lme, o, log, d);
    if (mode.value !== 0) return log.fail('check control mode', { code: 'STATE', message: `AMT is in ${CONTROL_MODE[mode.value] ?? `control mode ${mode.value}`}; deactivate it first` });
    const prov = await host.provisioningState(d);
    if (!prov.ok) return log.fail('read provisioning state (PTHI)', prov.error);
    if (prov.value !== 0) return log.fail('read provisioning state (PTHI)', { code: 'STATE', message: `provisioning state is ${prov.value}, not pre-provisioning; deactivate first` });
    log.done('read provisioning state (PTHI)', 'pre-provisioning');
    const op = await checkOperationalState(host, log, d, o.settle);
    if (op !== null) return op;
    const lsa = await host.localSystemAccount(d);
    if (!lsa.ok) return log.fail('read local system account (PTHI)', lsa.error);
    log.done('read local system account (PTHI)', `user ${lsa.value.user}`);

    const link = await lme.link(d);
    if (!link.ok) return log.fail('open LME and the WS-MAN link', link.error);
    log.done('open LME and the WS-MAN link', `port ${link.value.port}${link.value.tls ? ` (TLS, pinned sha256:${link.value.pin?.toString('hex')})` : ' (HTTP)'}`);
    const asLsa = wsmanAs(link.value, { user: lsa.value.user, password: lsa.value.revealPassword() });
    const realm = await digestRealm(asLsa, d);
    if (!realm.ok) return log.fail('Get AMT_GeneralSettings', realm.error);
    log.done('Get AMT_GeneralSettings', `DigestRealm ${realm.value}`);

    const setup = await hostBasedSetup(asLsa, adminDigest(realm.value, o.password), leavingTimeFor(d, VERIFY_RESERVE_MS));
    if (setup.ok) {
      log.changed = true;
      log.done('IPS_HostBasedSetupService.Setup', 'ReturnValue 0');
    } else if (replyLost(setup.error.code)) {
      log.done('IPS_HostBasedSetupService.Setup', `sent; no reply (${setup.error.code}): the control mode tells whether it took effect`);
      const again = await settle((x) => host.controlMode(x), (m) => m === 1, d, o.settle);
      if (!again.ok) return log.fail('re-read control mode (PTHI)', again.error);
      if (again.value !== 1) return log.fail('re-read control mode (PTHI)', { code: 'STATE', message: `Setup's reply was lost and the control mode is ${CONTROL_MODE[again.value] ?? again.value}` });
      log.changed = true;
      log.done('re-read control mode (PTHI)', 'client control mode: Setup took effect');
    } else {
      return log.fail('IPS_HostBasedSetupService.Setup', setup.error);
    }

    if (link.value.tls) {
      // The LME session may have gone with the firmware's port stack: link() opens it again.
      const again = await lme.link(d);
      if (!again.ok) return log.fail('AMT_SetupAndConfigurationService.CommitChanges', again.error);
      const commit = await commitChanges(wsmanAs(again.value, { user: 'admin', password: o.password }), leavingTimeFor(d, VERIFY_RESERVE_MS));
      if (!commit.ok && !replyLost(commit.error.code)) return log.fail('AMT_SetupAndConfigurationService.CommitChanges', commit.error);
      log.done('AMT_SetupAndConfigurationService.CommitChanges', commit.ok ? 'ReturnValue 0' : `sent; no reply (${commit.error.code}): verified below over PTHI`);
    } else {
      log.skipped('AMT_SetupAndConfigurationService.CommitChanges', 'TLS is not enforced on the local ports');
    }
  } finally {
    await lme.close();
  }
  return verifyMode(host, log, 1, 2, d, o.settle);
}

async function alreadyCcm(lme: AmtSession, o: ActivateOptions, log: StepLog, d: Deadline): Promise<ActionResult> {
  const link = await lme.link(d);
  if (!link.ok) return log.fail('open LME and the WS-MAN link', link.error);
  const r = await digestRealm(wsmanAs(link.value, { user: 'admin', password: o.password }), d);
  if (!r.ok) {
    const message = r.error.code === 'AUTH' ? 'AMT is already in client control mode and refuses this password: activated by someone else, or with another password' : r.error.message;
    return log.fail('check the admin password (Get AMT_GeneralSettings as admin)', { code: r.error.code, message });
  }
  log.done('check the admin password (Get AMT_GeneralSettings as admin)', 'already in client control mode with this password; nothing to do');
  return log.ok();
}
