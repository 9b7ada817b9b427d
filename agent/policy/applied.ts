// What this node last applied, read back from state.dir for its attestation
// record: the signed policy `agent policy apply` kept (policy.cose, verified
// again against the org key in the node's identity) and the apply record beside
// it. Anything missing or unreadable means "no policy taken": the record then
// says policy null, never a compliance it cannot back.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../probe/report.ts';
import { POLICY_FILE, RECORD_FILE } from './apply.ts';
import { attestationClaims } from './compliance.ts';
import { loadPolicy } from './document.ts';
import type { ApplyRecord, StepOutcome } from './types.ts';

const OUTCOMES: ReadonlySet<string> = new Set<StepOutcome>(['done', 'already', 'failed', 'skipped']);
const MAX_RECORD_BYTES = 256 * 1024;

/** The apply record, or null when absent or not one (a hand-edited or truncated file is not trusted). */
export function readApplyRecord(stateDir: string): ApplyRecord | null {
  let v: unknown;
  try {
    const buf = readFileSync(join(stateDir, RECORD_FILE));
    if (buf.length > MAX_RECORD_BYTES) return null;
    v = JSON.parse(buf.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Partial<ApplyRecord>;
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (!num(r.serial) || typeof r.policyDigest !== 'string' || !num(r.startedAt) || !num(r.finishedAt) || !Array.isArray(r.steps)) return null;
  const stepsOk = r.steps.every((s) => typeof s === 'object' && s !== null && typeof s.id === 'string' && typeof s.action === 'string' && OUTCOMES.has(s.outcome) && typeof s.detail === 'string');
  return stepsOk ? (r as ApplyRecord) : null;
}

export function appliedClaims(stateDir: string, identityDir: string, report: Report): ReturnType<typeof attestationClaims> {
  const l = loadPolicy({ path: join(stateDir, POLICY_FILE), identityDir });
  return attestationClaims(l.ok ? l : null, report, readApplyRecord(stateDir));
}
