// From entry point and table bytes to the report section: walk the table,
// decode the types the agent uses, list every structure. Pure; the problems it
// meets come back as issues beside whatever it could decode.

import { ok, type ParseError, type Result } from '../errors.ts';
import { decodeBaseboard } from './baseboard.ts';
import { decodeBios } from './bios.ts';
import { decodeChassis } from './chassis.ts';
import { parseEntryPoint, versionCode } from './entry-point.ts';
import { decodeAmt, decodeVpro } from './intel-amt.ts';
import { decodeFirmwareVersions, decodeFwsts } from './intel-fw.ts';
import { decodeIpmi } from './ipmi.ts';
import { decodeOemStrings } from './oem-strings.ts';
import { decodeProcessor } from './processor.ts';
import { decodeRedfishHostInterface } from './redfish.ts';
import { decodeSystem } from './system.ts';
import { StructureView } from './structure.ts';
import { walkTable } from './table.ts';
import type { SmbiosEntryPoint, SmbiosReport } from './types.ts';

/** DSP0134 7: types 128-255 are the vendor's own; 130 and 131 are Intel's by convention. */
const OEM_TYPES = 128;
const FIRMWARE_VERSION_INFO = 221;

/**
 * Intel ME tables live at BIOS-chosen OEM numbers; a structure that does not
 * fit their layout is some other vendor table, so a mismatch is not an issue.
 */
function intelMe(v: StructureView, report: SmbiosReport): void {
  if (v.s.type === FIRMWARE_VERSION_INFO) {
    const versions = decodeFirmwareVersions(v);
    if (versions.ok) {
      report.firmwareVersions.push(versions.value);
      return;
    }
  }
  const fwsts = decodeFwsts(v);
  if (fwsts.ok) report.fwsts.push(fwsts.value);
}

export interface Decoded {
  report: SmbiosReport;
  issues: ParseError[];
}

/** A report with no structures decoded yet; tests build partial reports on it too. */
export function emptySmbiosReport(entryPoint: SmbiosEntryPoint): SmbiosReport {
  return {
    entryPoint,
    structures: [],
    bios: null,
    system: null,
    baseboards: [],
    chassis: [],
    processors: [],
    oemStrings: [],
    ipmi: [],
    redfishHostInterfaces: [],
    amt: null,
    vpro: null,
    fwsts: [],
    firmwareVersions: [],
  };
}

export function decodeTable(entryPoint: SmbiosEntryPoint, table: Uint8Array): Result<Decoded> {
  const walked = walkTable(table, entryPoint);
  if (!walked.ok) return walked;
  const issues = [...walked.value.issues];
  const version = versionCode(entryPoint);
  const report = emptySmbiosReport(entryPoint);

  for (const s of walked.value.structures) {
    report.structures.push({ type: s.type, handle: s.handle, length: s.length });
    const v = new StructureView(s, version);
    const take = <T>(r: Result<T>, use: (x: T) => void): void => {
      if (r.ok) use(r.value);
      else issues.push(r.error);
    };
    switch (s.type) {
      case 0:
        take(decodeBios(v), (x) => (report.bios ??= x));
        break;
      case 1:
        take(decodeSystem(v), (x) => (report.system ??= x));
        break;
      case 2:
        take(decodeBaseboard(v), (x) => report.baseboards.push(x));
        break;
      case 3:
        take(decodeChassis(v), (x) => report.chassis.push(x));
        break;
      case 4:
        take(decodeProcessor(v), (x) => report.processors.push(x));
        break;
      case 11:
        take(decodeOemStrings(v), (x) => report.oemStrings.push(...x));
        break;
      case 38:
        take(decodeIpmi(v), (x) => report.ipmi.push(x));
        break;
      case 42:
        take(decodeRedfishHostInterface(v), (x) => report.redfishHostInterfaces.push(x));
        break;
      case 130:
        take(decodeAmt(v), (x) => (report.amt ??= x));
        break;
      case 131:
        take(decodeVpro(v), (x) => (report.vpro ??= x));
        break;
      default:
        if (s.type >= OEM_TYPES) intelMe(v, report);
    }
    issues.push(...v.issues);
  }
  const cut = walked.value.truncated;
  if (cut) report.structures.push(cut);
  return ok({ report, issues });
}

/** Both files' bytes to the report section; a bad entry point fails the whole. */
export function decodeSmbios(entryPointBytes: Uint8Array, table: Uint8Array): Result<Decoded> {
  const ep = parseEntryPoint(entryPointBytes);
  if (!ep.ok) return ep;
  return decodeTable(ep.value, table);
}
