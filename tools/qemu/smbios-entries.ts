// The extra SMBIOS structures a profile declares, as JSON, and their encoding
// into the structures QEMU loads with `-smbios file=` (one file each, so the
// structure count and maximum size QEMU puts in the entry point stay right).

import { IP_ASSIGNMENT, type RedfishOverIp } from '../fixtures/smbios-structs.ts';
import { structureBytes, type RawStructure } from '../smbios/build.ts';
import { amtTable, fwstsTable, redfishHostInterfacePci, vproTable, type AmtTable, type FwstsRecord, type PciNicIds, type VproTable } from '../smbios/oem.ts';
import { bool, int, list, onlyKeys, oneOf, ProfileError, record, str, type Json } from './json-check.ts';

export type SmbiosEntry =
  | ({ kind: 'amt' } & AmtTable)
  | ({ kind: 'vpro' } & VproTable)
  | { kind: 'fwsts'; handle: number; type: number; records: FwstsRecord[] }
  | { kind: 'redfish-host-interface'; handle: number; nic: PciNicIds; redfish: RedfishOverIp };

/** Handles QEMU never gives its own structures (it numbers them from 0 by type, 0x7F00 for End-of-Table). */
const HANDLE_MIN = 0xe000;
const handle = (v: Json, at: string): number => int(v, at, HANDLE_MIN, 0xfeff);
const u8 = (v: Json, at: string): number => int(v, at, 0, 0xff);
const u16 = (v: Json, at: string): number => int(v, at, 0, 0xffff);
const ASSIGNMENTS = Object.keys(IP_ASSIGNMENT) as (keyof typeof IP_ASSIGNMENT)[];

export function parseSmbiosEntry(v: Json, at: string): SmbiosEntry {
  const o = record(v, at);
  const kind = oneOf(o.kind, `${at}.kind`, ['amt', 'vpro', 'fwsts', 'redfish-host-interface'] as const);
  switch (kind) {
    case 'amt': {
      onlyKeys(o, at, ['kind', 'handle', 'supported', 'enabled', 'ider', 'sol', 'network', 'kvm', 'extendedData', 'oemCapabilities']);
      const e: SmbiosEntry = {
        kind,
        handle: handle(o.handle, `${at}.handle`),
        supported: bool(o.supported, `${at}.supported`),
        enabled: bool(o.enabled, `${at}.enabled`),
        ider: bool(o.ider, `${at}.ider`),
        sol: bool(o.sol, `${at}.sol`),
        network: bool(o.network, `${at}.network`),
        kvm: bool(o.kvm, `${at}.kvm`),
      };
      if (o.extendedData !== undefined) e.extendedData = u8(o.extendedData, `${at}.extendedData`);
      if (o.oemCapabilities !== undefined) {
        const caps = list(o.oemCapabilities, `${at}.oemCapabilities`).map((x, i) => u8(x, `${at}.oemCapabilities[${i}]`));
        if (caps.length !== 4) throw new ProfileError(`${at}.oemCapabilities: needs 4 bytes`);
        e.oemCapabilities = caps as [number, number, number, number];
      }
      return e;
    }
    case 'vpro':
      onlyKeys(o, at, ['kind', 'handle', 'cpuCapabilities', 'mebxVersion', 'meVersion']);
      return {
        kind,
        handle: handle(o.handle, `${at}.handle`),
        cpuCapabilities: int(o.cpuCapabilities, `${at}.cpuCapabilities`, 0, 0xffffffff),
        mebxVersion: str(o.mebxVersion, `${at}.mebxVersion`),
        meVersion: str(o.meVersion, `${at}.meVersion`),
      };
    case 'fwsts':
      onlyKeys(o, at, ['kind', 'handle', 'type', 'records']);
      return {
        kind,
        handle: handle(o.handle, `${at}.handle`),
        // OEM range only: a standard type number would collide with what QEMU generates.
        type: o.type === undefined ? 219 : int(o.type, `${at}.type`, 128, 255),
        records: list(o.records, `${at}.records`).map((r, i) => {
          const ra = record(r, `${at}.records[${i}]`);
          onlyKeys(ra, `${at}.records[${i}]`, ['component', 'hfsts']);
          return {
            component: int(ra.component, `${at}.records[${i}].component`, 1, 4),
            hfsts: list(ra.hfsts, `${at}.records[${i}].hfsts`).map((h, k) => int(h, `${at}.records[${i}].hfsts[${k}]`, 0, 0xffffffff)),
          };
        }),
      };
    case 'redfish-host-interface': {
      onlyKeys(o, at, ['kind', 'handle', 'nic', 'redfish']);
      const n = record(o.nic, `${at}.nic`);
      onlyKeys(n, `${at}.nic`, ['vendorId', 'deviceId', 'subsystemVendorId', 'subsystemId']);
      const r = record(o.redfish, `${at}.redfish`);
      const keys = ['serviceUuid', 'hostIpAssignment', 'hostIpv4', 'hostMaskV4', 'serviceIpDiscovery', 'serviceIpv4', 'serviceMaskV4', 'servicePort', 'vlanId', 'hostname'];
      onlyKeys(r, `${at}.redfish`, keys);
      return {
        kind,
        handle: handle(o.handle, `${at}.handle`),
        nic: {
          vendorId: u16(n.vendorId, `${at}.nic.vendorId`),
          deviceId: u16(n.deviceId, `${at}.nic.deviceId`),
          subsystemVendorId: u16(n.subsystemVendorId, `${at}.nic.subsystemVendorId`),
          subsystemId: u16(n.subsystemId, `${at}.nic.subsystemId`),
        },
        redfish: {
          serviceUuid: str(r.serviceUuid, `${at}.redfish.serviceUuid`),
          hostIpAssignment: oneOf(r.hostIpAssignment, `${at}.redfish.hostIpAssignment`, ASSIGNMENTS),
          hostIpv4: str(r.hostIpv4, `${at}.redfish.hostIpv4`),
          hostMaskV4: str(r.hostMaskV4, `${at}.redfish.hostMaskV4`),
          serviceIpDiscovery: oneOf(r.serviceIpDiscovery, `${at}.redfish.serviceIpDiscovery`, ASSIGNMENTS),
          serviceIpv4: str(r.serviceIpv4, `${at}.redfish.serviceIpv4`),
          serviceMaskV4: str(r.serviceMaskV4, `${at}.redfish.serviceMaskV4`),
          servicePort: u16(r.servicePort, `${at}.redfish.servicePort`),
          vlanId: int(r.vlanId, `${at}.redfish.vlanId`, 0, 0xffffffff),
          hostname: str(r.hostname, `${at}.redfish.hostname`),
        },
      };
    }
  }
}

export function encodeSmbiosEntry(e: SmbiosEntry): RawStructure {
  switch (e.kind) {
    case 'amt':
      return amtTable(e);
    case 'vpro':
      return vproTable(e);
    case 'fwsts':
      return fwstsTable(e.handle, e.records, e.type);
    case 'redfish-host-interface':
      return redfishHostInterfacePci(e.handle, e.nic, e.redfish);
  }
}

/** The bytes of one `-smbios file=` blob: the structure with its string set, as DSP0134 6.1 lays it out. */
export function smbiosFileBytes(e: SmbiosEntry): Buffer {
  return structureBytes(encodeSmbiosEntry(e));
}
