// What the attestation record says about the policy: does the node meet it now?
// Judged from the current report first (what the firmware says today), and from
// the last apply only where the report cannot see (a BMC not read in band, an ME
// whose registers vanished with the unbound driver). An apply of another policy
// than this one does not count: the node has then not applied this one yet.

import type { Report } from '../probe/report.ts';
import { amtRead, bmcRead } from './plan.ts';
import { boundMeiDevices, meActivity } from './me-activity.ts';
import type { LoadedPolicy } from './document.ts';
import type { ApplyRecord, Compliance, Policy, StepAction } from './types.ts';

const GOOD = new Set(['done', 'already']);

type Steps = ApplyRecord['steps'];

const stepOf = (steps: Steps, action: StepAction): Steps[number] | undefined => steps.find((s) => s.action === action);

function useMissing(p: Policy, r: Report): string[] {
  const missing: string[] = [];
  if (p.amt.provision && r.amt.present && !r.mei.disabled) {
    const a = amtRead(r);
    if (a.ok && a.value.controlModeCode === 0) missing.push('AMT not activated: PTHI control mode 0 (pre-provisioning)');
  }
  if (p.bmc.provision && r.bmc.present) {
    const b = bmcRead(r);
    if (b.ok && b.value.users && b.value.channels.some((c) => c.lan) && !b.value.users.users.some((u) => u.name === p.bmc.user)) {
      missing.push(`BMC user ${p.bmc.user} absent from the BMC's user table (${b.value.devicePath})`);
    }
  }
  return missing;
}

function neutralizeMissing(p: Policy, r: Report, steps: Steps): string[] {
  const missing: string[] = [];
  if (p.amt.provision && r.amt.present) {
    const a = amtRead(r);
    if (a.ok && a.value.controlModeCode !== 0) missing.push(`AMT still activated: PTHI control mode ${a.value.controlModeCode}`);
  }
  for (const d of boundMeiDevices(r)) missing.push(`MEI driver ${d.driver} still bound to ${d.pciAddress}`);
  const me = meActivity(r);
  if (me.state === 'active') missing.push(`ME active: ${me.evidence.join('; ')}`);
  else if (me.state === 'unknown') {
    // With the driver unbound the registers leave sysfs; the last verification is then the evidence.
    const v = stepOf(steps, 'me.verify-disabled');
    if (!v || !GOOD.has(v.outcome)) missing.push(`ME not verified disabled: ${me.evidence[0] ?? 'no HFSTS1'}${v ? `; last verification ${v.outcome}: ${v.detail}` : ''}`);
  }
  return missing;
}

export function compliance(policy: Policy, digest: string, report: Report, lastApply: ApplyRecord | null): Compliance {
  const base = { mode: policy.oob, serial: policy.serial, policyDigest: digest };
  if (policy.oob === 'ignore') return { ...base, status: 'compliant', missing: [], applied: [] };
  const ours = lastApply !== null && lastApply.policyDigest === digest ? lastApply : null;
  const steps = ours?.steps ?? [];
  const missing = policy.oob === 'use' ? useMissing(policy, report) : neutralizeMissing(policy, report, steps);
  for (const s of steps) if (s.outcome === 'failed') missing.push(`step ${s.id} failed: ${s.detail}`);
  const applied = steps.filter((s) => GOOD.has(s.outcome)).map((s) => s.id);
  if (!ours) {
    const why = lastApply ? `the last apply was of policy ${lastApply.policyDigest.slice(0, 16)} (serial ${lastApply.serial})` : 'no apply recorded';
    return { ...base, status: 'not-applied', missing: [`policy serial ${policy.serial} not applied yet: ${why}`, ...missing], applied };
  }
  return { ...base, status: missing.length > 0 ? 'non-compliant' : 'compliant', missing, applied };
}

/** What the attestation record carries (RecordInput.policy, .compliance): both null when no policy was taken. */
export function attestationClaims(l: LoadedPolicy | null, report: Report, lastApply: ApplyRecord | null): { policy: { serial: number; digest: string } | null; compliance: Compliance | null } {
  if (!l || !l.ok) return { policy: null, compliance: null };
  return { policy: { serial: l.policy.serial, digest: l.digest }, compliance: compliance(l.policy, l.digest, report, lastApply) };
}
