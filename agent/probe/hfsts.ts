// Intel ME host firmware status registers (HFSTS1..6, a.k.a. FWSTS / HFS)
// decoded per CSME generation. Pure: numbers in, records out. The sysfs text
// they arrive in is parsed in hfsts-text.ts, the verdicts drawn from them are
// in me-verdicts.ts.
//
// Bit layouts: fwupd `libfwupdplugin/fu-intel-me.rs` (FuMeiCsme11Hfsts1..6,
// FuMeiCsme18Hfsts1..6), coreboot `util/intelmetool/me.h` (pre-CSME11 `me_hfs`
// / `me_gmes`), Linux `drivers/misc/mei/hw-me-regs.h` (SPS markers). Verdict
// rules: fwupd `libfwupdplugin/fu-intel-me-device.c`. Summarised with sources in
// shared/reference/amt-me.md section 3.


/** fwupd's families by firmware major version, plus SPS (server firmware) recognised from the registers. */
export type MeFamily = 'TXE' | 'ME' | 'CSME11' | 'CSME16' | 'CSME18' | 'SPS';

/** A register field's value with its documented name ("unknown (N)" when undocumented). */
export interface Coded {
  code: number;
  name: string;
}

/** One `platform:major.minor.hotfix.build` block of /sys/class/mei/meiN/fw_ver. */
export interface FwVersion {
  platform: number;
  major: number;
  minor: number;
  hotfix: number;
  build: number;
  /** "16.1.30.2307", the form fwupd and Intel's tools print. */
  text: string;
}

/**
 * Which field layout HFSTS2..6 are decoded with. `legacy` (ME <= 10, TXE, SPS)
 * decodes only the fields coreboot's `me_hfs`/`me_gmes` share with CSME.
 */
export type HfstsLayout = 'legacy' | 'csme11' | 'csme18';

export interface Hfsts1 {
  raw: number;
  workingState: Coded;
  /** Bit 4 as read; what it means depends on the generation (see `bit4Meaning`). */
  bit4: boolean;
  bit4Meaning: 'manufacturing mode' | 'SPI protection mode (1 = flash descriptor not protected)' | 'unknown for this family';
  fptBad: boolean;
  operationState: Coded;
  initComplete: boolean;
  bupLoaderFailure: boolean;
  updateInProgress: boolean;
  errorCode: Coded;
  operationMode: Coded;
  /** Bits 23:20, CSME11 and later; reserved before. */
  resetCount: number | null;
  bootOptionsPresent: boolean;
  /** Bits 29:28, CSME11 and later. */
  currentPowerSource: number | null;
  d3SupportValid: boolean | null;
  d0i3SupportValid: boolean | null;
}

export interface Hfsts2 {
  raw: number;
  /** Bits 31:28. */
  phase: number;
  /** Named only for pre-CSME11 firmware, where coreboot documents the phases. */
  phaseName: string | null;
  pmEvent: number;
  statusData: number;
  iccProgStatus: number;
  invokeMebx: boolean;
  cpuReplaced: boolean;
  mfsFailure: boolean;
  warmResetRequest: boolean;
  cpuReplacedValid: boolean;
  nftpLoadFailure: boolean | null;
  lowPowerState: boolean | null;
  mePowerGate: boolean | null;
  ipuNeeded: boolean | null;
  forcedSafeBoot: boolean | null;
  cseWayToDisabled: boolean | null;
  listenerChange: boolean | null;
}

export interface Hfsts3 {
  raw: number;
  /** Bits 6:4: 2 Consumer, 3 Corporate, 5 Lite, 6 SPS; null where the layout does not define it. */
  fwSku: Coded | null;
  ibbVerificationResult: boolean | null;
  ibbVerificationDone: boolean | null;
  transactionalState: boolean | null;
  storageProxyPresent: boolean | null;
}

export interface Csme11Hfsts4 {
  layout: 'csme11';
  raw: number;
  enforcementFlow: boolean;
  sxResumeType: boolean;
  tpmDisconnected: boolean;
  fwstsValid: boolean;
  bootGuardSelfTest: boolean;
}
export interface Csme18Hfsts4 {
  layout: 'csme18';
  raw: number;
  flashLogExists: boolean;
}

/** HFSTS5: the BootGuard ACM's report. */
export interface Csme11Hfsts5 {
  layout: 'csme11';
  raw: number;
  acmActive: boolean;
  valid: boolean;
  resultCodeSource: boolean;
  errorStatusCode: number;
  acmDone: boolean;
  timeoutCount: number;
  scrtmIndicator: boolean;
  startEnforcement: boolean;
}
export interface Csme18Hfsts5 {
  layout: 'csme18';
  raw: number;
  acmActive: boolean;
  valid: boolean;
  errorStatus: Coded;
  acmDone: boolean;
  txtSupport: boolean;
  bootGuardProfile: number;
  startEnforcement: boolean;
}

/** HFSTS6: BootGuard policy and fuses. */
export interface Csme11Hfsts6 {
  layout: 'csme11';
  raw: number;
  forceBootGuardAcm: boolean;
  cpuDebugDisable: boolean;
  bspInitDisable: boolean;
  protectBiosEnv: boolean;
  errorEnforcePolicy: Coded;
  measuredBoot: boolean;
  verifiedBoot: boolean;
  acmSvn: number;
  kmSvn: number;
  bpmSvn: number;
  keyManifestId: number;
  bootGuardDisable: boolean;
  fpfDisable: boolean;
  fpfSocLock: boolean;
  txtSupport: boolean;
}
export interface Csme18Hfsts6 {
  layout: 'csme18';
  raw: number;
  manufacturingLock: boolean;
  fpfSocConfigLock: boolean;
  sxResumeType: boolean;
}

export interface HfstsDecoded {
  family: MeFamily | null;
  layout: HfstsLayout;
  /** True when the family is unknown and the CSME11 layout was assumed. */
  layoutAssumed: boolean;
  hfsts1: Hfsts1 | null;
  hfsts2: Hfsts2 | null;
  hfsts3: Hfsts3 | null;
  hfsts4: Csme11Hfsts4 | Csme18Hfsts4 | null;
  hfsts5: Csme11Hfsts5 | Csme18Hfsts5 | null;
  hfsts6: Csme11Hfsts6 | Csme18Hfsts6 | null;
  /** "Normal, M0 with UMA" (plus mode and error when not normal), or null without HFSTS1. */
  summary: string | null;
}

/** The kernel prints at most six registers (PCI_CFG_HFS_1..6). */
export const MAX_HFSTS = 6;
/** MEI_MAX_FW_VER_BLOCKS in drivers/misc/mei/mei_dev.h. */
export const MAX_FW_VER_BLOCKS = 3;

const WORKING_STATES: Record<number, string> = {
  0: 'Reset', 1: 'Initializing', 2: 'Recovery', 3: 'Test', 4: 'Disabled', 5: 'Normal',
  6: 'Platform Disable Wait', 7: 'OP State Transition', 8: 'Invalid CPU', 0xe: 'Halt',
};
const OPERATION_STATES: Record<number, string> = {
  0: 'Preboot', 1: 'M0 with UMA', 2: 'M0 power gated', 4: 'M3 without UMA', 5: 'M0 without UMA',
  6: 'Bring-up', 7: 'M0 without UMA but error',
};
const ERROR_CODES: Record<number, string> = {
  0: 'No error', 1: 'Uncategorized failure', 2: 'Disabled', 3: 'Image failure', 4: 'Debug failure',
};
const OPERATION_MODES: Record<number, string> = {
  0: 'Normal', 2: 'Debug', 3: 'Soft Temporary Disable', 4: 'Security Override via Jumper',
  5: 'Security Override via MEI message',
  // hw-me-regs.h PCI_CFG_HFS_1_OPMODE_SPS: all four bits set marks SPS firmware (SPS <= 4.0).
  0xf: 'SPS',
};
/** coreboot me.h progress codes; CSME firmware does not document its phases. */
const LEGACY_PHASES: Record<number, string> = {
  0: 'ROM', 1: 'BUP', 2: 'uKernel', 3: 'Policy Module', 4: 'Module Loading', 6: 'Host Communication',
};
const FW_SKUS: Record<number, string> = { 2: 'Consumer', 3: 'Corporate', 5: 'Lite', 6: 'SPS' };
const ENFORCEMENT_POLICIES: Record<number, string> = {
  0: 'Do nothing', 1: 'Shutdown on timeout', 2: 'Shutdown now', 3: 'Shutdown in 30 minutes',
};
const CSME18_BTG_ERRORS: Record<number, string> = {
  0: 'Success', 1: 'BootGuard initialization failed', 2: 'Key manifest verification failed',
  3: 'Boot policy manifest verification failed', 4: 'IBB verification failed', 5: 'FIT processing failed',
  6: 'DMA setup failed', 7: 'NEM setup failed', 8: 'TPM setup failed', 9: 'IBB measurement failed',
  11: 'ME connection failed',
};

const coded = (table: Record<number, string>, code: number): Coded => ({ code, name: table[code] ?? `unknown (${code})` });
const bits = (v: number, lo: number, width: number): number => Math.floor(v / 2 ** lo) % 2 ** width;
export const bit = (v: number, n: number): boolean => bits(v, n, 1) === 1;

export const hex32 = (v: number): string => `0x${v.toString(16).toUpperCase().padStart(8, '0')}`;

/** fwupd's family table (fu-intel-me-device.c): by the firmware major version alone. */
export function familyFromMajor(major: number): MeFamily | null {
  if (!Number.isInteger(major) || major <= 0) return null;
  if (major <= 5) return 'TXE';
  if (major <= 10) return 'ME';
  if (major <= 15) return 'CSME11';
  if (major <= 17) return 'CSME16';
  return 'CSME18';
}

/**
 * The family, preferring the registers' SPS markers (hw-me-regs.h: HFS_1 operation
 * mode 0xF, HFS_3 SKU 0x60) because SPS majors overlap TXE/ME/CSME numbers.
 */
export function detectFamily(version: FwVersion | null, regs: readonly number[]): MeFamily | null {
  const h1 = regs[0];
  const h3 = regs[2];
  if (h1 !== undefined && bits(u32(h1), 16, 4) === 0xf) return 'SPS';
  if (h3 !== undefined && bits(u32(h3), 4, 3) === 6) return 'SPS';
  return version ? familyFromMajor(version.major) : null;
}

function layoutFor(family: MeFamily | null): { layout: HfstsLayout; assumed: boolean } {
  switch (family) {
    case 'CSME11':
    case 'CSME16':
      return { layout: 'csme11', assumed: false };
    case 'CSME18':
      return { layout: 'csme18', assumed: false };
    case 'TXE':
    case 'ME':
    case 'SPS':
      return { layout: 'legacy', assumed: false };
    default:
      return { layout: 'csme11', assumed: true };
  }
}

/** Callers pass parsed u32 values; anything else is folded into that range rather than thrown on. */
const u32 = (v: number): number => (Number.isFinite(v) ? Math.trunc(v) >>> 0 : 0);

export function decodeHfsts(regs: readonly number[], family: MeFamily | null): HfstsDecoded {
  const { layout, assumed } = layoutFor(family);
  const r = regs.slice(0, MAX_HFSTS).map(u32);
  const h1 = r[0] === undefined ? null : decode1(r[0], family, layout);
  return {
    family,
    layout,
    layoutAssumed: assumed,
    hfsts1: h1,
    hfsts2: r[1] === undefined ? null : decode2(r[1], layout),
    hfsts3: r[2] === undefined ? null : decode3(r[2], family, layout),
    hfsts4: r[3] === undefined || layout === 'legacy' ? null : decode4(r[3], layout),
    hfsts5: r[4] === undefined || layout === 'legacy' ? null : decode5(r[4], layout),
    hfsts6: r[5] === undefined || layout === 'legacy' ? null : decode6(r[5], layout),
    summary: h1 ? summarize(h1) : null,
  };
}

function decode1(v: number, family: MeFamily | null, layout: HfstsLayout): Hfsts1 {
  const csme = layout !== 'legacy';
  const mode = bits(v, 16, 4);
  return {
    raw: v,
    workingState: coded(WORKING_STATES, bits(v, 0, 4)),
    bit4: bit(v, 4),
    bit4Meaning: bit4Meaning(family),
    fptBad: bit(v, 5),
    operationState: coded(OPERATION_STATES, bits(v, 6, 3)),
    initComplete: bit(v, 9),
    bupLoaderFailure: bit(v, 10),
    updateInProgress: bit(v, 11),
    errorCode: coded(ERROR_CODES, bits(v, 12, 4)),
    operationMode: mode === 7 && layout === 'csme18' ? { code: 7, name: 'Enhanced Debug' } : coded(OPERATION_MODES, mode),
    resetCount: csme ? bits(v, 20, 4) : null,
    bootOptionsPresent: bit(v, 24),
    currentPowerSource: csme ? bits(v, 28, 2) : null,
    d3SupportValid: csme ? bit(v, 30) : null,
    d0i3SupportValid: csme ? bit(v, 31) : null,
  };
}

function bit4Meaning(family: MeFamily | null): Hfsts1['bit4Meaning'] {
  switch (family) {
    case 'TXE':
    case 'ME':
    case 'CSME11':
      return 'manufacturing mode';
    case 'CSME16':
    case 'CSME18':
      return 'SPI protection mode (1 = flash descriptor not protected)';
    default:
      return 'unknown for this family';
  }
}

function decode2(v: number, layout: HfstsLayout): Hfsts2 {
  const csme = layout !== 'legacy';
  const phase = bits(v, 28, 4);
  return {
    raw: v,
    phase,
    phaseName: csme ? null : (LEGACY_PHASES[phase] ?? null),
    pmEvent: bits(v, 24, 4),
    statusData: bits(v, 16, 8),
    iccProgStatus: bits(v, 1, 2),
    invokeMebx: bit(v, 3),
    cpuReplaced: bit(v, 4),
    mfsFailure: bit(v, 6),
    warmResetRequest: bit(v, 7),
    cpuReplacedValid: bit(v, 8),
    nftpLoadFailure: csme ? bit(v, 0) : null,
    lowPowerState: csme ? bit(v, 9) : null,
    mePowerGate: csme ? bit(v, 10) : null,
    ipuNeeded: csme ? bit(v, 11) : null,
    forcedSafeBoot: layout === 'csme11' ? bit(v, 12) : null,
    cseWayToDisabled: layout === 'csme18' ? bit(v, 14) : null,
    listenerChange: csme ? bit(v, 15) : null,
  };
}

function decode3(v: number, family: MeFamily | null, layout: HfstsLayout): Hfsts3 {
  // Pre-CSME11 ME and TXE do not document an SKU field here; SPS is marked by it.
  const skuDefined = layout !== 'legacy' || family === 'SPS';
  return {
    raw: v,
    fwSku: skuDefined ? coded(FW_SKUS, bits(v, 4, 3)) : null,
    ibbVerificationResult: layout === 'csme11' ? bit(v, 9) : null,
    ibbVerificationDone: layout === 'csme11' ? bit(v, 10) : null,
    transactionalState: layout === 'csme18' ? bit(v, 7) : null,
    storageProxyPresent: layout === 'csme18' ? bit(v, 8) : null,
  };
}

function decode4(v: number, layout: 'csme11' | 'csme18'): Csme11Hfsts4 | Csme18Hfsts4 {
  if (layout === 'csme18') return { layout, raw: v, flashLogExists: bit(v, 2) };
  return {
    layout,
    raw: v,
    enforcementFlow: bit(v, 9),
    sxResumeType: bit(v, 10),
    tpmDisconnected: bit(v, 12),
    fwstsValid: bit(v, 14),
    bootGuardSelfTest: bit(v, 15),
  };
}

function decode5(v: number, layout: 'csme11' | 'csme18'): Csme11Hfsts5 | Csme18Hfsts5 {
  if (layout === 'csme18') {
    return {
      layout,
      raw: v,
      acmActive: bit(v, 0),
      valid: bit(v, 1),
      errorStatus: coded(CSME18_BTG_ERRORS, bits(v, 3, 5)),
      acmDone: bit(v, 8),
      txtSupport: bit(v, 17),
      bootGuardProfile: bits(v, 18, 3),
      startEnforcement: bit(v, 31),
    };
  }
  return {
    layout,
    raw: v,
    acmActive: bit(v, 0),
    valid: bit(v, 1),
    resultCodeSource: bit(v, 2),
    errorStatusCode: bits(v, 3, 5),
    acmDone: bit(v, 8),
    timeoutCount: bits(v, 9, 7),
    scrtmIndicator: bit(v, 16),
    startEnforcement: bit(v, 31),
  };
}

function decode6(v: number, layout: 'csme11' | 'csme18'): Csme11Hfsts6 | Csme18Hfsts6 {
  if (layout === 'csme18') {
    return { layout, raw: v, manufacturingLock: bit(v, 21), fpfSocConfigLock: bit(v, 30), sxResumeType: bit(v, 31) };
  }
  return {
    layout,
    raw: v,
    forceBootGuardAcm: bit(v, 0),
    cpuDebugDisable: bit(v, 1),
    bspInitDisable: bit(v, 2),
    protectBiosEnv: bit(v, 3),
    errorEnforcePolicy: coded(ENFORCEMENT_POLICIES, bits(v, 6, 2)),
    measuredBoot: bit(v, 8),
    verifiedBoot: bit(v, 9),
    acmSvn: bits(v, 10, 4),
    kmSvn: bits(v, 14, 4),
    bpmSvn: bits(v, 18, 4),
    keyManifestId: bits(v, 22, 4),
    bootGuardDisable: bit(v, 28),
    fpfDisable: bit(v, 29),
    fpfSocLock: bit(v, 30),
    txtSupport: bit(v, 31),
  };
}

function summarize(h: Hfsts1): string {
  const parts = [h.workingState.name, h.operationState.name];
  if (h.operationMode.code !== 0) parts.push(`mode ${h.operationMode.name}`);
  if (h.errorCode.code !== 0) parts.push(`error ${h.errorCode.name}`);
  return parts.join(', ');
}
