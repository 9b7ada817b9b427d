// What the healing ladder takes and what it reports. The report goes into the
// signed audit log and to operators, so it names channels, actions, outcomes
// and times, and never a credential.

import type { ChannelErrorCode, ChannelName, ChannelOptions, ChannelResult, Deadline, PowerDriver } from '../channels/types.ts';
import type { VerifyTiming } from '../channels/verify.ts';

/** One way to reach the dead node's power, with its credentials already opened from the vault. */
export interface LadderChannel {
  name: ChannelName;
  options: ChannelOptions;
  /** What enrollment recorded; the opened driver's describe() has the last word. */
  verifiable: boolean;
}

export interface LadderTarget {
  /** The dead node's gossip name. */
  node: string;
  /** Its channels, best first. */
  channels: readonly LadderChannel[];
  /** policy.fencing.channels: the channels peers may use on it, best first; empty = any it has. */
  allowed: readonly ChannelName[];
}

export interface LadderDeps {
  /** Resolves true once the node is back in gossip (alive, with a higher incarnation), false at `d`. */
  rejoined(node: string, d: Deadline): Promise<boolean>;
  /** Builds a driver without I/O; default: the channel registry's module. */
  open?(name: ChannelName, options: ChannelOptions): Promise<ChannelResult<PowerDriver>>;
  timing?: VerifyTiming;
  /** Kept from each channel's share for ending its session; default 1000 ms, at most a quarter of the share. */
  closeReserveMs?: number;
}

export type LadderAction = 'open' | 'off' | 'on' | 'reset' | 'rejoin';

export type AttemptOutcome =
  /** A status read confirmed the state asked for. */
  | 'verified'
  /** A channel that cannot read state accepted the request: nothing more is known. */
  | 'sent-unverified'
  | 'rejoined'
  | 'not-rejoined'
  | ChannelErrorCode;

export interface LadderAttempt {
  channel: ChannelName;
  action: LadderAction;
  outcome: AttemptOutcome;
  elapsedMs: number;
  /** Requests and status reads sent, retries included. */
  exchanges: number;
  steps: string[];
  /** Why it failed; secrets are masked. */
  message?: string;
}

export type LadderVerdict =
  /** One channel verified the node off, then verified it on. */
  | 'verified-cycled'
  /** An unverifiable channel sent its request and the node rejoined gossip. */
  | 'rejoined-after-unverified'
  /** Fenced, not recovered: the node was verified off and no channel got it on. A human or the next attempt must power it on. */
  | 'off-only'
  | 'failed';

export interface LadderResult {
  node: string;
  verdict: LadderVerdict;
  /** The channel whose action the verdict rests on; null when nothing worked. */
  acted: ChannelName | null;
  /** For off-only and failed: what went wrong, channel by channel. */
  why?: string;
  /** The channels X has that the policy does not let peers use. */
  excluded: ChannelName[];
  attempts: LadderAttempt[];
  budgetMs: number;
  elapsedMs: number;
}
