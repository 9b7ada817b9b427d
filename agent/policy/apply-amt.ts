// The AMT steps of `use`: activate in client control mode with a random
// password, keep an existing activation the org holds the password of, set the
// redirection features.
//
// The password is sealed into the vault BEFORE Setup is sent. Stored first, a
// crash or a failed activation leaves at worst a record for a password AMT
// never took, which the next attempt's newer record replaces. Stored after, a
// kill -9 (or a full disk) between Setup and the write would leave AMT
// activated with a password nobody holds: the org locked out of its own
// machine. So no password reaches the ME that the vault does not already hold.

import { activateCcm } from '../amt/activate.ts';
import { setFeatures } from '../amt/features.ts';
import type { MeHost } from '../amt/host.ts';
import { meHost } from '../amt/me-host.ts';
import { CONTROL_MODE } from '../amt/me-state.ts';
import type { ActionResult } from '../amt/steps.ts';
import type { Deadline } from '../channels/types.ts';
import type { VaultEntry } from '../vault/types.ts';
import type { PlanStep } from './types.ts';
import { already, boolParam, done, failed, skipped, type ApplyDeps, type RunContext, type StepResult } from './apply-types.ts';

export const AMT_ADMIN_ID = 'amt-admin';

function openHost(deps: ApplyDeps): MeHost | string {
  const bus = deps.openMei();
  return bus.ok ? meHost(bus.value) : `no Intel ME: ${bus.error.code}: ${bus.error.message}`;
}

/** The newest amt-admin record of this node, or why the vault could not say. */
export function amtRecord(deps: ApplyDeps): VaultEntry | null | string {
  const l = deps.vault.list();
  if (!l.ok) return `vault: ${l.error.code}: ${l.error.message}`;
  const mine = l.value.filter((e) => e.node === deps.node && e.id === AMT_ADMIN_ID);
  return mine.reduce<VaultEntry | null>((a, e) => (a === null || e.seq > a.seq ? e : a), null);
}

/** The steps an AMT flow did, for the record: what was applied before a failure. */
export function describeAction(r: ActionResult): string {
  const didn = r.steps.filter((s) => s.outcome === 'done').map((s) => s.step);
  if (r.ok) return didn.join('; ');
  const err = r.error ? `${r.error.code}: ${r.error.message}` : 'failed';
  return `${err}; ${r.changed ? 'the firmware WAS changed' : 'the firmware was not changed'}; steps done before: ${didn.length ? didn.join('; ') : 'none'}`;
}

/** Already activated: fine only when the org holds the password. */
function activated(mode: number, deps: ApplyDeps): StepResult {
  const rec = amtRecord(deps);
  if (typeof rec === 'string') return failed(`AMT is in ${CONTROL_MODE[mode] ?? `control mode ${mode}`}; could not check the vault: ${rec}`);
  if (rec === null) return failed(`AMT is in ${CONTROL_MODE[mode] ?? `control mode ${mode}`} with an admin password the org does not hold (no ${AMT_ADMIN_ID} record): left alone; neutralize it or an operator decides`);
  return already(`AMT is in ${CONTROL_MODE[mode] ?? `control mode ${mode}`}; the vault holds its admin password (${AMT_ADMIN_ID} seq ${rec.seq})`);
}

export async function activateStep(_s: PlanStep, deps: ApplyDeps, ctx: RunContext, d: Deadline): Promise<StepResult> {
  const host = openHost(deps);
  if (typeof host === 'string') return failed(host);
  const mode = await host.controlMode(d);
  if (!mode.ok) return failed(`read control mode (PTHI): ${mode.error.code}: ${mode.error.message}; nothing changed`);
  if (mode.value === 2) return failed('AMT is in admin control mode, which this node did not set up: left alone');
  if (mode.value !== 0) return activated(mode.value, deps);

  const pw = deps.randomPassword('amt');
  try {
    const put = await deps.vault.put('amt-admin', AMT_ADMIN_ID, pw, { controlMode: 'ccm' });
    if (!put.ok) return failed(`seal the admin password into the vault: ${put.error.code}: ${put.error.message}; AMT not touched`);
    const password = Buffer.from(pw).toString('latin1');
    const r = await activateCcm(host, { password, ...(deps.settle ? { settle: deps.settle } : {}) }, d);
    if (!r.ok) return failed(`${describeAction(r)}; the vault holds the password tried (${AMT_ADMIN_ID} seq ${put.value.seq})`);
    ctx.amtPassword = password;
    return done(`client control mode, verified over PTHI; admin password sealed to the org (${AMT_ADMIN_ID} seq ${put.value.seq})`);
  } finally {
    pw.fill(0);
  }
}

export async function keepActivationStep(_s: PlanStep, deps: ApplyDeps, _ctx: RunContext, d: Deadline): Promise<StepResult> {
  const host = openHost(deps);
  if (typeof host === 'string') return failed(host);
  const mode = await host.controlMode(d);
  if (!mode.ok) return failed(`read control mode (PTHI): ${mode.error.code}: ${mode.error.message}`);
  if (mode.value === 0) return failed('AMT is not activated: there is no activation to keep (plan again)');
  return activated(mode.value, deps);
}

export async function featuresStep(s: PlanStep, deps: ApplyDeps, ctx: RunContext, d: Deadline): Promise<StepResult> {
  // The node never keeps the admin password (the vault is sealed to the org), so
  // only the run that set it can speak WS-MAN as admin; later runs leave the
  // features as that run set and verified them.
  if (ctx.amtPassword === null) return skipped('the admin password is known only to the run that activated AMT (sealed to the org since); features were set and verified by that run');
  const host = openHost(deps);
  if (typeof host === 'string') return failed(host);
  const wish = { sol: boolParam(s, 'sol'), ider: boolParam(s, 'ider'), kvm: boolParam(s, 'kvm') };
  const o = Object.fromEntries(Object.entries(wish).filter(([, v]) => v !== undefined)) as { sol?: boolean; ider?: boolean; kvm?: boolean };
  if (Object.keys(o).length === 0) return already('the plan asks for no feature');
  const r = await setFeatures(host, { ...o, password: ctx.amtPassword }, d);
  if (!r.ok) return failed(describeAction(r));
  const verified = r.steps.at(-1)?.detail ?? '';
  return r.changed ? done(verified) : already(verified);
}
