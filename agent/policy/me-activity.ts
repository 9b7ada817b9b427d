// Is the Intel ME running, as far as the capability report can tell? The same
// reading serves the planner (why `me.verify-disabled` is there) and compliance
// (what `neutralize` still lacks). The rule: an ME whose HFSTS1 working state is
// not Disabled, or whose AMT host interface (PTHI) is listed or answers, is
// active; HFSTS1 working state 4 (Disabled, what HAP and soft-disable report;
// amt-me.md section 3) with no PTHI is disabled.

import { hex32 } from '../probe/hfsts.ts';
import type { Report } from '../probe/report.ts';

export type MeState = 'active' | 'disabled' | 'absent' | 'unknown';

export interface MeActivity {
  state: MeState;
  /** The register values and listings the state rests on. */
  evidence: string[];
}

const HFSTS1_DISABLED = 4;

/** AMT answered PTHI in band (control mode read): the ME runs AMT right now. */
export function pthiAnswered(r: Report): boolean {
  const a = r.amt.inBand;
  return !('unavailable' in a) && a.raw.controlMode !== undefined;
}

export function meActivity(r: Report): MeActivity {
  const h1 = r.mei.hfsts?.hfsts1 ?? null;
  const from = r.mei.source === 'smbios-219' ? 'SMBIOS 219 copy of HFSTS1' : 'HFSTS1';
  const hfsts = h1 ? `${from} ${hex32(h1.raw)}: working state ${h1.workingState.code} (${h1.workingState.name}), operation mode ${h1.operationMode.code} (${h1.operationMode.name})` : null;
  const active: string[] = [];
  if (h1 && h1.workingState.code !== HFSTS1_DISABLED && hfsts) active.push(hfsts);
  if (r.mei.pthiClient) active.push('PTHI (AMT host interface) client listed on the MEI bus');
  if (pthiAnswered(r)) active.push('PTHI answered in band (AMT control mode read)');
  if (active.length > 0) return { state: 'active', evidence: active };
  if (h1 && hfsts) return { state: 'disabled', evidence: [hfsts, ...(r.mei.verdicts?.disabled.reasons ?? []), 'no PTHI client listed'] };
  if (!r.mei.present && !r.amt.present && r.amt.meiFunctions.length === 0) return { state: 'absent', evidence: ['no MEI device, no ME status registers (sysfs or SMBIOS 219) and no AMT evidence: no Intel ME visible'] };
  return { state: 'unknown', evidence: ['an ME is visible but no HFSTS1 could be read (sysfs fw_status or SMBIOS 219)', ...r.mei.evidence.slice(0, 3)] };
}

/** Platform MEI controllers the kernel has a driver bound to (graphics GSC controllers are not the ME). */
export function boundMeiDevices(r: Report): { name: string; pciAddress: string; driver: string }[] {
  return r.mei.devices.flatMap((d) => (d.platform && d.driver && d.parent ? [{ name: d.name, pciAddress: d.parent, driver: d.driver }] : []));
}
