// The BMC steps of `use`: the fleet's dedicated user with a long random
// password, the hardening, a static LAN address. Each reads the BMC first and
// answers `already` when it holds what the policy asks. The new user's
// password is sealed into the vault before the BMC gets it, for the same
// reason as AMT's (apply-amt.ts): no credential exists on the machine that
// the org does not already hold.

import type { Deadline } from '../channels/types.ts';
import { addUser } from '../ipmi/add-user.ts';
import { readChannels } from '../ipmi/bmc-info.ts';
import { harden } from '../ipmi/harden.ts';
import { checkLanAddress, setLanAddress } from '../ipmi/lan-address.ts';
import { readLanConfig } from '../ipmi/lan-config.ts';
import type { Step } from '../ipmi/steps.ts';
import type { IpmiTransport } from '../ipmi/transport.ts';
import { readUsers } from '../ipmi/users.ts';
import type { PlanStep } from './types.ts';
import { already, done, failed, strParam, type ApplyDeps, type RunContext, type StepResult } from './apply-types.ts';

export const bmcUserId = (name: string): string => `bmc-user:${name}`;

/** The BMC for this run, opened by the first BMC step and kept until the run ends. */
async function transport(deps: ApplyDeps, ctx: RunContext): Promise<IpmiTransport | string> {
  ctx.bmc ??= await deps.openBmc();
  return ctx.bmc.ok ? ctx.bmc.value.transport : `no BMC: ${ctx.bmc.error.code}: ${ctx.bmc.error.message}`;
}

const stepsText = (steps: readonly Step[], outcomes: readonly Step['outcome'][]): string =>
  steps.filter((s) => outcomes.includes(s.outcome)).map((s) => `${s.step}${s.detail ? ` (${s.detail})` : ''}`).join('; ');

export async function addUserStep(s: PlanStep, deps: ApplyDeps, ctx: RunContext, d: Deadline): Promise<StepResult> {
  const name = strParam(s, 'user');
  if (name === null) return failed('the plan names no BMC user (params.user)');
  const privilege = strParam(s, 'privilege') === 'admin' ? 4 : 3;
  const t = await transport(deps, ctx);
  if (typeof t === 'string') return failed(t);

  const ch = await readChannels(t, d);
  if (!ch.ok) return failed(`read channels: ${ch.error.code}: ${ch.error.message}; nothing changed`);
  const lan = ch.value.filter((c) => c.lan).map((c) => c.channel);
  const table = await readUsers(t, lan, d);
  if (!table.ok) return failed(`read users: ${table.error.code}: ${table.error.message}; nothing changed`);
  const slot = table.value.users.find((u) => u.name === name);
  const list = deps.vault.list();
  if (!list.ok) return failed(`vault: ${list.error.code}: ${list.error.message}; nothing changed`);
  const rec = list.value.filter((e) => e.node === deps.node && e.id === bmcUserId(name)).sort((a, b) => b.seq - a.seq)[0];
  if (slot) {
    return rec
      ? already(`user ${name} is in slot ${slot.id}; the vault holds its password (${rec.id} seq ${rec.seq})`)
      : failed(`user ${name} exists in slot ${slot.id} with a password the org does not hold: left alone (rotating it is an operator's decision)`);
  }

  const pw = deps.randomPassword('bmc');
  try {
    const put = await deps.vault.put('bmc-user', bmcUserId(name), pw, { user: name, privilege: privilege === 4 ? 'admin' : 'operator' });
    if (!put.ok) return failed(`seal the password into the vault: ${put.error.code}: ${put.error.message}; the BMC not touched`);
    const r = await addUser(t, { name, password: pw, privilege }, d);
    if (!r.ok) return failed(`${r.error?.code}: ${r.error?.message}; steps: ${stepsText(r.steps, ['done', 'refused', 'failed'])}; the vault holds the password tried (seq ${put.value.seq})`);
    return done(`user ${name} in slot ${r.slot}, ${privilege === 4 ? 'admin' : 'operator'} on LAN channel${r.channels.length > 1 ? 's' : ''} ${r.channels.join(', ')}; password sealed to the org (${put.value.id} seq ${put.value.seq})`);
  } finally {
    pw.fill(0);
  }
}

export async function hardenStep(_s: PlanStep, deps: ApplyDeps, ctx: RunContext, d: Deadline): Promise<StepResult> {
  const t = await transport(deps, ctx);
  if (typeof t === 'string') return failed(t);
  const r = await harden(t, d);
  if (!r.ok) return failed(`not all done: ${stepsText(r.steps, ['refused', 'failed'])}; applied: ${stepsText(r.steps, ['done']) || 'nothing'}`);
  const changed = r.steps.filter((x) => x.outcome === 'done');
  return changed.length > 0 ? done(stepsText(r.steps, ['done'])) : already(stepsText(r.steps, ['not-applicable']));
}

export async function setLanStep(s: PlanStep, deps: ApplyDeps, ctx: RunContext, d: Deadline): Promise<StepResult> {
  const [ip, netmask, gateway] = ['ip', 'netmask', 'gateway'].map((n) => strParam(s, n));
  if (!ip || !netmask || !gateway) return failed('the plan gives no address (params.ip, netmask, gateway)');
  const addr = { ip, netmask, gateway };
  const bad = checkLanAddress(addr);
  if (bad) return failed(`the plan's address: ${bad}`);
  const t = await transport(deps, ctx);
  if (typeof t === 'string') return failed(t);
  let channel = typeof s.params.channel === 'number' ? s.params.channel : null;
  if (channel === null) {
    const ch = await readChannels(t, d);
    if (!ch.ok) return failed(`read channels: ${ch.error.code}: ${ch.error.message}`);
    channel = ch.value.find((c) => c.lan)?.channel ?? null;
    if (channel === null) return failed('the BMC reports no LAN channel');
  }
  const now = await readLanConfig(t, channel, d);
  if (!now.ok) return failed(`read LAN channel ${channel}: ${now.error.code}: ${now.error.message}`);
  const c = now.value;
  if (c.ipSource === 'static' && c.ipAddress === ip && c.netmask === netmask && c.gateway === gateway) return already(`channel ${channel}: static ${ip}/${netmask} via ${gateway}`);
  const r = await setLanAddress(t, channel, addr, d);
  if (!r.ok) return failed(`channel ${channel}: ${stepsText(r.steps, ['refused', 'failed'])}; applied: ${stepsText(r.steps, ['done']) || 'nothing'}`);
  return done(`channel ${channel}: static ${ip}/${netmask} via ${gateway}, read back`);
}
