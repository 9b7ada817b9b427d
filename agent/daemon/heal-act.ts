// One heal attempt on a dead node, as the decision core's `act` asks: the
// node's channels from the vault (heal/target.ts), its sealed credentials
// opened with the org recovery key for this attempt only, and the ladder
// (heal/ladder.ts) within the core's deadline. The result is a one-line
// summary for the audit log: channels, actions, outcomes and times, never a
// credential (the ladder masks what it reports).

import type { KeyObject } from 'node:crypto';
import type { ChannelName, Deadline } from '../channels/types.ts';
import { monotonicMs } from '../clock.ts';
import { runLadder } from '../heal/ladder.ts';
import type { LadderDeps, LadderResult } from '../heal/ladder-types.ts';
import { buildTarget, latest, recordsToOpen, type OpenedRecord } from '../heal/target.ts';
import type { RecoveryKeyPair } from '../identity/store.ts';
import { openRecord } from '../vault/open.ts';
import type { VaultEntry, VaultResult } from '../vault/types.ts';

export interface ActDeps {
  /** Every verified record this node holds (the vault store's list). */
  list(): VaultResult<VaultEntry[]>;
  raw(node: string, id: string): VaultResult<Uint8Array>;
  orgPublicKey: KeyObject;
  recovery: RecoveryKeyPair | null;
  /** policy.fencing.channels. */
  allowed: readonly ChannelName[];
  rejoined: LadderDeps['rejoined'];
  /** Tests drive the ladder's channels and timing. */
  ladder?: Omit<LadderDeps, 'rejoined'>;
}

export interface ActOutcome {
  ok: boolean;
  detail: string;
  rejoinOnly: boolean;
  result: LadderResult | null;
}

const fail = (detail: string): ActOutcome => ({ ok: false, detail, rejoinOnly: false, result: null });

export function summarize(r: LadderResult): string {
  const steps = r.attempts.map((a) => `${a.channel} ${a.action} ${a.outcome} ${a.elapsedMs} ms${a.message ? ` (${a.message})` : ''}`);
  const excluded = r.excluded.length ? `; not allowed by policy: ${r.excluded.join(', ')}` : '';
  return `${r.verdict}${r.acted ? ` via ${r.acted}` : ''} in ${r.elapsedMs} ms of ${r.budgetMs}: ${steps.join('; ') || 'no channel tried'}${r.why ? `; ${r.why}` : ''}${excluded}`;
}

/** Runs the ladder on `subject` until `deadlineWall` (ms since the epoch, the decision core's clock). Never rejects. */
export async function healAttempt(subject: string, deadlineWall: number, deps: ActDeps): Promise<ActOutcome> {
  if (deps.recovery === null) return fail('this node holds no org recovery key (heal.recoveryKey): it cannot open the credentials');
  const listed = deps.list();
  if (!listed.ok) return fail(`vault: ${listed.error.code}: ${listed.error.message}`);
  const entries = listed.value;
  const opened: OpenedRecord[] = [];
  const problems: string[] = [];
  try {
    for (const e of recordsToOpen(subject, entries)) {
      const raw = deps.raw(e.node, e.id);
      const o = raw.ok ? await openRecord(raw.value, deps.orgPublicKey, deps.recovery) : raw;
      if (o.ok) opened.push({ entry: o.value.entry, secret: o.value.secret });
      else problems.push(`${e.id}: ${o.error.code}: ${o.error.message}`);
    }
    const refs = latest(subject, entries).filter((e) => !opened.some((o) => o.entry.id === e.id));
    const { target, missing } = buildTarget(subject, [...opened, ...refs.map((entry) => ({ entry, secret: null }))], deps.allowed);
    if (target.channels.length === 0) return fail(`no usable channel to ${subject}${[...problems, ...missing].length ? `: ${[...problems, ...missing].join('; ')}` : ' in the vault'}`);
    const d: Deadline = { at: monotonicMs() + Math.max(0, deadlineWall - Date.now()) };
    const r = await runLadder(target, { ...deps.ladder, rejoined: deps.rejoined }, d);
    const ok = r.verdict === 'verified-cycled' || r.verdict === 'rejoined-after-unverified';
    return { ok, detail: summarize(r), rejoinOnly: r.verdict === 'rejoined-after-unverified', result: r };
  } catch (e) {
    // The ladder resolves on every path; a throw is a bug, reported as a failed attempt so the core retries later.
    return fail(`the attempt threw: ${(e as Error).message}`);
  } finally {
    for (const o of opened) o.secret?.fill(0);
  }
}
