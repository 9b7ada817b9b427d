// What a BMC action did, step by step, so that no change is left unreported:
// done (the BMC took it), refused (it answered a completion code), failed (no
// valid answer: whether it took effect is unknown), not-applicable, skipped
// (not tried because an earlier step failed).

import type { CallError } from './transport.ts';

export type StepOutcome = 'done' | 'refused' | 'failed' | 'not-applicable' | 'skipped';

export interface Step {
  step: string;
  outcome: StepOutcome;
  detail?: string;
  /** The completion code of a refusal. */
  completion?: number;
}

export const outcomeOf = (e: CallError): StepOutcome => (e.code === 'REFUSED' ? 'refused' : 'failed');

export function stepFromError(step: string, e: CallError): Step {
  return e.code === 'REFUSED' ? { step, outcome: 'refused', detail: e.message, completion: e.completion } : { step, outcome: 'failed', detail: `${e.code}: ${e.message}` };
}
