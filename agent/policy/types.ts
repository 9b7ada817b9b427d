// The contract between the policy document (policy/document.ts, schema.ts), the
// planner (plan.ts: report + policy -> steps, pure), the executor (apply.ts:
// steps -> actions, idempotent, recorded) and compliance (what the attestation
// record says). Written first so each part can be built against it.

import type { ChannelName } from '../channels/registry.ts';

export type OobMode = 'use' | 'neutralize' | 'ignore';

/** The org's policy for a node, as signed by the org key (COSE_Sign1 over deterministic CBOR). */
export interface Policy {
  v: 1;
  /** Monotonic per org: a node refuses a policy older than the one it applied (rollback). */
  serial: number;
  /** Unix seconds. */
  issued: number;
  oob: OobMode;
  amt: {
    /** use: activate (CCM) when not activated; neutralize: unprovision. */
    provision: boolean;
    controlMode: 'ccm';
    sol: boolean;
    ider: boolean;
    kvm: boolean;
  };
  bmc: {
    provision: boolean;
    user: string;
    privilege: 'operator' | 'admin';
    /** Disable nameless users and every cipher suite but 3 and 17. */
    harden: boolean;
    /** keep: leave the LAN address alone; static: set it from the enrollment record's address. */
    lan: 'keep' | 'static';
  };
  watchdog: { timeoutS: number };
  fencing: {
    /** Who may act: only a node that sees a majority of the last stable membership alive (or all of it), so a minority partition never fences the majority. */
    quorum: 'majority' | 'all';
    /** Distinct signed confirmations of a death before anyone acts. */
    confirmations: number;
    /** Seconds the second-ranked actor waits for the first. */
    actorDelayS: number;
    /** Channels peers may use on this node, best first; empty = any the node has. */
    channels: ChannelName[];
    /** Whether a peer without a TPM-quoted attestation may act. */
    unattestedPeers: boolean;
  };
}

/** Why a policy could not be taken; the agent then runs as `ignore`, never as `use`. */
export type PolicyErrorCode = 'UNSIGNED' | 'FOREIGN' | 'BAD_SIGNATURE' | 'MALFORMED' | 'ROLLBACK' | 'UNREADABLE';

export interface PolicyError {
  code: PolicyErrorCode;
  message: string;
}

export type PolicyResult<T> = { ok: true; value: T } | { ok: false; error: PolicyError };

/** The actions the executor knows; the planner emits only these. */
export type StepAction =
  | 'amt.activate-ccm'
  | 'amt.keep-activation'
  | 'amt.features'
  | 'amt.deactivate'
  | 'mei.unbind'
  | 'mei.blacklist'
  | 'me.verify-disabled'
  | 'bmc.add-user'
  | 'bmc.harden'
  | 'bmc.set-lan'
  | 'vault.record-channel'
  | 'report-only';

export interface PlanStep {
  /** Stable within a plan ("amt.activate-ccm"); the apply record refers to steps by it. */
  id: string;
  action: StepAction;
  /** One sentence: the evidence in the report and the policy rule that call for it. */
  why: string;
  /** Non-secret parameters (feature switches, user name, privilege). Never a password. */
  params: Record<string, string | number | boolean>;
}

export interface Plan {
  mode: OobMode;
  serial: number;
  /** SHA-256 (hex) of the signed policy bytes. */
  policyDigest: string;
  steps: PlanStep[];
  /** What the planner saw and chose not to do, and why (already done, not present, not allowed). */
  notes: string[];
}

export type StepOutcome = 'done' | 'already' | 'failed' | 'skipped';

/** What one apply did, kept under state.dir (atomic writes) and summarised in the attestation record. */
export interface ApplyRecord {
  serial: number;
  policyDigest: string;
  startedAt: number;
  finishedAt: number;
  steps: { id: string; action: StepAction; outcome: StepOutcome; detail: string }[];
}

/** What the attestation record carries under `compliance`. */
export interface Compliance {
  mode: OobMode;
  serial: number;
  policyDigest: string;
  status: 'compliant' | 'non-compliant' | 'not-applied';
  /** Requirements the node does not meet, each with its evidence ("ME active: HFSTS1 CWS 5 (normal)"). */
  missing: string[];
  /** Step ids of the last apply that succeeded or were already so. */
  applied: string[];
}
