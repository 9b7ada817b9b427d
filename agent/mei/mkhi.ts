// MKHI, the ME kernel host interface: a 4-byte header {u8 group; u8 command:7 |
// is_response:1 << 7; u8 reserved; u8 result} then the body (intel/lms
// MEIClient/MKHIClient/Include/MKHICommand.h; coreboot intelmetool me.h).
// Two requests are carried: GEN (0xFF) GET_FW_VERSION (0x02) and FWCAPS (0x03)
// GET_RULE (0x02) for the feature-capability rules.

import { LeWriter, decodeLe } from './le.ts';
import { merr, mok, type MeiResult } from './types.ts';

export const MKHI_GROUP = { CBM: 0x00, FWCAPS: 0x03, GEN: 0xff } as const;
export const MKHI_GEN_GET_FW_VERSION = 0x02;
export const MKHI_FWCAPS_GET_RULE = 0x02;
export const MKHI_HEADER_LENGTH = 4;

/** FWCAPS rule ids (feature id 0): capable, enabled, available (intel/lms GetFWCapsCommand.h). */
export const MKHI_RULE = { FW_SKU: 0, ME_FW_UPDATE: 7, PCV_OEM_PLAT_TYPE_CFG: 29, FEATURE_ENABLE: 32, AVAILABLE_BITMAP: 39 } as const;

const RESULT_NAMES = new Map<number, string>([
  [0x00, 'SUCCESS'], [0x01, 'INVALID_STATE'], [0x02, 'MESSAGE_SKIPPED'], [0x05, 'SIZE_ERROR'], [0x16, 'ENINVAL'],
  [0x81, 'NOT_FOUND'], [0x84, 'INVALID_ACCESS'], [0x85, 'INVALID_PARAMS'], [0x88, 'NOT_READY'], [0x89, 'NOT_SUPPORTED'],
  [0x8c, 'INVALID_ADDRESS'], [0x8d, 'INVALID_COMMAND'], [0x99, 'GENERIC_FAILURE'], [0x9e, 'FAILURE'],
  [0xe4, 'INVALID_RESOURCE'], [0xe5, 'RESOURCE_IN_USE'], [0xe6, 'NO_RESOURCE'], [0xfe, 'RETRY'], [0xff, 'GENERAL_ERROR'],
]);
export const mkhiResultName = (r: number): string => `MKHI_STATUS_${RESULT_NAMES.get(r) ?? `0x${r.toString(16)}`}`;

export function encodeMkhiRequest(group: number, command: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  return new LeWriter().u8(group).u8(command & 0x7f).u8(0).u8(0).bytes(body).done();
}

/** The reply's body after checking group, command, the response bit and the result. */
export function decodeMkhiReply(bytes: Uint8Array, group: number, command: number): MeiResult<Uint8Array> {
  const h = decodeLe(bytes, 'MKHI reply', (r) => {
    const g = r.u8('group');
    const c = r.u8('command');
    r.u8('reserved');
    const result = r.u8('result');
    if (g !== group || (c & 0x7f) !== command || (c & 0x80) === 0) {
      r.fail(`header group 0x${g.toString(16)} command 0x${c.toString(16)}, expected group 0x${group.toString(16)} command 0x${(command | 0x80).toString(16)}`);
    }
    return result;
  });
  if (!h.ok) return h;
  if (h.value !== 0) return merr('STATUS', `MKHI group 0x${group.toString(16)} command 0x${command.toString(16)}: ${mkhiResultName(h.value)}`, h.value);
  return mok(bytes.slice(MKHI_HEADER_LENGTH));
}

export interface MkhiFwVersionBlock {
  platform: number;
  major: number;
  minor: number;
  hotfix: number;
  build: number;
}
export interface MkhiFwVersion {
  /** The running (code) firmware; the text is "major.minor.hotfix.build" as sysfs fw_ver prints it after the colon. */
  code: MkhiFwVersionBlock & { text: string };
  /** The recovery (NFT) block and, on newer parts, a third (FITC) block. */
  others: MkhiFwVersionBlock[];
}

/**
 * GET_FW_VERSION body: 1 to 3 blocks of {u16 minor; u8 major; u8 platform; u16 build; u16 hotfix}
 * (Linux drivers/misc/mei/bus-fixup.c mkhi_fw_ver_block; intel/lms reads the first two as u16 minor/major).
 */
export function decodeFwVersion(body: Uint8Array): MeiResult<MkhiFwVersion> {
  return decodeLe(body, 'GET_FW_VERSION', (r) => {
    if (body.length < 8 || body.length % 8 !== 0 || body.length > 24) r.fail(`body of ${body.length} bytes is not 1 to 3 version blocks of 8`);
    const blocks: MkhiFwVersionBlock[] = [];
    while (r.remaining > 0) {
      const minor = r.u16('minor');
      const major = r.u8('major');
      const platform = r.u8('platform');
      const build = r.u16('build');
      const hotfix = r.u16('hotfix');
      blocks.push({ platform, major, minor, hotfix, build });
    }
    const code = blocks[0] as MkhiFwVersionBlock;
    return { code: { ...code, text: `${code.major}.${code.minor}.${code.hotfix}.${code.build}` }, others: blocks.slice(1) };
  });
}

/** The capability bits of a rule's u32 (intel/lms MEFWCAPS_SKU_MKHI; amt-me.md section 3). */
export const FW_CAPS_BITS: readonly { bit: number; name: string }[] = [
  { bit: 0, name: 'Full Manageability' },
  { bit: 1, name: 'Standard Manageability' },
  { bit: 2, name: 'AMT' },
  { bit: 5, name: 'PSR' },
  { bit: 6, name: 'Capability Licensing Service' },
  { bit: 12, name: 'PAVP' },
  { bit: 14, name: 'RCA' },
  { bit: 16, name: 'HAP' },
  { bit: 17, name: 'IPv6' },
  { bit: 18, name: 'KVM' },
  { bit: 20, name: 'MEDAL' },
  { bit: 21, name: 'TLS' },
  { bit: 22, name: 'CILA' },
  { bit: 23, name: 'WLAN' },
];

export interface FwCapsRule {
  ruleId: number;
  bitmap: number;
  amt: boolean;
  kvm: boolean;
  /** Bit 16, named "Hap" in amt-me.md's reading of the sources; intel/lms calls it reserved, so treat as a hint. */
  hap: boolean;
  names: string[];
}

export const encodeGetRule = (ruleId: number): Uint8Array =>
  encodeMkhiRequest(MKHI_GROUP.FWCAPS, MKHI_FWCAPS_GET_RULE, new LeWriter().u32(ruleId).done());

/** GET_RULE body: u32 rule id (must echo ours), u8 data length (4 for the capability rules), the data. */
export function decodeFwCapsRule(body: Uint8Array, ruleId: number): MeiResult<FwCapsRule> {
  return decodeLe(body, 'FWCAPS GET_RULE', (r) => {
    const id = r.u32('rule id');
    if (id !== ruleId) r.fail(`rule id ${id}, asked for ${ruleId}`);
    const n = r.u8('rule data length');
    if (n !== 4) r.fail(`rule data length ${n}, expected 4`);
    const bitmap = r.u32('rule data');
    if (r.remaining !== 0) r.fail(`${r.remaining} trailing bytes`);
    const has = (bit: number): boolean => Math.floor(bitmap / 2 ** bit) % 2 === 1;
    return { ruleId, bitmap, amt: has(2), kvm: has(18), hap: has(16), names: FW_CAPS_BITS.filter((b) => has(b.bit)).map((b) => b.name) };
  });
}
