// fwupd's HSI verdicts on the ME (fu-intel-me-device.c, docs/hsi-tests.d
// org.fwupd.hsi.Mei.*): manufacturing mode, override strap, disabled,
// known-vulnerable version, Boot Guard. Pure: decoded registers in, verdicts out.

import { type FwVersion, type Hfsts1, type HfstsDecoded, type MeFamily } from './hfsts.ts';

export interface Check {
  result: 'pass' | 'fail' | 'unknown';
  reason: string;
}

export interface MeVerdicts {
  /** org.fwupd.hsi.Mei.ManufacturingMode. */
  manufacturingMode: Check;
  /** org.fwupd.hsi.Mei.OverrideStrap. */
  overrideStrap: Check;
  /** Whether HFSTS1 says the ME is disabled; null without HFSTS1. */
  disabled: { disabled: boolean | null; reasons: string[] };
  /** org.fwupd.hsi.Mei.Version. */
  vulnerableVersion: { result: 'vulnerable' | 'patched' | 'not-listed' | 'not-enabled' | 'unknown'; reason: string };
  /** org.fwupd.hsi.IntelBootguard.Enabled. */
  bootGuard: Check;
}

/** fwupd's threshold table, from Intel's CSME version detection tool data (download 28632). */
const VULNERABLE_BELOW: readonly { family: MeFamily; major: number; minor: number; patched: number }[] = [
  { family: 'TXE', major: 3, minor: 1, patched: 92 },
  { family: 'TXE', major: 4, minor: 0, patched: 45 },
  { family: 'CSME11', major: 11, minor: 8, patched: 92 },
  { family: 'CSME11', major: 11, minor: 12, patched: 92 },
  { family: 'CSME11', major: 11, minor: 22, patched: 92 },
  { family: 'CSME11', major: 12, minor: 0, patched: 90 },
  { family: 'CSME11', major: 13, minor: 0, patched: 60 },
  { family: 'CSME11', major: 13, minor: 30, patched: 30 },
  { family: 'CSME11', major: 13, minor: 50, patched: 20 },
  { family: 'CSME11', major: 14, minor: 1, patched: 65 },
  { family: 'CSME11', major: 14, minor: 5, patched: 45 },
  { family: 'CSME11', major: 15, minor: 0, patched: 40 },
  { family: 'CSME11', major: 15, minor: 40, patched: 20 },
];

export function meVerdicts(d: HfstsDecoded, version: FwVersion | null): MeVerdicts {
  return {
    manufacturingMode: manufacturingMode(d),
    overrideStrap: overrideStrap(d),
    disabled: disabledVerdict(d.hfsts1),
    vulnerableVersion: vulnerableVersion(d, version),
    bootGuard: bootGuard(d),
  };
}

const NO_HFSTS1: Check = { result: 'unknown', reason: 'HFSTS1 not available' };

function manufacturingMode(d: HfstsDecoded): Check {
  const h = d.hfsts1;
  if (!h) return NO_HFSTS1;
  switch (d.family) {
    case 'CSME11':
    case 'ME':
    case 'TXE':
      return h.bit4
        ? { result: 'fail', reason: 'HFSTS1 bit 4 set: the ME is in manufacturing mode (flash descriptor and fuses left open)' }
        : { result: 'pass', reason: 'HFSTS1 bit 4 clear: not in manufacturing mode' };
    case 'CSME16':
      return { result: 'unknown', reason: `CSME16-17 reuse HFSTS1 bit 4 for SPI protection mode (now ${h.bit4 ? 1 : 0}), so manufacturing mode cannot be read from it (fwupd skips this check)` };
    case 'CSME18':
      if (h.bit4) return { result: 'fail', reason: 'HFSTS1 SPI protection mode set: the BIOS can write the flash descriptor' };
      if (h.operationMode.code === 2 || h.operationMode.code === 7) return { result: 'fail', reason: `HFSTS1 operation mode ${h.operationMode.name}` };
      return { result: 'pass', reason: 'SPI protection mode clear and not in a debug operation mode' };
    default:
      return { result: 'unknown', reason: `the meaning of HFSTS1 bit 4 depends on the ME generation, which is ${d.family ?? 'unknown (no firmware version)'}` };
  }
}

function overrideStrap(d: HfstsDecoded): Check {
  const h = d.hfsts1;
  if (!h) return NO_HFSTS1;
  if (d.family === 'SPS') return { result: 'unknown', reason: 'SPS firmware uses operation mode 0xF; the override strap is not reported there' };
  return h.operationMode.code === 4
    ? { result: 'fail', reason: 'HFSTS1 operation mode 4: the flash descriptor security override strap (jumper) is set' }
    : { result: 'pass', reason: `HFSTS1 operation mode ${h.operationMode.name}` };
}

function disabledVerdict(h: Hfsts1 | null): MeVerdicts['disabled'] {
  if (!h) return { disabled: null, reasons: [] };
  const reasons: string[] = [];
  if (h.workingState.code === 4) reasons.push('working state Disabled (HAP or soft-disable)');
  if (h.operationMode.code === 3) reasons.push('operation mode Soft Temporary Disable');
  if (h.errorCode.code === 2) reasons.push('error code Disabled');
  return { disabled: reasons.length > 0, reasons };
}

function vulnerableVersion(d: HfstsDecoded, v: FwVersion | null): MeVerdicts['vulnerableVersion'] {
  if (d.hfsts1?.workingState.code === 4) return { result: 'not-enabled', reason: 'the ME is disabled (working state 4), so its version does not matter (fwupd: "not-enabled")' };
  if (!v) return { result: 'unknown', reason: 'no firmware version' };
  if (!d.family) return { result: 'unknown', reason: `no family known for major version ${v.major}` };
  const row = VULNERABLE_BELOW.find((r) => r.family === d.family && r.major === v.major && r.minor === v.minor);
  if (!row) return { result: 'not-listed', reason: `${d.family} ${v.major}.${v.minor} is not in fwupd's vulnerable-version table` };
  return v.hotfix >= row.patched
    ? { result: 'patched', reason: `${v.text}: ${v.major}.${v.minor} is fixed from hotfix ${row.patched}` }
    : { result: 'vulnerable', reason: `${v.text}: ${v.major}.${v.minor} needs hotfix ${row.patched} or later (Intel CSME advisories)` };
}

function bootGuard(d: HfstsDecoded): Check {
  if ((d.family === 'CSME11' || d.family === 'CSME16') && d.hfsts6?.layout === 'csme11') {
    return d.hfsts6.bootGuardDisable
      ? { result: 'fail', reason: 'HFSTS6 BootGuard disable bit set' }
      : { result: 'pass', reason: `BootGuard enabled (${d.hfsts6.verifiedBoot ? 'verified' : 'measured-only'} boot, error policy: ${d.hfsts6.errorEnforcePolicy.name})` };
  }
  if (d.family === 'CSME18' && d.hfsts5?.layout === 'csme18') {
    return d.hfsts5.valid
      ? { result: 'pass', reason: `HFSTS5 BootGuard status valid (${d.hfsts5.errorStatus.name})` }
      : { result: 'fail', reason: 'HFSTS5 BootGuard status not valid: BootGuard not enabled' };
  }
  return { result: 'unknown', reason: d.family ? `no BootGuard registers decoded for ${d.family}` : 'ME generation unknown' };
}
