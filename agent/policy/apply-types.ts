// What the executor's step handlers share: the injected world (ME, BMC, vault,
// randomness, file-system root, clock) and the per-run context. Injected so
// the same handlers run on the machine and against the simulated ME, ipmi_sim
// and a temp tree in tests.

import type { ChannelResult, Deadline } from '../channels/types.ts';
import type { SettleOptions } from '../amt/settle.ts';
import type { IpmiTransport } from '../ipmi/transport.ts';
import type { MeiBus, MeiResult } from '../mei/types.ts';
import type { VaultStore } from '../vault/types.ts';
import type { PlanStep, StepOutcome } from './types.ts';

/** An open path to the BMC (in band /dev/ipmi0, or RMCP+ in tests). */
export interface BmcLink {
  transport: IpmiTransport;
  close(): Promise<void>;
}

/** Writes a sysfs attribute; the kernel acts on the write (tests pass a fake kernel). */
export type SysfsWrite = (absPath: string, data: string) => void;

export interface ApplyDeps {
  openMei(): MeiResult<MeiBus>;
  openBmc(): Promise<ChannelResult<BmcLink>>;
  vault: VaultStore;
  /** The node name the vault records carry (VaultEntry.node). */
  node: string;
  /** A new random password of the form `kind` needs (apply-password.ts); the caller zeroes it. */
  randomPassword(kind: 'amt' | 'bmc'): Uint8Array;
  /** `/` on the machine, a temp tree in tests: sysfs and /etc are read and written under it. */
  root: string;
  sysfsWrite?: SysfsWrite;
  /** Unix seconds. */
  now(): number;
  /** Tests shorten the ME's re-read pauses. */
  settle?: SettleOptions;
}

export interface StepResult {
  outcome: StepOutcome;
  detail: string;
}

/** What one run keeps in memory between steps: never written anywhere. */
export interface RunContext {
  /** The AMT admin password set by this run's activation; later steps of the run (features) use it. */
  amtPassword: string | null;
  /** Opened on the first BMC step, closed when the run ends. */
  bmc: ChannelResult<BmcLink> | null;
}

export type StepHandler = (step: PlanStep, deps: ApplyDeps, ctx: RunContext, d: Deadline) => Promise<StepResult>;

export const done = (detail: string): StepResult => ({ outcome: 'done', detail });
export const already = (detail: string): StepResult => ({ outcome: 'already', detail });
export const failed = (detail: string): StepResult => ({ outcome: 'failed', detail });
export const skipped = (detail: string): StepResult => ({ outcome: 'skipped', detail });

export const strParam = (s: PlanStep, name: string): string | null => {
  const v = s.params[name];
  return typeof v === 'string' && v !== '' ? v : null;
};
export const boolParam = (s: PlanStep, name: string): boolean | undefined => {
  const v = s.params[name];
  return typeof v === 'boolean' ? v : undefined;
};
