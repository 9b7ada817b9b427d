// The executor: a plan's steps, in order, each through the handler of its
// action. Every handler reads the state first and answers `already` when
// nothing needs doing, so a second apply of the same plan changes nothing. A
// step that fails stops the steps that depend on it (they are `skipped`, with
// why); independent steps go on, so one dead ME does not leave the BMC
// unprovisioned. The record names every step and what became of it, and is
// written after each step: a kill -9 mid-apply still leaves what was done.

import { mkdirSync } from 'node:fs';
import { deadlineIn, remainingMs, type Deadline } from '../channels/types.ts';
import { writeAtomic } from '../state/atomic.ts';
import { activateStep, featuresStep, keepActivationStep } from './apply-amt.ts';
import { addUserStep, hardenStep, setLanStep } from './apply-bmc.ts';
import { recordChannelStep } from './apply-vault.ts';
import { already, failed, skipped, type ApplyDeps, type RunContext, type StepHandler, type StepResult } from './apply-types.ts';
import { deactivateStep } from './neutralize-amt.ts';
import { blacklistStep, unbindStep, verifyDisabledStep } from './neutralize-mei.ts';
import type { ApplyRecord, OobMode, Plan, StepAction } from './types.ts';

export const HANDLERS: Readonly<Record<StepAction, StepHandler>> = {
  'amt.activate-ccm': activateStep,
  'amt.keep-activation': keepActivationStep,
  'amt.features': featuresStep,
  'amt.deactivate': deactivateStep,
  'mei.unbind': unbindStep,
  'mei.blacklist': blacklistStep,
  'me.verify-disabled': verifyDisabledStep,
  'bmc.add-user': addUserStep,
  'bmc.harden': hardenStep,
  'bmc.set-lan': setLanStep,
  'vault.record-channel': recordChannelStep,
  'report-only': async () => already('report only: nothing to apply'),
};

/**
 * What a step needs to have succeeded first. Features need an activation. The
 * MEI driver goes only after AMT is unprovisioned: without it the OS could
 * never unprovision AMT again, and an activated AMT would be left unreachable.
 */
export const DEPENDS_ON: Readonly<Partial<Record<StepAction, readonly StepAction[]>>> = {
  'amt.features': ['amt.activate-ccm', 'amt.keep-activation'],
  'mei.unbind': ['amt.deactivate'],
  'mei.blacklist': ['amt.deactivate'],
};

/**
 * What each mode may do, whatever a plan says: a plan for `ignore` changes
 * nothing, and neither mode runs the other's actions (a planner bug must not
 * turn neutralize into use).
 */
export const ALLOWED_IN: Readonly<Record<OobMode, ReadonlySet<StepAction>>> = {
  use: new Set<StepAction>(['amt.activate-ccm', 'amt.keep-activation', 'amt.features', 'bmc.add-user', 'bmc.harden', 'bmc.set-lan', 'vault.record-channel', 'report-only']),
  neutralize: new Set<StepAction>(['amt.deactivate', 'mei.unbind', 'mei.blacklist', 'me.verify-disabled', 'report-only']),
  ignore: new Set<StepAction>(['report-only']),
};

export interface ApplyOptions {
  /** Each step's own bound inside the run's deadline (default 60 s): a dead device costs one step, not the run. */
  stepMs?: number;
  /** Called with the record so far after each step (the CLI writes it with writeApplyRecord). */
  progress?: (r: ApplyRecord) => void;
}

const NOT_REACHED = 'not reached: the run stopped before this step';

export async function applyPlan(plan: Plan, deps: ApplyDeps, d: Deadline, o: ApplyOptions = {}): Promise<ApplyRecord> {
  const record: ApplyRecord = { serial: plan.serial, policyDigest: plan.policyDigest, startedAt: deps.now(), finishedAt: deps.now(), steps: [] };
  const ctx: RunContext = { amtPassword: null, bmc: null };
  const results = new Map<StepAction, StepResult>();
  const snapshot = (): ApplyRecord => ({
    ...record,
    finishedAt: deps.now(),
    steps: [...record.steps, ...plan.steps.slice(record.steps.length).map((s) => ({ id: s.id, action: s.action, outcome: 'skipped' as const, detail: NOT_REACHED }))],
  });
  try {
    for (const step of plan.steps) {
      const blocker = (DEPENDS_ON[step.action] ?? []).find((a) => {
        const before = results.get(a)?.outcome;
        return before === 'failed' || before === 'skipped';
      });
      let r: StepResult;
      if (!ALLOWED_IN[plan.mode].has(step.action)) r = failed(`${step.action} is not an action of mode ${plan.mode}: not run`);
      else if (blocker !== undefined) r = skipped(`${blocker} did not succeed (${results.get(blocker)?.outcome})`);
      else if (remainingMs(d) <= 0) r = skipped('the run ran out of time before this step');
      else r = await runStep(step.action, () => HANDLERS[step.action](step, deps, ctx, deadlineIn(Math.min(o.stepMs ?? 60_000, remainingMs(d)))));
      results.set(step.action, r);
      record.steps.push({ id: step.id, action: step.action, outcome: r.outcome, detail: r.detail });
      o.progress?.(snapshot());
    }
  } finally {
    ctx.amtPassword = null;
    if (ctx.bmc?.ok) await ctx.bmc.value.close();
  }
  return snapshot();
}

/** A handler that throws (a bug, or a library that does) fails its step instead of the run. */
async function runStep(action: StepAction, f: () => Promise<StepResult>): Promise<StepResult> {
  try {
    return await f();
  } catch (e) {
    return { outcome: 'failed', detail: `${action}: internal error: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Exit 0 material: every step done or already so. */
export const applied = (r: ApplyRecord): boolean => r.steps.every((s) => s.outcome === 'done' || s.outcome === 'already');

export const RECORD_FILE = 'policy-apply.json';
/** The signed policy an apply was of, kept beside its record: the daemon's attestation names it and judges compliance by it. */
export const POLICY_FILE = 'policy.cose';

/** Kept before the first step runs, so a record never names a policy the node does not hold. */
export function keepPolicy(stateDir: string, signed: Uint8Array): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeAtomic(stateDir, POLICY_FILE, signed, 0o644);
}

/** The record under state.dir, atomically (temp, fsync, rename, fsync dir): the old one or the new one, never half. */
export function writeApplyRecord(stateDir: string, r: ApplyRecord): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeAtomic(stateDir, RECORD_FILE, Buffer.from(`${JSON.stringify(r, null, 2)}\n`), 0o644);
}
