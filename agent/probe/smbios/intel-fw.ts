// Intel ME OEM tables: "FWSTS" (copies of the ME status registers for when the
// HECI function is hidden) and "Firmware Version Info". dmidecode decodes
// neither; layouts are from ../shared/reference/amt-me.md section 3 (fwupd
// plugins/intel-me-smbios). The type numbers are chosen by the BIOS (fwupd
// finds them through a type 14 "$MEI" group; 219 and 221 are the common
// choice, Dell OptiPlex 7050 puts FWSTS in 235 and its own table in 221), so
// a structure counts only when its bytes fit the layout exactly; one that does
// not is another vendor's table of that number, not an error.

import { fail, ok, type Result } from '../errors.ts';
import { where, type StructureView } from './structure.ts';
import type { FirmwareVersionSmbios, FwstsSmbios } from './types.ts';

type Component = FwstsSmbios['records'][number]['component'];
const COMPONENTS: readonly Component[] = ['unknown', 'MEI1', 'MEI2', 'MEI3', 'MEI4'];
const FWSTS_RECORD = 1 + 6 * 4;
const VERSION_RECORD = 7;

const notThis = (v: StructureView, what: string, why: string): Result<never> =>
  fail('MALFORMED', `${where(v.s)}: not an Intel ${what} table (${why})`, v.s.offset);

// 0x04 version (1), 0x05 record count, then records of a component byte and
// six u32 HFSTS1..6. The component names MEI1 (0:22.0), MEI2 (0:22.1), MEI3
// (0:22.4), MEI4: as a string number when the structure has strings (Dell's
// 235 carries "MEI1".."MEI3"), else as the number itself.
export function decodeFwsts(v: StructureView): Result<FwstsSmbios> {
  if (v.length < 0x06) return notThis(v, 'FWSTS', `${v.length} bytes`);
  const version = v.u8(0x04);
  const count = v.u8(0x05);
  if (version !== 1) return notThis(v, 'FWSTS', `version ${version}`);
  if (count === 0 || v.length !== 0x06 + count * FWSTS_RECORD) return notThis(v, 'FWSTS', `${count} records in ${v.length} bytes`);
  const records: FwstsSmbios['records'] = [];
  for (let i = 0; i < count; i++) {
    const at = 0x06 + i * FWSTS_RECORD;
    const componentCode = v.u8(at);
    const component = componentOf(v, componentCode);
    if (component === null) return notThis(v, 'FWSTS', `record ${i + 1} names component ${componentCode}`);
    const hfsts = [0, 1, 2, 3, 4, 5].map((k) => v.u32(at + 1 + 4 * k));
    records.push({ component, componentCode, hfsts });
  }
  return ok({ handle: v.s.handle, version, records });
}

function componentOf(v: StructureView, code: number): Component | null {
  const strings = v.s.strings;
  if (strings.length === 0) return COMPONENTS[code] ?? 'unknown';
  const name = strings[code - 1];
  if (name === undefined) return null;
  return /^MEI[1-4]$/.test(name) ? (name as Component) : 'unknown';
}

// 0x04 record count, then records of u8 name string, u8 version string,
// u8 major, u8 minor, u8 patch, u16 build.
export function decodeFirmwareVersions(v: StructureView): Result<FirmwareVersionSmbios> {
  if (v.length < 0x05) return notThis(v, 'firmware version', `${v.length} bytes`);
  const count = v.u8(0x04);
  if (count === 0 || v.length !== 0x05 + count * VERSION_RECORD) return notThis(v, 'firmware version', `${count} records in ${v.length} bytes`);
  const n = v.s.strings.length;
  const entries: FirmwareVersionSmbios['entries'] = [];
  for (let i = 0; i < count; i++) {
    const at = 0x05 + i * VERSION_RECORD;
    const name = v.u8(at);
    const label = v.u8(at + 1);
    if (name === 0 || name > n || label > n) return notThis(v, 'firmware version', `record ${i + 1} refers to strings ${name}/${label} of ${n}`);
    entries.push({
      name: v.str(at),
      label: v.str(at + 1),
      version: `${v.u8(at + 2)}.${v.u8(at + 3)}.${v.u8(at + 4)}.${v.u16(at + 5)}`,
    });
  }
  return ok({ handle: v.s.handle, entries });
}
