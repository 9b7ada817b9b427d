// The AMT classes the flows use, as typed calls: the digest realm, host-based
// setup (CCM), commit, unprovision, and the redirection state (SOL, IDE-R,
// the listener, KVM). ReturnValues are mapped to channel error codes here so
// a flow only sees done or a typed refusal.

import { createHash } from 'node:crypto';
import { cerr, cok, type ChannelErrorCode, type ChannelResult, type Deadline } from '../channels/types.ts';
import { AmtWsman, CLASS, bool, text, uint } from './wsman.ts';

/** NetAdminPassEncryptionType 2: HTTP_DIGEST_MD5_A1, the password as the digest's HA1. */
export const HTTP_DIGEST_MD5_A1 = 2;
/** AMT_SetupAndConfigurationService.Unprovision ProvisioningMode 1: full unprovision. */
export const FULL_UNPROVISION = 1;
/** AMT_RedirectionService.EnabledState: 32768 + 1 for IDE-R + 2 for SOL (Intel's vendor range). */
export const REDIRECTION_BASE = 32768;
/** CIM EnabledState / RequestedState for KVM: 2 enabled, 3 disabled; 6 is "enabled but offline" (no viewer). */
export const KVM_ENABLE = 2;
export const KVM_DISABLE = 3;

/** lowercase hex MD5("admin:" + realm + ":" + password): what AMT stores and digest auth checks. */
export const adminDigest = (realm: string, password: string): string => createHash('md5').update(`admin:${realm}:${password}`, 'utf8').digest('hex');

const SETUP_RETURN: Readonly<Record<number, [string, ChannelErrorCode]>> = {
  1: ['internal error', 'STATE'],
  2: ['invalid state (already provisioned?)', 'STATE'],
  3: ['invalid parameter', 'CONFIG'],
  4: ['method disabled', 'UNSUPPORTED'],
  5: ['authentication failed', 'AUTH'],
  6: ['flash write limit exceeded', 'BUSY'],
};

function returned(rv: ChannelResult<number>, what: string, table: Readonly<Record<number, [string, ChannelErrorCode]>> = {}): ChannelResult<void> {
  if (!rv.ok) return rv;
  if (rv.value === 0) return cok(undefined);
  const known = table[rv.value];
  return cerr(known?.[1] ?? 'STATE', `${what}: ReturnValue ${rv.value}${known ? ` (${known[0]})` : ''}`);
}

export async function digestRealm(w: AmtWsman, d: Deadline): Promise<ChannelResult<string>> {
  const gs = await w.get(CLASS.generalSettings, d);
  return gs.ok ? text(gs.value.children.find((c) => c.local === 'DigestRealm' && c.ns === CLASS.generalSettings), 'AMT_GeneralSettings.DigestRealm') : gs;
}

export async function hostBasedSetup(w: AmtWsman, digest: string, d: Deadline): Promise<ChannelResult<void>> {
  const rv = await w.invoke(CLASS.hostBasedSetup, 'Setup', [['NetAdminPassEncryptionType', String(HTTP_DIGEST_MD5_A1)], ['NetworkAdminPassword', digest]], d);
  return returned(rv, 'IPS_HostBasedSetupService.Setup', SETUP_RETURN);
}

export async function commitChanges(w: AmtWsman, d: Deadline): Promise<ChannelResult<void>> {
  return returned(await w.invoke(CLASS.setupAndConfiguration, 'CommitChanges', [], d), 'AMT_SetupAndConfigurationService.CommitChanges');
}

export async function unprovision(w: AmtWsman, d: Deadline): Promise<ChannelResult<void>> {
  const rv = await w.invoke(CLASS.setupAndConfiguration, 'Unprovision', [['ProvisioningMode', String(FULL_UNPROVISION)]], d);
  return returned(rv, 'AMT_SetupAndConfigurationService.Unprovision', { 1: ['internal error', 'STATE'], 16: ['not permitted', 'AUTH'] });
}

export interface Redirection {
  sol: boolean;
  ider: boolean;
  listener: boolean;
  /** The instance as read, for a Put that must carry every property back. */
  properties: Array<[string, string]>;
}

export async function readRedirection(w: AmtWsman, d: Deadline): Promise<ChannelResult<Redirection>> {
  const inst = await w.get(CLASS.redirection, d);
  if (!inst.ok) return inst;
  const el = (n: string) => inst.value.children.find((c) => c.ns === CLASS.redirection && c.local === n);
  const state = uint(el('EnabledState'), 'AMT_RedirectionService.EnabledState');
  if (!state.ok) return state;
  const listener = bool(el('ListenerEnabled'), 'AMT_RedirectionService.ListenerEnabled');
  if (!listener.ok) return listener;
  const s = state.value;
  if (s < REDIRECTION_BASE || s > REDIRECTION_BASE + 3) return cerr('PROTOCOL', `AMT_RedirectionService.EnabledState ${s} is not 32768..32771`);
  const properties = inst.value.children.filter((c) => c.ns === CLASS.redirection && c.children.length === 0).map((c): [string, string] => [c.local, c.text]);
  return cok({ ider: (s & 1) !== 0, sol: (s & 2) !== 0, listener: listener.value, properties });
}

export async function requestRedirection(w: AmtWsman, sol: boolean, ider: boolean, d: Deadline): Promise<ChannelResult<void>> {
  const state = REDIRECTION_BASE + (ider ? 1 : 0) + (sol ? 2 : 0);
  return returned(await w.invoke(CLASS.redirection, 'RequestStateChange', [['RequestedState', String(state)]], d), 'AMT_RedirectionService.RequestStateChange');
}

/** Put of the instance as read with ListenerEnabled changed: AMT takes the listener only this way. */
export async function putListener(w: AmtWsman, current: Redirection, enabled: boolean, d: Deadline): Promise<ChannelResult<void>> {
  const props = current.properties.map(([n, v]): [string, string] => [n, n === 'ListenerEnabled' ? String(enabled) : v]);
  const r = await w.put(CLASS.redirection, props, d);
  return r.ok ? cok(undefined) : r;
}

export async function readKvm(w: AmtWsman, d: Deadline): Promise<ChannelResult<boolean>> {
  const inst = await w.get(CLASS.kvmRedirection, d);
  if (!inst.ok) return inst;
  const s = uint(inst.value.children.find((c) => c.ns === CLASS.kvmRedirection && c.local === 'EnabledState'), 'CIM_KVMRedirectionSAP.EnabledState');
  if (!s.ok) return s;
  if (s.value === 2 || s.value === 6) return cok(true);
  if (s.value === 3) return cok(false);
  return cerr('PROTOCOL', `CIM_KVMRedirectionSAP.EnabledState ${s.value} is neither enabled (2, 6) nor disabled (3)`);
}

export async function requestKvm(w: AmtWsman, enable: boolean, d: Deadline): Promise<ChannelResult<void>> {
  const rv = await w.invoke(CLASS.kvmRedirection, 'RequestStateChange', [['RequestedState', String(enable ? KVM_ENABLE : KVM_DISABLE)]], d);
  return returned(rv, 'CIM_KVMRedirectionSAP.RequestStateChange');
}
