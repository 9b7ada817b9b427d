// Is there a BMC, and how does the host reach it? Evidence from SMBIOS type 38,
// the kernel's IPMI interfaces and device nodes, the ipmi_si / ipmi_ssif
// drivers and their ACPI IPI0001 devices, and the BMC's own VGA function
// (ASPEED, Matrox G200e...), which exists even when no IPMI driver is loaded.

import type { ErrorSink } from './errors.ts';
import type { PciDevice } from './pci.ts';
import type { IpmiDeviceInfo } from './smbios/types.ts';
import type { SysRoot } from './sysroot.ts';
import { followDevice, isDir } from './nics.ts';

export interface IpmiInterface {
  /** "ipmi0" under /sys/class/ipmi. */
  name: string;
  devNode: string | null;
  driver: string | null;
  /** The device the interface sits on, e.g. ACPI "IPI0001:00" or "dmi-ipmi-si.0". */
  device: string | null;
}

export interface BmcVideo {
  address: string;
  vendorId: number;
  deviceId: number;
  name: string | null;
}

export interface BmcReport {
  present: boolean;
  evidence: string[];
  smbiosInterfaces: IpmiDeviceInfo[];
  interfaces: IpmiInterface[];
  /** /dev/ipmiN nodes that exist. */
  devNodes: string[];
  /** IPMI modules the kernel has loaded. */
  modules: string[];
  /** ACPI IPI0001 devices: the firmware declares an IPMI interface, whether or not a driver took it. */
  acpiDevices: string[];
  /** Devices bound to ipmi_si or ipmi_ssif (ACPI IPI0001:NN, SMBIOS-created platform devices, SSIF I2C clients). */
  boundDevices: { driver: string; device: string }[];
  videoFunctions: BmcVideo[];
}

const MODULES = ['ipmi_si', 'ipmi_ssif', 'ipmi_devintf', 'ipmi_msghandler'] as const;
// Driver directories hold control files beside the bound devices' links.
const DRIVER_CONTROL = new Set(['bind', 'unbind', 'uevent', 'module', 'new_id', 'remove_id', '.keep']);
const DRIVER_DIRS: readonly [string, string][] = [
  ['ipmi_si', '/sys/bus/platform/drivers/ipmi_si'],
  ['ipmi_ssif', '/sys/bus/i2c/drivers/ipmi_ssif'],
];

const SPACE: Record<IpmiDeviceInfo['addressSpace'], string> = { io: 'I/O', memory: 'memory', smbus: 'SMBus' };
const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export function describeSmbiosIpmi(r: IpmiDeviceInfo): string {
  return `SMBIOS 38: ${r.interfaceType} at ${r.baseAddress} (${SPACE[r.addressSpace]}), IPMI ${r.specVersion}`;
}

function readInterfaces(sys: SysRoot, errs: ErrorSink): IpmiInterface[] {
  const names = errs.take('/sys/class/ipmi', sys.list('/sys/class/ipmi')) ?? [];
  return names
    .filter((n) => /^ipmi\d+$/.test(n) && isDir(sys, `/sys/class/ipmi/${n}`))
    .map((name) => {
      const dir = `/sys/class/ipmi/${name}`;
      const dev = followDevice(sys, `${dir}/device`);
      return {
        name,
        devNode: sys.exists(`/dev/${name}`) ? `/dev/${name}` : null,
        driver: dev ? (sys.linkName(`${dir}/device/driver`) ?? null) : null,
        device: dev ? (dev.parts[dev.parts.length - 1] ?? null) : null,
      };
    });
}

export function readBmc(sys: SysRoot, errs: ErrorSink, ipmi: IpmiDeviceInfo[], pci: PciDevice[]): BmcReport {
  const interfaces = readInterfaces(sys, errs);
  const devNodes = (errs.take('/dev', sys.list('/dev')) ?? []).filter((n) => /^ipmi\d+$/.test(n)).map((n) => `/dev/${n}`);
  const modules = MODULES.filter((m) => sys.exists(`/sys/module/${m}`));
  const boundDevices = DRIVER_DIRS.flatMap(([driver, dir]) =>
    (errs.take(dir, sys.list(dir)) ?? []).filter((e) => !DRIVER_CONTROL.has(e)).map((device) => ({ driver, device })),
  );
  const acpiDevices = (errs.take('/sys/bus/acpi/devices', sys.list('/sys/bus/acpi/devices')) ?? []).filter((d) => /^IPI0001:/.test(d));
  const videoFunctions = pci
    .filter((d) => d.role === 'bmc-video')
    .map((d) => ({ address: d.address, vendorId: d.vendorId, deviceId: d.deviceId, name: d.deviceName }));

  const evidence: string[] = [];
  for (const r of ipmi) evidence.push(describeSmbiosIpmi(r));
  for (const i of interfaces) {
    const via = [i.driver, i.device ? `on ${i.device}` : null].filter(Boolean).join(' ');
    evidence.push(`${i.devNode ?? `/sys/class/ipmi/${i.name}`}${via ? ` (${via})` : ''}`);
  }
  for (const n of devNodes) {
    if (!interfaces.some((i) => i.devNode === n)) evidence.push(`${n} (device node)`);
  }
  for (const b of boundDevices) {
    if (!interfaces.some((i) => i.device === b.device)) evidence.push(`${b.driver} bound to ${b.device}`);
  }
  for (const a of acpiDevices) {
    if (!interfaces.some((i) => i.device === a) && !boundDevices.some((b) => b.device === a)) evidence.push(`ACPI ${a}: IPMI interface declared by the firmware, no driver bound`);
  }
  for (const v of videoFunctions) {
    evidence.push(`BMC video ${hex4(v.vendorId)}:${hex4(v.deviceId)} at ${v.address}${v.name ? ` (${v.name})` : ''}`);
  }
  const present = evidence.length > 0;
  // Loaded modules alone prove nothing (distributions load ipmi_si everywhere); they only support other evidence.
  if (present && modules.length > 0) evidence.push(`modules loaded: ${modules.join(', ')}`);

  return { present, evidence, smbiosInterfaces: ipmi, interfaces, devNodes, modules, acpiDevices, boundDevices, videoFunctions };
}
