// MKHI facts for the report's `mei` section: the firmware version (the same
// numbers the kernel puts in sysfs fw_ver) and the FWCAPS rules that say whether
// the platform is AMT/KVM capable, has the features enabled, and has them
// available. Platforms that do not answer a rule simply lack it: each failure is
// recorded, none stops the others.

import type { Deadline } from '../channels/types.ts';
import { monotonicMs } from '../clock.ts';
import { getFwCapsRule, getFwVersion, mkhiClient } from './me-queries.ts';
import { MKHI_RULE, type FwCapsRule, type MkhiFwVersionBlock } from './mkhi.ts';
import type { MeiBus, MeiError } from './types.ts';

export type FwCapsName = 'capable' | 'enabled' | 'available';
const RULES: readonly [FwCapsName, number][] = [
  ['capable', MKHI_RULE.FW_SKU],
  ['enabled', MKHI_RULE.FEATURE_ENABLE],
  ['available', MKHI_RULE.AVAILABLE_BITMAP],
];

export interface MeFirmwareInfo {
  /** "major.minor.hotfix.build" of the running firmware. */
  fwVersion?: string;
  fwVersionBlocks?: MkhiFwVersionBlock[];
  fwCaps: Partial<Record<FwCapsName, Omit<FwCapsRule, 'ruleId'> & { ruleId: number }>>;
  errors: Record<string, MeiError>;
}

export async function meFirmwareInfo(bus: MeiBus, d: Deadline, perQueryMs = 3000): Promise<MeFirmwareInfo> {
  const within = (): Deadline => ({ at: Math.min(d.at, monotonicMs() + perQueryMs) });
  const out: MeFirmwareInfo = { fwCaps: {}, errors: {} };
  const c = mkhiClient(bus);
  await c.hold(async () => {
    const v = await getFwVersion(c, within());
    if (v.ok) {
      out.fwVersion = v.value.code.text;
      out.fwVersionBlocks = [v.value.code, ...v.value.others].map(({ platform, major, minor, hotfix, build }) => ({ platform, major, minor, hotfix, build }));
    } else {
      out.errors.fwVersion = v.error;
      if (v.error.code === 'NO_DEVICE' || v.error.code === 'NO_CLIENT' || v.error.code === 'PERMISSION') {
        for (const [name] of RULES) out.errors[`fwCaps.${name}`] = v.error;
        return;
      }
    }
    for (const [name, id] of RULES) {
      const r = await getFwCapsRule(c, id, within());
      if (r.ok) out.fwCaps[name] = r.value;
      else out.errors[`fwCaps.${name}`] = r.error;
    }
  });
  return out;
}
