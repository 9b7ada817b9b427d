// Encoders for the SMBIOS structures the QEMU profiles add that QEMU does not
// generate itself: Intel's $AMT (130) and vPro (131) tables, the ME "FWSTS"
// copy of the HFSTS registers (219 by the usual BIOS choice) and a Redfish
// host interface (42) whose device descriptor names a PCI NIC. Byte layouts
// are those the agent decodes (agent/probe/smbios/intel-amt.ts, intel-fw.ts,
// redfish.ts), taken from ../shared/reference/amt-me.md sections 3-4 and DMTF
// DSP0270; the tests run every encoder back through those decoders.
// Type 42 with a USB descriptor and type 38 already have encoders in
// tools/fixtures/smbios-structs.ts (and QEMU writes 38 for isa-ipmi-kcs).

import { redfishOverIpRecord, type RedfishOverIp } from '../fixtures/smbios-structs.ts';
import type { RawStructure } from './build.ts';

const u16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const u32 = (v: number): number[] => [...u16(v & 0xffff), ...u16(v >>> 16)];
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

function checkByte(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name}: ${v} is not a byte`);
  return v;
}

function checkU16(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${name}: ${v} is not a 16-bit value`);
  return v;
}

export interface AmtTable {
  handle: number;
  supported: boolean;
  enabled: boolean;
  /** Storage redirection (IDE-R / SRoU). */
  ider: boolean;
  sol: boolean;
  network: boolean;
  kvm: boolean;
  /** Byte 0x0D "extended data" and 0x0E-0x11 OEM capabilities; 0 when omitted. */
  extendedData?: number;
  oemCapabilities?: readonly [number, number, number, number];
}

/** Type 130: "$AMT" at 0x04, one flag byte each from 0x08, KVM at 0x12, 0x13 reserved (20 bytes). */
export function amtTable(v: AmtTable): RawStructure {
  const flag = (b: boolean): number => (b ? 1 : 0);
  const oem = (v.oemCapabilities ?? [0, 0, 0, 0]).map((b, i) => checkByte(`oemCapabilities[${i}]`, b));
  const formatted = [
    ...ascii('$AMT'),
    flag(v.supported),
    flag(v.enabled),
    flag(v.ider),
    flag(v.sol),
    flag(v.network),
    checkByte('extendedData', v.extendedData ?? 0),
    ...oem,
    flag(v.kvm),
    0,
  ];
  return { type: 130, handle: v.handle, formatted };
}

export interface VproTable {
  handle: number;
  /** 0x04: bit 2 TXT supported, 3 TXT enabled, 4 VT-x supported, 5 VT-x enabled. */
  cpuCapabilities: number;
  /** "11.0.0.10": major.minor.hotfix.build. */
  mebxVersion: string;
  /** "11.8.77.3664": major.minor.hotfix.build. */
  meVersion: string;
}

function version4(name: string, text: string): [number, number, number, number] {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4) throw new RangeError(`${name}: "${text}" is not major.minor.hotfix.build`);
  return parts.map((p, i) => checkU16(`${name} part ${i + 1}`, p)) as [number, number, number, number];
}

/**
 * Type 131, the 64-byte form OptiPlex-era BIOSes write: CPU capabilities at
 * 0x04, MEBx version as four u16 at 0x08, ME capabilities block at 0x18 with
 * the firmware version as minor@0x1C major@0x1E build@0x20 hotfix@0x22, and
 * "vPro" at 0x38. Fields the agent does not read stay zero.
 */
export function vproTable(v: VproTable): RawStructure {
  const mebx = version4('mebxVersion', v.mebxVersion);
  const [major, minor, hotfix, build] = version4('meVersion', v.meVersion);
  const area = new Array<number>(0x40 - 4).fill(0);
  const put = (off: number, bytes: number[]): void => {
    bytes.forEach((b, i) => {
      area[off - 4 + i] = b;
    });
  };
  put(0x04, u32(v.cpuCapabilities >>> 0));
  put(0x08, mebx.flatMap(u16));
  put(0x1c, u16(minor));
  put(0x1e, u16(major));
  put(0x20, u16(build));
  put(0x22, u16(hotfix));
  put(0x38, ascii('vPro'));
  return { type: 131, handle: v.handle, formatted: area };
}

export interface FwstsRecord {
  /** 1 MEI1 (0:22.0), 2 MEI2 (0:22.1), 3 MEI3 (0:22.4), 4 MEI4. */
  component: number;
  /** HFSTS1..6 in register order. */
  hfsts: readonly number[];
}

/** Intel FWSTS table (type chosen by the BIOS; 219 by default): version 1, a count, records of component + six u32. */
export function fwstsTable(handle: number, records: readonly FwstsRecord[], type = 219): RawStructure {
  if (records.length === 0 || records.length > 9) throw new RangeError(`FWSTS: ${records.length} records (1..9 fit the length byte)`);
  const body = records.flatMap((r, i) => {
    if (r.hfsts.length !== 6) throw new RangeError(`FWSTS record ${i + 1}: ${r.hfsts.length} registers, needs 6`);
    return [checkByte(`record ${i + 1} component`, r.component), ...r.hfsts.flatMap((h) => u32(h >>> 0))];
  });
  return { type, handle, formatted: [1, records.length, ...body] };
}

/** DSP0270 8.3 device type 0x03: a PCI/PCIe network function, by its four ids. */
export interface PciNicIds {
  vendorId: number;
  deviceId: number;
  subsystemVendorId: number;
  subsystemId: number;
}

/** Type 42, interface type 0x40 Network, a PCI/PCIe device descriptor, one Redfish-over-IP record (protocol 0x04). */
export function redfishHostInterfacePci(handle: number, nic: PciNicIds, redfish: RedfishOverIp): RawStructure {
  const ids = [nic.vendorId, nic.deviceId, nic.subsystemVendorId, nic.subsystemId].map((x, i) => checkU16(`PCI id ${i + 1}`, x));
  const device = [0x03, ...ids.flatMap(u16)];
  const record = redfishOverIpRecord(redfish);
  return { type: 42, handle, formatted: [0x40, device.length, ...device, 1, 0x04, record.length, ...record] };
}
