// The record of what an AMT action did, step by step, so a failure says
// exactly which changes were applied before it ("no half-applied change left
// unreported"). Messages carry no secret: they come from typed errors whose
// texts never include a password.

import type { ChannelError } from '../channels/types.ts';
import type { MeiError } from '../mei/types.ts';

export type StepOutcome = 'done' | 'failed' | 'skipped';

export interface StepRecord {
  step: string;
  outcome: StepOutcome;
  detail: string;
}

/** AUTH, STATE, ... from WS-MAN; NO_DEVICE, STATUS, ... from MEI. */
export type ActionErrorCode = ChannelError['code'] | MeiError['code'];

export interface ActionError {
  code: ActionErrorCode;
  message: string;
}

export interface ActionResult {
  action: 'activate' | 'deactivate' | 'features';
  ok: boolean;
  /** Whether the firmware's configuration was changed (by us) during the action. */
  changed: boolean;
  steps: StepRecord[];
  error: ActionError | null;
}

export class StepLog {
  readonly steps: StepRecord[] = [];
  changed = false;

  constructor(readonly action: ActionResult['action']) {}

  done(step: string, detail = ''): void {
    this.steps.push({ step, outcome: 'done', detail });
  }

  skipped(step: string, detail: string): void {
    this.steps.push({ step, outcome: 'skipped', detail });
  }

  /** Records the failed step and gives the action's failed result. */
  fail(step: string, error: ActionError): ActionResult {
    this.steps.push({ step, outcome: 'failed', detail: `${error.code}: ${error.message}` });
    return { action: this.action, ok: false, changed: this.changed, steps: this.steps, error };
  }

  ok(): ActionResult {
    return { action: this.action, ok: true, changed: this.changed, steps: this.steps, error: null };
  }
}
