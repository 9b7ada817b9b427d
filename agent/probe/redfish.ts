// The Redfish host interface (DMTF DSP0270): SMBIOS type 42 records of type
// "Network" name the host-side NIC that reaches the BMC (usually a USB
// CDC-Ethernet gadget the BMC exposes, sometimes a PCI function) and, in the
// "Redfish over IP" protocol record, the service's address and port.
// Pure: it reads the decoded SMBIOS records and the NIC list.

import type { Nic } from './nics.ts';
import type { RedfishHostInterface, RedfishOverIp } from './smbios/types.ts';

export type NicMatch = 'mac' | 'usb-ids' | 'pci-address' | 'pci-ids';

export interface RedfishHostInterfaceReport {
  handle: number;
  interfaceType: string;
  device: RedfishHostInterface['device'];
  /** The host NIC the descriptor names, when one matches. */
  hostNic: string | null;
  matchedBy: NicMatch | null;
  /** "https://169.254.0.17:443", one per Redfish over IP record with a known address. */
  endpoints: string[];
  redfishOverIp: RedfishOverIp[];
}

export interface RedfishReport {
  present: boolean;
  evidence: string[];
  hostInterfaces: RedfishHostInterfaceReport[];
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
const UNSET_ADDRESSES = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

/** The service URL; null when the firmware leaves the address to discovery (DHCP) and no hostname either. */
export function serviceEndpoint(r: RedfishOverIp): string | null {
  // Port 0 is not a port: DSP0270 says the service is HTTPS, so 443 stands in.
  const port = r.servicePort > 0 && r.servicePort <= 65535 ? r.servicePort : 443;
  const addr = r.serviceIpAddress;
  if (addr && !UNSET_ADDRESSES.has(addr)) {
    return r.serviceIpAddressFormat === 'IPv6' || addr.includes(':') ? `https://[${addr}]:${port}` : `https://${addr}:${port}`;
  }
  if (r.serviceHostname) return `https://${r.serviceHostname}:${port}`;
  return null;
}

function pciAddress(segment: number, bus: number, devfn: number): string {
  return `${hex4(segment)}:${(bus & 0xff).toString(16).padStart(2, '0')}:${((devfn >> 3) & 0x1f).toString(16).padStart(2, '0')}.${devfn & 7}`;
}

const sameMac = (a: string | null, b: string | null): boolean => a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

/** The NIC a descriptor names: a MAC beats ids, since several identical USB gadgets can share ids. */
export function matchNic(device: RedfishHostInterface['device'], nics: readonly Nic[]): { nic: Nic; by: NicMatch } | null {
  if (!device) return null;
  const find = (by: NicMatch, pred: (n: Nic) => boolean): { nic: Nic; by: NicMatch } | null => {
    const nic = nics.find(pred);
    return nic ? { nic, by } : null;
  };
  switch (device.type) {
    case 'USB v2':
      return (
        find('mac', (n) => sameMac(n.mac, device.mac)) ??
        find('usb-ids', (n) => n.usb?.vendorId === device.vendorId && n.usb.productId === device.productId)
      );
    case 'USB':
      return find('usb-ids', (n) => n.usb?.vendorId === device.vendorId && n.usb.productId === device.productId);
    case 'PCI/PCIe v2': {
      const addr = pciAddress(device.segment, device.bus, device.devfn);
      return (
        find('mac', (n) => sameMac(n.mac, device.mac)) ??
        find('pci-address', (n) => n.pciAddress === addr) ??
        find('pci-ids', (n) => n.pciIds?.vendorId === device.vendorId && n.pciIds.deviceId === device.deviceId)
      );
    }
    case 'PCI/PCIe':
      return find(
        'pci-ids',
        (n) =>
          n.pciIds?.vendorId === device.vendorId &&
          n.pciIds.deviceId === device.deviceId &&
          (n.pciIds.subsystemVendorId === null || n.pciIds.subsystemVendorId === device.subsystemVendorId) &&
          (n.pciIds.subsystemId === null || n.pciIds.subsystemId === device.subsystemId),
      );
    default:
      return null;
  }
}

function describeDevice(device: RedfishHostInterface['device']): string {
  if (!device) return 'no device descriptor';
  switch (device.type) {
    case 'USB':
    case 'USB v2':
      return `USB ${hex4(device.vendorId)}:${hex4(device.productId)}${device.type === 'USB v2' && device.mac ? ` MAC ${device.mac}` : ''}`;
    case 'PCI/PCIe':
      return `PCI ${hex4(device.vendorId)}:${hex4(device.deviceId)}`;
    case 'PCI/PCIe v2':
      return `PCI ${hex4(device.vendorId)}:${hex4(device.deviceId)} at ${pciAddress(device.segment, device.bus, device.devfn)}`;
    case 'OEM':
      return `OEM device (IANA ${device.vendorIana})`;
    default:
      return `device type 0x${device.code.toString(16)}`;
  }
}

const isNetwork = (h: RedfishHostInterface): boolean => /^network/i.test(h.interfaceType);
const redfishRecords = (h: RedfishHostInterface): RedfishOverIp[] =>
  h.protocols.flatMap((p) => ('record' in p && p.type === 'Redfish over IP' ? [p.record] : []));

export function deriveRedfish(hostInterfaces: RedfishHostInterface[], nics: Nic[]): RedfishReport {
  // Type 42 also describes non-Redfish management interfaces (KCS, UART...); only Network ones carry Redfish.
  const relevant = hostInterfaces.filter((h) => isNetwork(h) || redfishRecords(h).length > 0);
  const reports = relevant.map((h): RedfishHostInterfaceReport => {
    const records = redfishRecords(h);
    const m = matchNic(h.device, nics);
    return {
      handle: h.handle,
      interfaceType: h.interfaceType,
      device: h.device,
      hostNic: m?.nic.name ?? null,
      matchedBy: m?.by ?? null,
      endpoints: records.map(serviceEndpoint).filter((e): e is string => e !== null),
      redfishOverIp: records,
    };
  });
  const evidence = reports.map((r) => {
    const parts = [`SMBIOS 42: ${r.interfaceType} host interface, ${describeDevice(r.device)}`];
    if (r.redfishOverIp.length > 0) parts.push(`Redfish over IP ${r.endpoints.length > 0 ? r.endpoints.join(', ') : '(address by discovery)'}`);
    parts.push(r.hostNic ? `host NIC ${r.hostNic} (matched by ${r.matchedBy})` : 'no matching host NIC');
    return parts.join('; ');
  });
  return { present: reports.length > 0, evidence, hostInterfaces: reports };
}
