// The SMBIOS probe: /sys/firmware/dmi/tables/{smbios_entry_point,DMI}, which
// the kernel exposes read-only to root. No SMBIOS at all (Firecracker, some ARM
// boards) is a fact about the machine, not an error.

import type { ErrorSink } from '../errors.ts';
import type { SysRoot } from '../sysroot.ts';
import { decodeTable } from './decode.ts';
import { parseEntryPoint } from './entry-point.ts';
import type { SmbiosReport } from './types.ts';

export const ENTRY_POINT_PATH = '/sys/firmware/dmi/tables/smbios_entry_point';
export const TABLE_PATH = '/sys/firmware/dmi/tables/DMI';
/** DSP0134 5.2: the largest entry point is 0x1F bytes; the file is never bigger than a page. */
const ENTRY_POINT_CAP = 4096;

export function readSmbios(sys: SysRoot, errs: ErrorSink): SmbiosReport | null {
  const epBytes = sys.readBytes(ENTRY_POINT_PATH, ENTRY_POINT_CAP);
  if (!epBytes.ok) {
    if (epBytes.error.code !== 'ENOENT') errs.add(ENTRY_POINT_PATH, epBytes.error.code, epBytes.error.message);
    return null;
  }
  const ep = parseEntryPoint(epBytes.value);
  if (!ep.ok) {
    errs.add(ENTRY_POINT_PATH, ep.error.code, ep.error.message);
    return null;
  }
  const table = sys.readBytes(TABLE_PATH);
  if (!table.ok) {
    // An entry point without its table is a broken export, so absence counts here.
    errs.add(TABLE_PATH, table.error.code, table.error.message);
    return null;
  }
  const decoded = decodeTable(ep.value, table.value);
  if (!decoded.ok) {
    errs.add(TABLE_PATH, decoded.error.code, decoded.error.message);
    return null;
  }
  for (const issue of decoded.value.issues) errs.add(TABLE_PATH, issue.code, issue.message);
  return decoded.value.report;
}

export { parseEntryPoint, versionCode } from './entry-point.ts';
export { walkTable, type SmbiosTable } from './table.ts';
export { decodeSmbios, decodeTable, emptySmbiosReport, type Decoded } from './decode.ts';
export { StructureView, type TableStructure } from './structure.ts';
export type * from './types.ts';
