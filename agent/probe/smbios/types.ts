// Decoded SMBIOS, as the report prints it and as the other probes read it.
// Enumerated values use the strings `dmidecode` prints for them (DMTF DSP0134
// names), so a test can compare field by field with `dmidecode --from-dump`.
// Addresses are hex strings: a 64-bit address does not fit a JSON number.

export interface SmbiosEntryPoint {
  /** `_SM_` (2.1 32-bit entry point) or `_SM3_` (3.0 64-bit entry point). */
  anchor: '_SM_' | '_SM3_';
  /** SMBIOS version the firmware claims, e.g. "2.8" or "3.3.0". */
  version: string;
  /** Physical address of the structure table, hex. */
  tableAddress: string;
  /** 2.x: exact table length; 3.x: maximum table size. */
  tableLength: number;
  /** 2.x only: structure count from the entry point; null for 3.x. */
  structureCount: number | null;
}

/** Every structure in the table, decoded or not. */
export interface SmbiosStructureHeader {
  type: number;
  handle: number;
  /** Length of the formatted area (byte 1 of the header). */
  length: number;
}

export interface BiosInfo {
  handle: number;
  vendor: string | null;
  version: string | null;
  releaseDate: string | null;
  /** "2.10" from bytes 0x14/0x15, null when absent or 0xFF.0xFF. */
  biosRevision: string | null;
  firmwareRevision: string | null;
  romSize: string | null; // dmidecode's "64 kB" / "16 MB"
}

export interface SystemInfo {
  handle: number;
  manufacturer: string | null;
  productName: string | null;
  version: string | null;
  serialNumber: string | null;
  /** As dmidecode prints it (SMBIOS >= 2.6 byte order), or null when absent/unset. */
  uuid: string | null;
  wakeUpType: string | null;
  skuNumber: string | null;
  family: string | null;
}

export interface BaseboardInfo {
  handle: number;
  manufacturer: string | null;
  productName: string | null;
  version: string | null;
  serialNumber: string | null;
  assetTag: string | null;
  type: string | null; // "Motherboard", ...
}

export interface ChassisInfo {
  handle: number;
  manufacturer: string | null;
  type: string | null; // "Desktop", "Rack Mount Chassis", ...
  lock: 'Present' | 'Not Present' | null;
  version: string | null;
  serialNumber: string | null;
  assetTag: string | null;
  bootUpState: string | null;
  powerSupplyState: string | null;
  thermalState: string | null;
  securityStatus: string | null;
}

export interface ProcessorInfo {
  handle: number;
  socketDesignation: string | null;
  type: string | null; // "Central Processor"
  family: string | null; // "Core i7", "Zen", "Other", ...
  manufacturer: string | null;
  /** The 8 ID bytes as dmidecode prints them: "A9 06 03 00 FF FB EB BF". */
  id: string | null;
  version: string | null;
  maxSpeedMHz: number | null;
  currentSpeedMHz: number | null;
  status: string | null; // "Populated, Enabled"
  coreCount: number | null;
  threadCount: number | null;
}

/** Type 38. */
export interface IpmiDeviceInfo {
  handle: number;
  interfaceType: 'KCS' | 'SMIC' | 'BT' | 'SSIF' | 'unknown';
  specVersion: string; // "2.0"
  /** 7-bit-shifted as dmidecode prints it: byte value >> 1 ("0x10" for 0x20). */
  i2cSlaveAddress: string;
  nvStorageDeviceAddress: number | null;
  /** Hex with the I/O-space bit removed and the LS-bit modifier applied, e.g. "0xca2". */
  baseAddress: string;
  addressSpace: 'io' | 'memory' | 'smbus';
  /** Byte distance between registers: 1, 4 or 16; null for SSIF or unknown. */
  registerSpacing: number | null;
  /** null when the structure says no interrupt information. */
  interrupt: { number: number | null; polarity: 'active high' | 'active low'; trigger: 'level' | 'edge' } | null;
  /**
   * Byte 0x11, the interrupt number, even when bit 3 of byte 0x10 leaves
   * polarity and trigger unspecified (QEMU's isa-ipmi-kcs gives IRQ 5 that way,
   * and dmidecode prints it). null when 0 (none) or the structure is too short.
   */
  interruptNumber: number | null;
}

/** Type 42 protocol record "Redfish over IP" (0x04), decoded; others are listed by type. */
export interface RedfishOverIp {
  serviceUuid: string;
  hostIpAssignment: string; // "Static", "DHCP", "AutoConf", "Host Selected", "Unknown"
  hostIpAddressFormat: 'IPv4' | 'IPv6' | 'unknown';
  hostIpAddress: string | null;
  hostIpMask: string | null;
  serviceIpDiscovery: string;
  serviceIpAddressFormat: 'IPv4' | 'IPv6' | 'unknown';
  serviceIpAddress: string | null;
  serviceIpMask: string | null;
  servicePort: number;
  vlanId: number;
  serviceHostname: string | null;
}

/** Type 42. */
export interface RedfishHostInterface {
  handle: number;
  /** 0x40 = "Network" is the only one Redfish uses. */
  interfaceType: string;
  /** Device descriptor of a network interface (DSP0270): the host-side NIC that reaches the BMC. */
  device:
    | { type: 'USB'; vendorId: number; productId: number; serialNumber: string | null }
    | { type: 'PCI/PCIe'; vendorId: number; deviceId: number; subsystemVendorId: number; subsystemId: number }
    | { type: 'USB v2'; vendorId: number; productId: number; serialNumber: string | null; mac: string | null }
    | { type: 'PCI/PCIe v2'; vendorId: number; deviceId: number; subsystemVendorId: number; subsystemId: number; mac: string | null; segment: number; bus: number; devfn: number }
    | { type: 'OEM'; vendorIana: number }
    | { type: 'unknown'; code: number }
    | null;
  protocols: ({ type: 'Redfish over IP'; record: RedfishOverIp } | { type: string; code: number })[];
}

/** Type 130, Intel's `$AMT` table. */
export interface AmtSmbios {
  handle: number;
  signatureOk: boolean;
  supported: boolean;
  enabled: boolean;
  iderEnabled: boolean;
  solEnabled: boolean;
  networkEnabled: boolean;
  kvmEnabled: boolean;
  /** The formatted area after the header, hex, because bytes 0x0C-0x11 are not publicly documented. */
  raw: string;
}

/** Type 131, Intel's vPro verification table. */
export interface VproSmbios {
  handle: number;
  signatureOk: boolean;
  txtSupported: boolean;
  txtEnabled: boolean;
  vmxSupported: boolean;
  vmxEnabled: boolean;
  mebxVersion: string | null; // "11.0.0.10"
  meVersion: string | null; // "11.8.50.3425"
  raw: string;
}

/** "FWSTS": HFSTS copies for when the HECI function is hidden. Intel puts it in type 219 (0xDB), Dell in 235; found by layout. */
export interface FwstsSmbios {
  handle: number;
  version: number;
  records: { component: 'MEI1' | 'MEI2' | 'MEI3' | 'MEI4' | 'unknown'; componentCode: number; hfsts: number[] }[];
}

/** Type 221 (0xDD), "Firmware Version Info". */
export interface FirmwareVersionSmbios {
  handle: number;
  entries: { name: string | null; label: string | null; version: string }[];
}

export interface SmbiosReport {
  entryPoint: SmbiosEntryPoint;
  /** Every structure in table order. */
  structures: SmbiosStructureHeader[];
  bios: BiosInfo | null;
  system: SystemInfo | null;
  baseboards: BaseboardInfo[];
  chassis: ChassisInfo[];
  processors: ProcessorInfo[];
  oemStrings: string[];
  ipmi: IpmiDeviceInfo[];
  redfishHostInterfaces: RedfishHostInterface[];
  amt: AmtSmbios | null;
  vpro: VproSmbios | null;
  fwsts: FwstsSmbios[];
  firmwareVersions: FirmwareVersionSmbios[];
}
