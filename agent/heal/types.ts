// The heal core's contract with its driver (the daemon later, the simulator
// harness in test/heal now): the decision core is fed events and the time and
// returns outputs. It never reads a clock, a socket or a key of its own, so one
// process can run many cores over a scripted or simulated membership.

import type { MemberView } from '../gossip/types.ts';
import type { Policy } from '../policy/types.ts';

export type HealErrorCode =
  | 'MALFORMED' // not CBOR, or not the shape this version defines
  | 'NOT_CANONICAL'
  | 'TOO_LARGE'
  | 'UNSUPPORTED'
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_SIGNER' // no session key held for the claimed signer
  | 'EXPIRED'
  | 'TIME' // issued too far in the future, or expires before it is issued
  | 'CHAIN' // an audit entry whose predecessor hash does not match the line before it
  | 'TORN' // a last line cut short (a crash between write and fsync)
  | 'IO';

export interface HealError {
  code: HealErrorCode;
  message: string;
}

export type HealResult<T> = { ok: true; value: T } | { ok: false; error: HealError };
export const hok = <T>(value: T): HealResult<T> => ({ ok: true, value });
export const herr = (code: HealErrorCode, message: string): HealResult<never> => ({ ok: false, error: { code, message } });

export type Fencing = Policy['fencing'];

/**
 * A signed claim that `actor` is fencing `subject` at `incarnation` until `expires`
 * (lease.ts holds the wire form). Times are ms since the epoch, the gossip clock.
 */
export interface Lease {
  subject: string;
  incarnation: number;
  actor: string;
  issued: number;
  expires: number;
}

/** One line of the audit log (audit.ts signs and chains it). */
export interface AuditEntry {
  at: number;
  kind: AuditKind;
  subject: string;
  incarnation: number;
  /** Who acts or acted, when the entry is about an actor. */
  actor: string | null;
  why: string;
}

export type AuditKind =
  | 'confirmed' // K distinct confirmations reached
  | 'decided' // this node's rank and when it would act
  | 'not-eligible' // this node cannot act on the subject (no channel, no key, not attested)
  | 'no-quorum' // due to act, but this node's view has no quorum
  | 'stood-down' // another actor's lease was seen
  | 'self-check-failed'
  | 'act'
  | 'action-done'
  | 'action-failed'
  | 'cancelled' // the subject rejoined before the action
  | 'rejoined' // the subject came back after an action
  | 'lease-expired' // the actor we stood down for went silent
  | 'lease-ignored' // a lease from a member that could not act on the subject (a liar, or a misconfigured node)
  | 'give-up';

export type HealEvent =
  /** A verified member's signed confirmation (suspect or dead update) that `subject` is dead at `incarnation`. */
  | { type: 'confirmed-dead'; subject: string; incarnation: number; by: string }
  /** The subject announced itself alive at `incarnation` (a refutation or a rejoin). */
  | { type: 'alive'; subject: string; incarnation: number }
  /** A lease whose signature the driver verified (lease.ts verifyLease). */
  | { type: 'lease'; lease: Lease }
  /** This node's gossip view (SwimNode.members()), fed whenever it changes. */
  | { type: 'view'; members: readonly MemberView[] }
  | { type: 'tick'; now: number }
  /** The answer to a `check-self` output: own gossip view and gateway reachable. */
  | { type: 'self-check'; subject: string; ok: boolean; why: string }
  /** What the ladder did; `detail` names the steps done, `rejoinOnly` when success can only be the subject rejoining. */
  | { type: 'action-done'; subject: string; ok: boolean; detail: string; rejoinOnly?: boolean };

export type HealOutput =
  /** Sign (lease.ts signLease) and gossip before acting. */
  | { type: 'announce-lease'; lease: Lease }
  /** Run the ladder on `subject`, done by `deadline` (ms, the core's clock). */
  | { type: 'act'; subject: string; incarnation: number; deadline: number }
  /**
   * Run the injected self-check by `deadline` and feed back a `self-check` event: the
   * gateway answers, and at least `need` of `peers` (stable members) answer a direct ping,
   * which is fresher evidence of quorum than the gossip view (fence_heuristics_ping).
   */
  | { type: 'check-self'; subject: string; peers: string[]; need: number; deadline: number }
  | { type: 'audit'; entry: AuditEntry }
  | { type: 'give-up'; subject: string; why: string };
