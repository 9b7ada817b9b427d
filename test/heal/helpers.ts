// Shared builders for the heal tests: member views and a decision core with
// test-sized timings.
import type { MemberState, MemberView } from '../../agent/gossip/types.ts';
import { DecisionCore, type DecisionConfig } from '../../agent/heal/decision.ts';
import type { Fencing } from '../../agent/heal/types.ts';

export const T0 = Date.UTC(2026, 10, 1);

export const mv = (name: string, state: MemberState = 'alive', incarnation = 1, attested = true, self = false): MemberView => ({
  name,
  addr: `${name}:7946`,
  state,
  incarnation,
  attested,
  updatedAt: T0,
  self,
});

export const FENCING: Fencing = { quorum: 'majority', confirmations: 2, actorDelayS: 10, channels: [], unattestedPeers: false };

export function config(self: string, over: Partial<DecisionConfig> = {}): DecisionConfig {
  return {
    self,
    fencing: FENCING,
    quorum: { settleMs: 5_000, forgetMs: 3_600_000, stableMs: 1_000 },
    backoff: { delaysMs: [0, 60_000, 300_000, 1_800_000], maxAttempts: 4, resetAfterMs: 7_200_000 },
    means: () => ({ channel: true, recoveryKey: true }),
    actionBudgetMs: 30_000,
    leaseMarginMs: 5_000,
    selfCheckTimeoutMs: 2_000,
    maxSelfChecks: 3,
    rejoinTimeoutMs: 600_000,
    ...over,
  };
}

export function core(self: string, over: Partial<DecisionConfig> = {}): DecisionCore {
  return new DecisionCore(config(self, over));
}
