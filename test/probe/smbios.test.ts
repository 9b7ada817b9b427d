// The SMBIOS probe against the reference tool: every fixture table and every
// synthesized table is also fed to `dmidecode --from-dump`, and each decoded
// field must equal what dmidecode prints. Intel's OEM types (which dmidecode
// does not decode) are checked against byte layouts built here, and broken
// tables must give typed errors while keeping what is readable.

import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorSink, fail, type ProbeErrorCode, type Result } from '../../agent/probe/errors.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import {
  decodeSmbios,
  ENTRY_POINT_PATH,
  parseEntryPoint,
  readSmbios,
  TABLE_PATH,
  walkTable,
  type Decoded,
  type IpmiDeviceInfo,
  type RedfishHostInterface,
  type SmbiosReport,
} from '../../agent/probe/smbios/index.ts';
import { buildTable, entryPoint2, entryPoint3, structureBytes, type RawStructure } from '../../tools/smbios/build.ts';
import { field, runDmidecode, type DmiField, type DmiOutput, type DmiStructure } from '../helpers/smbios-dmidecode.ts';
import { ascii, hostInterface, ipmi, redfishRecord, u16, u32, u64 } from '../helpers/smbios-structures.ts';

const FIXTURES = path.resolve('test/fixtures');
const DMI = 'sys/firmware/dmi/tables';

function decode(ep: Uint8Array, table: Uint8Array): Decoded {
  const r = decodeSmbios(ep, table);
  if (!r.ok) throw new Error(`decode failed: ${r.error.message}`);
  return r.value;
}

// ---- what dmidecode must print for each decoded structure ----------------------------------

/** undefined: dmidecode must not print the field; an array: any of these. */
type Want = string | readonly string[] | undefined;
const S = (x: string | null): Want => x ?? ['Not Specified', '<BAD INDEX>'];
const opt = (x: string | number | null): Want => (x === null ? undefined : String(x));

function top(t: ExecutionContext, d: DmiStructure, wants: [string, Want][]): void {
  for (const [key, want] of wants) {
    const got = field(d, key);
    const where = `handle 0x${d.handle.toString(16)} type ${d.type} "${key}"`;
    if (want === undefined) t.is(got, undefined, `${where}: dmidecode prints ${got}, we decode nothing`);
    else if (typeof want === 'string') t.is(got, want, where);
    else t.true(got !== undefined && want.includes(got), `${where}: dmidecode ${got}, want one of ${want.join(' | ')}`);
  }
}

const IPMI_NAMES: Record<IpmiDeviceInfo['interfaceType'], Want> = {
  KCS: 'KCS (Keyboard Control Style)',
  SMIC: 'SMIC (Server Management Interface Chip)',
  BT: 'BT (Block Transfer)',
  SSIF: 'SSIF (SMBus System Interface)',
  unknown: ['Unknown', '<OUT OF SPEC>'],
};
const SPACING: Record<number, string> = { 1: 'Successive Byte Boundaries', 4: '32-bit Boundaries', 16: '16-byte Boundaries' };

function ipmiWants(x: IpmiDeviceInfo): [string, Want][] {
  const hex = x.baseAddress.slice(2).toUpperCase();
  const base = x.addressSpace === 'smbus' ? `0x${hex.padStart(2, '0')} (SMBus)` : `0x${hex.padStart(16, '0')} (${x.addressSpace === 'io' ? 'I/O' : 'Memory-mapped'})`;
  return [
    ['Interface Type', IPMI_NAMES[x.interfaceType]],
    ['Specification Version', x.specVersion],
    ['I2C Slave Address', x.i2cSlaveAddress],
    ['NV Storage Device Address', opt(x.nvStorageDeviceAddress)],
    ['NV Storage Device', x.nvStorageDeviceAddress === null ? 'Not Present' : undefined],
    ['Base Address', base],
    ['Register Spacing', x.registerSpacing === null ? undefined : SPACING[x.registerSpacing]],
    ['Interrupt Polarity', x.interrupt ? (x.interrupt.polarity === 'active high' ? 'Active High' : 'Active Low') : undefined],
    ['Interrupt Trigger Mode', x.interrupt ? (x.interrupt.trigger === 'level' ? 'Level' : 'Edge') : undefined],
    ['Interrupt Number', opt(x.interruptNumber)],
  ];
}

const uuidWant = (u: string): string => (/^[0-]+$/.test(u) ? 'Not Settable' : /^[f-]+$/.test(u) ? 'Not Present' : u);

/** The lines dmidecode 3.4 prints for a Network (0x40) host interface, in order. */
function hostInterfaceLines(x: RedfishHostInterface): DmiField[] {
  const out: DmiField[] = [{ key: 'Host Interface Type', value: x.interfaceType, depth: 1 }];
  // dmidecode decodes device and protocols of Network (0x40) interfaces only.
  if (x.interfaceType !== 'Network') return out;
  const l = (key: string, value: string, depth = 1) => out.push({ key, value, depth });
  const h4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
  const d = x.device;
  if (d?.type === 'USB') {
    l('Device Type', 'USB');
    l('idVendor', h4(d.vendorId));
    l('idProduct', h4(d.productId));
  } else if (d?.type === 'PCI/PCIe') {
    l('Device Type', 'PCI/PCIe');
    l('VendorID', h4(d.vendorId));
    l('DeviceID', h4(d.deviceId));
    l('SubVendorID', h4(d.subsystemVendorId));
    l('SubDeviceID', h4(d.subsystemId));
  }
  for (const p of x.protocols) {
    if (!('record' in p)) {
      l('Protocol ID', `${p.code.toString(16).padStart(2, '0')} (${p.type})`);
      continue;
    }
    const r = p.record;
    l('Protocol ID', '04 (Redfish over IP)');
    const fmt = (f: string) => (f === 'unknown' ? 'Unknown' : f);
    l('Service UUID', uuidWant(r.serviceUuid), 2);
    l('Host IP Assignment Type', r.hostIpAssignment, 2);
    l('Host IP Address Format', fmt(r.hostIpAddressFormat), 2);
    if (r.hostIpAddress !== null) l(`${r.hostIpAddressFormat} Address`, r.hostIpAddress, 2);
    if (r.hostIpMask !== null) l(`${r.hostIpAddressFormat} Mask`, r.hostIpMask, 2);
    l('Redfish Service IP Discovery Type', r.serviceIpDiscovery, 2);
    l('Redfish Service IP Address Format', fmt(r.serviceIpAddressFormat), 2);
    const serviceStatic = r.serviceIpDiscovery === 'Static' || r.serviceIpDiscovery === 'AutoConf';
    if (r.serviceIpAddress !== null) l(`${r.serviceIpAddressFormat} Redfish Service Address`, r.serviceIpAddress, 2);
    if (r.serviceIpMask !== null) l(`${r.serviceIpAddressFormat} Redfish Service Mask`, r.serviceIpMask, 2);
    if (serviceStatic) {
      l('Redfish Service Port', String(r.servicePort), 2);
      l('Redfish Service Vlan', String(r.vlanId), 2);
    }
    l('Redfish Service Hostname', r.serviceHostname ?? '', 2);
  }
  return out;
}

/** Descriptor types dmidecode 3.4 predates (DSP0270 1.1 v2 descriptors, OEM): it prints them wrongly. */
const DMIDECODE_34_UNKNOWN_DEVICE = new Set(['USB v2', 'PCI/PCIe v2', 'OEM', 'unknown']);

function compareWithDmidecode(t: ExecutionContext, ep: Uint8Array, table: Uint8Array): { decoded: Decoded; dmi: DmiOutput } {
  const decoded = decode(ep, table);
  const dmi = runDmidecode(ep, table);
  const r: SmbiosReport = decoded.report;
  t.deepEqual(
    r.structures,
    dmi.structures.map(({ type, handle, length }) => ({ type, handle, length })),
    'structure list (type, handle, length) differs from dmidecode',
  );
  t.regex(dmi.text, new RegExp(`^SMBIOS ${r.entryPoint.version.replace(/\./g, '\\.')} present\\.$`, 'm'));
  const byHandle = new Map(dmi.structures.map((d) => [d.handle, d]));
  const at = (handle: number): DmiStructure => {
    const d = byHandle.get(handle);
    if (!d) throw new Error(`dmidecode has no handle 0x${handle.toString(16)}`);
    return d;
  };
  const lengthOf = (handle: number): number => at(handle).length;

  if (r.bios) {
    top(t, at(r.bios.handle), [
      ['Vendor', S(r.bios.vendor)],
      ['Version', S(r.bios.version)],
      ['Release Date', S(r.bios.releaseDate)],
      ['ROM Size', opt(r.bios.romSize)],
      ['BIOS Revision', opt(r.bios.biosRevision)],
      ['Firmware Revision', opt(r.bios.firmwareRevision)],
    ]);
  }
  if (r.system) {
    const x = r.system;
    const n = lengthOf(x.handle);
    top(t, at(x.handle), [
      ['Manufacturer', S(x.manufacturer)],
      ['Product Name', S(x.productName)],
      ['Version', S(x.version)],
      ['Serial Number', S(x.serialNumber)],
      ['UUID', n < 0x19 ? undefined : (x.uuid ?? ['Not Present', 'Not Settable'])],
      ['Wake-up Type', opt(x.wakeUpType)],
      ['SKU Number', n < 0x1b ? undefined : S(x.skuNumber)],
      ['Family', n < 0x1b ? undefined : S(x.family)],
    ]);
  }
  for (const x of r.baseboards) {
    const n = lengthOf(x.handle);
    top(t, at(x.handle), [
      ['Manufacturer', S(x.manufacturer)],
      ['Product Name', S(x.productName)],
      ['Version', S(x.version)],
      ['Serial Number', S(x.serialNumber)],
      ['Asset Tag', n < 0x09 ? undefined : S(x.assetTag)],
      ['Type', opt(x.type)],
    ]);
  }
  for (const x of r.chassis) {
    top(t, at(x.handle), [
      ['Manufacturer', S(x.manufacturer)],
      ['Type', opt(x.type)],
      ['Lock', opt(x.lock)],
      ['Version', S(x.version)],
      ['Serial Number', S(x.serialNumber)],
      ['Asset Tag', S(x.assetTag)],
      ['Boot-up State', opt(x.bootUpState)],
      ['Power Supply State', opt(x.powerSupplyState)],
      ['Thermal State', opt(x.thermalState)],
      ['Security Status', opt(x.securityStatus)],
    ]);
  }
  for (const x of r.processors) {
    const mhz = (v: number | null) => (v === null ? 'Unknown' : `${v} MHz`);
    top(t, at(x.handle), [
      ['Socket Designation', S(x.socketDesignation)],
      ['Type', opt(x.type)],
      ['Family', opt(x.family)],
      ['Manufacturer', S(x.manufacturer)],
      ['ID', opt(x.id)],
      ['Version', S(x.version)],
      ['Max Speed', mhz(x.maxSpeedMHz)],
      ['Current Speed', mhz(x.currentSpeedMHz)],
      ['Status', opt(x.status)],
      ['Core Count', opt(x.coreCount)],
      ['Thread Count', opt(x.threadCount)],
    ]);
  }
  const oem = dmi.structures
    .filter((d) => d.type === 11)
    .flatMap((d) => d.fields.filter((f) => /^String \d+$/.test(f.key) && f.value !== '<BAD INDEX>').map((f) => f.value));
  t.deepEqual(r.oemStrings, oem, 'OEM strings');
  for (const x of r.ipmi) top(t, at(x.handle), ipmiWants(x));
  const [major = 0, minor = 0] = r.entryPoint.version.split('.').map(Number);
  // dmidecode decodes type 42 in the 3.2 layout only for SMBIOS >= 3.2.
  if (major * 256 + minor >= 0x0302) {
    for (const x of r.redfishHostInterfaces) {
      const dev = x.device?.type ?? null;
      const skip = dev !== null && DMIDECODE_34_UNKNOWN_DEVICE.has(dev) ? new Set(['Device Type', 'Vendor ID']) : new Set<string>();
      const got = at(x.handle).fields.filter((f) => !skip.has(f.key));
      t.deepEqual(got, hostInterfaceLines(x), `type 42 handle 0x${x.handle.toString(16)}`);
    }
  }
  return { decoded, dmi };
}

// ---- fixture trees ------------------------------------------------------------------------

const trees = fs.readdirSync(FIXTURES).filter((d) => fs.existsSync(path.join(FIXTURES, d, DMI, 'DMI')));

test('at least the qemu-q35 fixture carries an SMBIOS table', (t) => {
  t.true(trees.includes('qemu-q35'), trees.join(', '));
});

for (const name of trees) {
  test(`fixture ${name}: every decoded field equals dmidecode --from-dump`, (t) => {
    const ep = fs.readFileSync(path.join(FIXTURES, name, DMI, 'smbios_entry_point'));
    const table = fs.readFileSync(path.join(FIXTURES, name, DMI, 'DMI'));
    const { decoded } = compareWithDmidecode(t, ep, table);
    t.deepEqual(decoded.issues, []);
    const errs = new ErrorSink('smbios');
    t.deepEqual(readSmbios(new SysRoot(path.join(FIXTURES, name)), errs), decoded.report);
    t.deepEqual(errs.list, []);
  });
}

test('fixture qemu-q35: the values the report relies on', (t) => {
  const errs = new ErrorSink('smbios');
  const r = readSmbios(new SysRoot(path.join(FIXTURES, 'qemu-q35')), errs);
  t.deepEqual(errs.list, []);
  t.like(r?.entryPoint, { anchor: '_SM_', version: '2.8', tableLength: 396, structureCount: 10 });
  t.like(r?.bios, { vendor: 'SeaBIOS', biosRevision: '0.0', firmwareRevision: null, romSize: '64 kB' });
  t.like(r?.system, { manufacturer: 'QEMU', productName: 'Standard PC (Q35 + ICH9, 2009)', uuid: null, wakeUpType: 'Power Switch', family: null });
  t.deepEqual(r?.ipmi, [
    {
      handle: 0x3000,
      interfaceType: 'KCS',
      specVersion: '2.0',
      i2cSlaveAddress: '0x10',
      nvStorageDeviceAddress: 0,
      baseAddress: '0xca2',
      addressSpace: 'io',
      registerSpacing: 1,
      interrupt: null,
      interruptNumber: 5,
    },
  ]);
  t.deepEqual(r?.baseboards, []);
  t.is(r?.amt, null);
});

test('a machine without SMBIOS (Firecracker) is null with no error', (t) => {
  const errs = new ErrorSink('smbios');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'smbios-none-'));
  try {
    t.is(readSmbios(new SysRoot(root), errs), null);
    t.deepEqual(errs.list, []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

// ---- synthesized tables -------------------------------------------------------------------

const UUID = [0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];

const bios: RawStructure = {
  type: 0,
  handle: 0x0000,
  // vendor, version, start segment, date, ROM 0xFF -> extended, characteristics, x1, x2, BIOS 5.17, EC 1.4, extended 32 MB
  formatted: [1, 2, ...u16(0xe800), 3, 0xff, ...u64(0x08n), 0x03, 0x0d, 5, 17, 1, 4, ...u16(32)],
  strings: ['American Megatrends Inc.', 'F.21', '07/11/2023'],
};
const system: RawStructure = {
  type: 1,
  handle: 0x0001,
  formatted: [1, 2, 3, 4, ...UUID, 6, 5, 6],
  strings: ['Supermicro', 'SYS-1029P', '0123456789', 'S31xx', 'To be filled', 'Server'],
};
const board: RawStructure = {
  type: 2,
  handle: 0x0002,
  formatted: [1, 2, 3, 4, 5, 0x09, 6, ...u16(0x0003), 0x0a, 0],
  strings: ['Supermicro', 'X11DPi-N', '1.10', 'ZM18AS0', 'Base Board Asset', 'Default string'],
};
const chassis: RawStructure = {
  type: 3,
  handle: 0x0003,
  formatted: [1, 0x80 | 0x17, 2, 3, 0, 0x03, 0x04, 0x05, 0x03, ...u32(0), 1, 2, 0, 0, 0],
  strings: ['Supermicro', '0123456789', 'C1160LK'],
};
const cpu: RawStructure = {
  type: 4,
  handle: 0x0004,
  formatted: [
    1, 0x03, 0xfe, 2, ...[0x54, 0x06, 0x05, 0x00, 0xff, 0xfb, 0xeb, 0xbf], 3, 0x8c, ...u16(100), ...u16(4000), ...u16(2100), 0x41, 0x3f,
    ...u16(0x0010), ...u16(0x0011), ...u16(0x0012), 0, 0, 0, 0xff, 0xff, 0xff, ...u16(0x00fc), ...u16(0x00b3), ...u16(28), ...u16(28), ...u16(56),
  ],
  strings: ['CPU1', 'Intel(R) Corporation', 'Intel(R) Xeon(R) Gold 6132 CPU @ 2.60GHz'],
};
const cpu2: RawStructure = {
  type: 4,
  handle: 0x0005,
  formatted: [1, 0x03, 0xbe, 2, ...new Array<number>(8).fill(0), 0, 0, ...u16(0), ...u16(0), ...u16(0), 0x00, 0x01],
  strings: ['CPU2', 'AuthenticAMD'],
};
const oem: RawStructure = { type: 11, handle: 0x0006, formatted: [3], strings: ['Default string', 'fortros:node=7', 'Dell System'] };
const kcs: RawStructure = {
  type: 38,
  handle: 0x0026,
  // KCS at I/O 0xCA3: bit 0 of the address says I/O, the LS bit 1 comes from byte 0x10 bit 4;
  // interrupt specified (bit 3), active high (bit 1), level (bit 0), IRQ 10.
  formatted: ipmi({ iface: 0x01, rev: 0x20, i2c: 0x20, nv: 0xff, base: 0xca3n, modifier: 0x10 | 0x08 | 0x02 | 0x01, irq: 10 }),
};
const bt: RawStructure = {
  type: 38,
  handle: 0x0027,
  // BT, IPMI 1.5, memory-mapped at 0xFED40000, 32-bit register spacing, edge / active low IRQ 7, NV storage at 0xA0.
  formatted: ipmi({ iface: 0x03, rev: 0x15, i2c: 0x22, nv: 0xa0, base: 0xfed40000n, modifier: (1 << 6) | 0x08, irq: 7 }),
};
const ssif: RawStructure = {
  type: 38,
  handle: 0x0028,
  // SSIF: the base address is the 8-bit SMBus address 0x20 (7-bit 0x10); spacing and interrupt bits do not apply.
  formatted: ipmi({ iface: 0x04, rev: 0x20, i2c: 0x20, nv: 0xff, base: 0x20n, modifier: 0xcb, irq: 0 }),
};
const smic: RawStructure = {
  type: 38,
  handle: 0x0029,
  // SMIC, 16-byte spacing, LS bit clear, no interrupt info but an interrupt number.
  formatted: ipmi({ iface: 0x02, rev: 0x10, i2c: 0x20, nv: 0xff, base: 0xca9n, modifier: 2 << 6, irq: 11 }),
};

test('2.x table (types 0-4, 11, four IPMI interfaces) equals dmidecode', (t) => {
  const table = buildTable([bios, system, board, chassis, cpu, cpu2, oem, kcs, bt, ssif, smic]);
  const ep = entryPoint2(table, { major: 2, minor: 8 });
  const { decoded } = compareWithDmidecode(t, ep, table);
  t.deepEqual(decoded.issues, []);
  const r = decoded.report;
  t.like(r.entryPoint, { anchor: '_SM_', version: '2.8', tableLength: table.length, structureCount: 12, tableAddress: '0xf0000' });
  t.deepEqual(r.bios, {
    handle: 0,
    vendor: 'American Megatrends Inc.',
    version: 'F.21',
    releaseDate: '07/11/2023',
    biosRevision: '5.17',
    firmwareRevision: '1.4',
    romSize: '32 MB',
  });
  t.like(r.system, { uuid: '00112233-4455-6677-8899-aabbccddeeff', wakeUpType: 'Power Switch', skuNumber: 'To be filled', family: 'Server' });
  t.like(r.baseboards[0], { type: 'Motherboard', assetTag: 'Base Board Asset' });
  t.like(r.chassis[0], { type: 'Rack Mount Chassis', lock: 'Present', assetTag: null, bootUpState: 'Safe', powerSupplyState: 'Warning', thermalState: 'Critical', securityStatus: 'None' });
  t.like(r.processors[0], { family: 'Xeon', status: 'Populated, Enabled', coreCount: 28, threadCount: 56, maxSpeedMHz: 4000, currentSpeedMHz: 2100 });
  t.like(r.processors[1], { family: 'K7', status: 'Unpopulated', maxSpeedMHz: null, coreCount: null });
  t.deepEqual(r.oemStrings, ['Default string', 'fortros:node=7', 'Dell System']);
  t.deepEqual(
    r.ipmi.map((x) => [x.interfaceType, x.specVersion, x.baseAddress, x.addressSpace, x.registerSpacing, x.interrupt, x.interruptNumber, x.nvStorageDeviceAddress]),
    [
      ['KCS', '2.0', '0xca3', 'io', 1, { number: 10, polarity: 'active high', trigger: 'level' }, 10, null],
      ['BT', '1.5', '0xfed40000', 'memory', 4, { number: 7, polarity: 'active low', trigger: 'edge' }, 7, 0xa0],
      ['SSIF', '2.0', '0x10', 'smbus', null, null, null, null],
      ['SMIC', '1.0', '0xca8', 'io', 16, null, 11, null],
    ],
  );
  t.is(r.ipmi[1]?.i2cSlaveAddress, '0x11');
});

const v4 = (...b: number[]): number[] => b;
const redfishV4 = redfishRecord({
  uuid: UUID,
  hostAssign: 1,
  hostFormat: 1,
  hostIp: v4(169, 254, 0, 2),
  hostMask: v4(255, 255, 0, 0),
  serviceDiscovery: 1,
  serviceFormat: 1,
  serviceIp: v4(169, 254, 0, 1),
  serviceMask: v4(255, 255, 0, 0),
  port: 443,
  vlan: 0,
  hostname: 'bmc.local',
});
const V6_HOST = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55];
const V6_SERVICE = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01];
const V6_MASK = [...new Array<number>(8).fill(0xff), ...new Array<number>(8).fill(0)];
const redfishV6 = redfishRecord({
  uuid: new Array<number>(16).fill(0),
  hostAssign: 3,
  hostFormat: 2,
  hostIp: V6_HOST,
  hostMask: V6_MASK,
  serviceDiscovery: 3,
  serviceFormat: 2,
  serviceIp: V6_SERVICE,
  serviceMask: V6_MASK,
  port: 8443,
  vlan: 100,
  hostname: '',
});
const redfishDhcp = redfishRecord({
  uuid: UUID,
  hostAssign: 2,
  hostFormat: 1,
  hostIp: [],
  hostMask: [],
  serviceDiscovery: 2,
  serviceFormat: 1,
  serviceIp: [],
  serviceMask: [],
  port: 0,
  vlan: 0,
  hostname: 'redfish-svc',
});
const ipmiRecord = [0x02, 0x02, 0x00, 0x00];

// DSP0270 8.3 descriptors: device type byte, then the descriptor.
const usbV1 = [0x02, ...u16(0x046b), ...u16(0xffb0), 10, 0x03, ...[...'AB12'].flatMap((c) => u16(c.charCodeAt(0)))];
const usbV2 = [0x04, 0x0d, ...u16(0x046b), ...u16(0xffb0), 1, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
const pciV1 = [0x03, ...u16(0x8086), ...u16(0x1533), ...u16(0x15d9), ...u16(0x1533)];
const pciV2 = [0x05, 0x14, ...u16(0x14e4), ...u16(0x165f), ...u16(0x1028), ...u16(0x0639), 0xb0, 0x83, 0xfe, 0xc6, 0x51, 0x0a, ...u16(0), 0x3b, (0x00 << 3) | 1];
const oemDev = [0x80, 0x00, 0x00, 0x02, 0xa2, 0x01, 0x02];

test('3.x table with Redfish host interfaces (USB, USB v2, PCI, PCI v2, OEM; IPv4 and IPv6) equals dmidecode', (t) => {
  const table = buildTable([
    { type: 42, handle: 0x2a00, formatted: hostInterface(0x40, usbV2, [redfishV4]), strings: ['USB-SN-0042'] },
    { type: 42, handle: 0x2a01, formatted: hostInterface(0x40, pciV1, [redfishV6, ipmiRecord]) },
    { type: 42, handle: 0x2a02, formatted: hostInterface(0x40, usbV1, [redfishDhcp]) },
    { type: 42, handle: 0x2a03, formatted: hostInterface(0x40, pciV2, [redfishV4]) },
    { type: 42, handle: 0x2a04, formatted: hostInterface(0x40, oemDev, [ipmiRecord]) },
    { type: 42, handle: 0x2a05, formatted: hostInterface(0x02, [], [ipmiRecord]) },
  ]);
  const ep = entryPoint3(table, { major: 3, minor: 3, docrev: 0 });
  const { decoded } = compareWithDmidecode(t, ep, table);
  t.deepEqual(decoded.issues, []);
  const r = decoded.report;
  t.like(r.entryPoint, { anchor: '_SM3_', version: '3.3.0', structureCount: null, tableLength: table.length, tableAddress: '0x7fb5c000' });
  const [usb2, pci, usb1, pci2, oemHi, kcsHi] = r.redfishHostInterfaces;
  t.deepEqual(usb2?.device, { type: 'USB v2', vendorId: 0x046b, productId: 0xffb0, serialNumber: 'USB-SN-0042', mac: '02:11:22:33:44:55' });
  t.deepEqual(usb2?.protocols, [
    {
      type: 'Redfish over IP',
      record: {
        serviceUuid: '00112233-4455-6677-8899-aabbccddeeff',
        hostIpAssignment: 'Static',
        hostIpAddressFormat: 'IPv4',
        hostIpAddress: '169.254.0.2',
        hostIpMask: '255.255.0.0',
        serviceIpDiscovery: 'Static',
        serviceIpAddressFormat: 'IPv4',
        serviceIpAddress: '169.254.0.1',
        serviceIpMask: '255.255.0.0',
        servicePort: 443,
        vlanId: 0,
        serviceHostname: 'bmc.local',
      },
    },
  ]);
  t.deepEqual(pci?.device, { type: 'PCI/PCIe', vendorId: 0x8086, deviceId: 0x1533, subsystemVendorId: 0x15d9, subsystemId: 0x1533 });
  t.like(pci?.protocols[0], {
    record: { hostIpAssignment: 'AutoConf', hostIpAddress: 'fe80::211:22ff:fe33:4455', hostIpMask: 'ffff:ffff:ffff:ffff::', serviceIpAddress: '2001:db8::1', servicePort: 8443, vlanId: 100, serviceHostname: null },
  });
  t.deepEqual(pci?.protocols[1], { type: 'IPMI', code: 2 });
  t.deepEqual(kcsHi?.protocols, [{ type: 'IPMI', code: 2 }]);
  t.deepEqual(usb1?.device, { type: 'USB', vendorId: 0x046b, productId: 0xffb0, serialNumber: 'AB12' });
  t.like(usb1?.protocols[0], { record: { hostIpAssignment: 'DHCP', hostIpAddress: null, serviceIpAddress: null, serviceHostname: 'redfish-svc' } });
  t.deepEqual(pci2?.device, {
    type: 'PCI/PCIe v2',
    vendorId: 0x14e4,
    deviceId: 0x165f,
    subsystemVendorId: 0x1028,
    subsystemId: 0x0639,
    mac: 'b0:83:fe:c6:51:0a',
    segment: 0,
    bus: 0x3b,
    devfn: 1,
  });
  t.deepEqual(oemHi?.device, { type: 'OEM', vendorIana: 674 });
  t.is(kcsHi?.interfaceType, 'KCS: Keyboard Controller Style');
  t.is(kcsHi?.device, null);
});

// ---- Intel OEM types 130, 131, 219, 221 (amt-me.md sections 3 and 4) ----------------------------

test('types 130, 131, 219, 221 decode their documented byte layouts', (t) => {
  const amt: RawStructure = {
    type: 130,
    handle: 0x0082,
    // "$AMT", supported, enabled, IDER off, SOL on, network on, extended 0xA5, OEM caps, KVM on, reserved
    formatted: [...ascii('$AMT'), 1, 1, 0, 1, 1, 0xa5, 0x2f, 0x02, 0x00, 0x00, 1, 0],
  };
  const vproBytes = new Array<number>(0x40 - 4).fill(0);
  const put = (off: number, bytes: number[]) => bytes.forEach((b, i) => (vproBytes[off - 4 + i] = b));
  put(0x04, u32(0x04 | 0x08 | 0x10)); // TXT supported+enabled, VT-x supported, not enabled
  put(0x08, [...u16(11), ...u16(0), ...u16(0), ...u16(10)]); // MEBx 11.0.0.10
  put(0x1c, [...u16(8), ...u16(11), ...u16(3425), ...u16(50)]); // ME minor 8, major 11, build 3425, hotfix 50
  put(0x38, ascii('vPro'));
  const vpro: RawStructure = { type: 131, handle: 0x0083, formatted: vproBytes };
  const fwsts: RawStructure = {
    type: 219,
    handle: 0x00db,
    formatted: [1, 2, 1, ...u32(0x90000255), ...u32(0x86100106), ...u32(0x20), ...u32(0), ...u32(0), ...u32(0x40000000), 3, ...u32(0x5), ...u32(0), ...u32(0), ...u32(0), ...u32(0), ...u32(0)],
  };
  const fwver: RawStructure = {
    type: 221,
    handle: 0x00dd,
    formatted: [2, 1, 2, 16, 1, 30, ...u16(2307), 3, 0, 1, 0, 0, ...u16(0)],
    strings: ['ME', 'Intel ME Firmware', 'Reference Code'],
  };
  const table = buildTable([amt, vpro, fwsts, fwver]);
  const { decoded } = compareWithDmidecode(t, entryPoint3(table), table);
  t.deepEqual(decoded.issues, []);
  const r = decoded.report;
  t.deepEqual(r.amt, {
    handle: 0x82,
    signatureOk: true,
    supported: true,
    enabled: true,
    iderEnabled: false,
    solEnabled: true,
    networkEnabled: true,
    kvmEnabled: true,
    raw: '24414d540101000101a52f0200000100',
  });
  t.deepEqual(r.vpro, {
    handle: 0x83,
    signatureOk: true,
    txtSupported: true,
    txtEnabled: true,
    vmxSupported: true,
    vmxEnabled: false,
    mebxVersion: '11.0.0.10',
    meVersion: '11.8.50.3425',
    raw: Buffer.from(vproBytes).toString('hex'),
  });
  t.deepEqual(r.fwsts, [
    {
      handle: 0xdb,
      version: 1,
      records: [
        { component: 'MEI1', componentCode: 1, hfsts: [0x90000255, 0x86100106, 0x20, 0, 0, 0x40000000] },
        { component: 'MEI3', componentCode: 3, hfsts: [5, 0, 0, 0, 0, 0] },
      ],
    },
  ]);
  t.deepEqual(r.firmwareVersions, [
    {
      handle: 0xdd,
      entries: [
        { name: 'ME', label: 'Intel ME Firmware', version: '16.1.30.2307' },
        { name: 'Reference Code', label: null, version: '1.0.0.0' },
      ],
    },
  ]);
});

test('a $AMT table without its signature or with AMT off says so', (t) => {
  const table = buildTable([{ type: 130, handle: 0x82, formatted: [...ascii('XXXX'), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }]);
  const r = decode(entryPoint3(table), table);
  t.like(r.report.amt, { signatureOk: false, supported: false, enabled: false, kvmEnabled: false });
});

// ---- bad input ----------------------------------------------------------------------------

const goodTable = buildTable([bios, system, chassis]);
const goodEp2 = entryPoint2(goodTable);

function failed<T>(t: ExecutionContext, r: Result<T>, code: ProbeErrorCode, pattern: RegExp): void {
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, code);
    t.regex(r.error.message, pattern);
  }
}

test('entry point: truncated, bad checksums, bad anchor', (t) => {
  failed(t, parseEntryPoint(goodEp2.subarray(0, 20)), 'TRUNCATED', /20 bytes, expected 31/);
  failed(t, parseEntryPoint(entryPoint3(goodTable).subarray(0, 23)), 'TRUNCATED', /23 bytes, expected 24/);
  const bad = Buffer.from(goodEp2);
  bad[0x06] = 3;
  failed(t, parseEntryPoint(bad), 'MALFORMED', /_SM_ entry point checksum/);
  const badDmi = Buffer.from(goodEp2);
  badDmi[0x18] = (badDmi[0x18] ?? 0) + 1;
  badDmi[0x04] = (badDmi[0x04] ?? 0) - 1;
  failed(t, parseEntryPoint(badDmi), 'MALFORMED', /_DMI_ intermediate checksum/);
  const bad3 = Buffer.from(entryPoint3(goodTable));
  bad3[0x0c] = 0xff;
  failed(t, parseEntryPoint(bad3), 'MALFORMED', /_SM3_ entry point checksum/);
  failed(t, parseEntryPoint(Buffer.from('not an entry point at all, no')), 'MALFORMED', /no _SM_ or _SM3_ anchor/);
  failed(t, parseEntryPoint(new Uint8Array()), 'MALFORMED', /anchor/);
});

/** Decodes and returns the issues; the structures before the fault must survive. */
function issuesOf(t: ExecutionContext, ep: Uint8Array, table: Uint8Array, keptTypes: number[]): Decoded {
  const d = decode(ep, table);
  t.deepEqual(
    d.report.structures.map((s) => s.type),
    keptTypes,
  );
  return d;
}

test('structure shorter than its header stops the walk with MALFORMED, handle and offset named', (t) => {
  const good = buildTable([bios, system]).subarray(0, -6); // drop the End-of-Table (4 + 2 NULs)
  const table = Buffer.concat([good, Buffer.from([0x03, 0x02, 0x34, 0x12, 0, 0])]);
  const d = issuesOf(t, entryPoint3(table), table, [0, 1]);
  t.is(d.report.bios?.vendor, 'American Megatrends Inc.');
  t.is(d.issues.length, 1);
  t.like(d.issues[0], { code: 'MALFORMED', offset: good.length + 1 });
  t.regex(d.issues[0]?.message ?? '', new RegExp(`handle 0x1234 at offset ${good.length}: formatted length 2`));
});

test('missing double-NUL at the table end is TRUNCATED; earlier structures stay', (t) => {
  const head = buildTable([bios]).subarray(0, -6);
  const tail = Buffer.from(structureBytes(system).subarray(0, -2)); // strings without the set terminator
  const table = Buffer.concat([head, tail]);
  const d = issuesOf(t, entryPoint3(table), table, [0, 1]);
  t.is(d.report.system, null, 'the unterminated structure is listed, not decoded');
  t.like(d.issues[0], { code: 'TRUNCATED' });
  t.regex(d.issues[0]?.message ?? '', /type 1 handle 0x0001 at offset \d+: string set has no double-NUL/);
});

test('structure whose formatted area runs off the end is TRUNCATED', (t) => {
  const head = buildTable([bios]).subarray(0, -6);
  const table = Buffer.concat([head, structureBytes(cpu).subarray(0, 20)]);
  const d = issuesOf(t, entryPoint3(table), table, [0, 4]);
  t.like(d.issues[0], { code: 'TRUNCATED', offset: head.length });
  t.regex(d.issues[0]?.message ?? '', /handle 0x0004 .*runs past the table end/);
});

test('table shorter than the 2.x entry point claims is TRUNCATED and decodes what is there', (t) => {
  const table = goodTable.subarray(0, structureBytes(bios).length + structureBytes(system).length);
  const d = issuesOf(t, goodEp2, table, [0, 1]);
  t.is(d.report.system?.manufacturer, 'Supermicro');
  t.deepEqual(
    d.issues.map((i) => i.code),
    ['TRUNCATED', 'TRUNCATED'],
  );
  t.regex(d.issues[0]?.message ?? '', new RegExp(`the table has ${table.length} bytes, the entry point says ${goodTable.length}`));
  t.regex(d.issues[1]?.message ?? '', /ends after 2 of the 4 structures/);
});

test('2.x structure count ends the walk; 3.x maximum size bounds it', (t) => {
  const table = buildTable([bios, system, chassis]);
  const ep = Buffer.from(entryPoint2(table));
  const w = walkTable(table, { anchor: '_SM_', version: '2.8', tableAddress: '0x0', tableLength: table.length, structureCount: 2 });
  t.true(w.ok && w.value.structures.length === 2 && w.value.issues.length === 0);
  const w3 = walkTable(table, { anchor: '_SM3_', version: '3.0.0', tableAddress: '0x0', tableLength: structureBytes(bios).length, structureCount: null });
  t.true(w3.ok);
  if (w3.ok) {
    t.deepEqual(
      w3.value.structures.map((s) => s.type),
      [0],
    );
    t.regex(w3.value.issues[0]?.message ?? '', /no End-of-Table/);
  }
  // Bytes after End-of-Table are not structures.
  const trailing = Buffer.concat([table, Buffer.from([1, 0x1b, 0, 0])]);
  const d = decode(entryPoint3(trailing), trailing);
  t.deepEqual(
    d.report.structures.map((s) => s.type),
    [0, 1, 3, 127],
  );
  t.true(parseEntryPoint(ep).ok);
  failed(t, walkTable(new Uint8Array(), { anchor: '_SM3_', version: '3.0.0', tableAddress: '0x0', tableLength: 0, structureCount: null }), 'TRUNCATED', /empty/);
});

test('a string index past the set is null plus MALFORMED (dmidecode prints <BAD INDEX>)', (t) => {
  const broken: RawStructure = { type: 1, handle: 0x0101, formatted: [1, 7, 2, 0, ...UUID, 6, 0, 0], strings: ['Vendor', 'Box'] };
  const table = buildTable([broken]);
  const { decoded, dmi } = compareWithDmidecode(t, entryPoint3(table), table);
  t.is(field(dmi.structures[0] as DmiStructure, 'Product Name'), '<BAD INDEX>');
  t.like(decoded.report.system, { manufacturer: 'Vendor', productName: null, version: 'Box', serialNumber: null });
  t.is(decoded.issues.length, 1);
  t.like(decoded.issues[0], { code: 'MALFORMED' });
  t.regex(decoded.issues[0]?.message ?? '', /type 1 handle 0x0101 at offset 0: byte 0x05 refers to string 7, the set has 2/);
});

test('non-printable string bytes show as dots, as in dmidecode', (t) => {
  const s: RawStructure = { type: 1, handle: 1, formatted: [1, 0, 0, 0], strings: ['Bad\x07\xe9Name'] };
  const table = buildTable([s]);
  const { decoded } = compareWithDmidecode(t, entryPoint2(table), table);
  t.is(decoded.report.system?.manufacturer, 'Bad..Name');
});

test('structures shorter than their type requires are MALFORMED; the rest of the table decodes', (t) => {
  const table = buildTable([
    { type: 0, handle: 1, formatted: [1, 2, 3], strings: ['x'] },
    { type: 38, handle: 2, formatted: [1, 0x20] },
    { type: 42, handle: 3, formatted: [0x40, 0x30, 0, 0, 0, 0, 0] },
    system,
  ]);
  const d = decode(entryPoint3(table), table);
  t.is(d.report.bios, null);
  t.deepEqual(d.report.ipmi, []);
  t.deepEqual(d.report.redfishHostInterfaces, []);
  t.is(d.report.system?.manufacturer, 'Supermicro');
  t.deepEqual(
    d.issues.map((i) => [i.code, /handle 0x000(\d)/.exec(i.message)?.[1]]),
    [
      ['MALFORMED', '1'],
      ['MALFORMED', '2'],
      ['MALFORMED', '3'],
    ],
  );
});

test('type 42: truncated protocol record and short Redfish record are reported, the rest kept', (t) => {
  const shortRedfish = [0x04, 10, ...new Array<number>(10).fill(0)];
  const cut = hostInterface(0x40, pciV1, [ipmiRecord, [0x04, 200, 1, 2]]);
  cut[pciV1.length + 2] = 2;
  const table = buildTable([
    { type: 42, handle: 0x10, formatted: hostInterface(0x40, pciV1, [shortRedfish, ipmiRecord]) },
    { type: 42, handle: 0x11, formatted: cut },
  ]);
  const d = decode(entryPoint3(table), table);
  t.deepEqual(d.report.redfishHostInterfaces[0]?.protocols, [{ type: 'IPMI', code: 2 }]);
  t.deepEqual(d.report.redfishHostInterfaces[1]?.protocols, [{ type: 'IPMI', code: 2 }]);
  t.deepEqual(
    d.issues.map((i) => i.code),
    ['MALFORMED', 'TRUNCATED'],
  );
  t.regex(d.issues[0]?.message ?? '', /handle 0x0010 .*Redfish-over-IP record 1 is 10 bytes, needs 91/);
  t.regex(d.issues[1]?.message ?? '', /handle 0x0011 .*protocol record 2 of 2 runs past/);
});

// ---- readSmbios on file trees -------------------------------------------------------------

function tree(files: Record<string, Uint8Array>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'smbios-tree-'));
  for (const [p, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.join(root, path.dirname(p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), bytes);
  }
  return root;
}

test('readSmbios: a garbage DMI file is an error entry with the path, not a throw', (t) => {
  const garbage = Buffer.from([0x01, 0x02, 0xff, 0xff, 0x13, 0x37, 0x00, 0x41]);
  const root = tree({ [ENTRY_POINT_PATH]: entryPoint3(garbage), [TABLE_PATH]: garbage });
  try {
    const errs = new ErrorSink('report').for('smbios');
    const r = readSmbios(new SysRoot(root), errs);
    t.deepEqual(r?.structures, []);
    t.deepEqual(errs.list, [
      { probe: 'smbios', path: TABLE_PATH, code: 'MALFORMED', message: 'type 1 handle 0xFFFF at offset 0: formatted length 2 is shorter than the 4-byte header; walk stopped' },
    ]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('readSmbios: garbage entry point, table missing, empty table', (t) => {
  const cases: [Record<string, Uint8Array>, string, ProbeErrorCode, RegExp][] = [
    [{ [ENTRY_POINT_PATH]: Buffer.from('garbage garbage garbage garbage'), [TABLE_PATH]: goodTable }, ENTRY_POINT_PATH, 'MALFORMED', /anchor/],
    [{ [ENTRY_POINT_PATH]: goodEp2 }, TABLE_PATH, 'ENOENT', /DMI/],
    [{ [ENTRY_POINT_PATH]: goodEp2, [TABLE_PATH]: new Uint8Array() }, TABLE_PATH, 'TRUNCATED', /empty/],
  ];
  for (const [files, p, code, message] of cases) {
    const root = tree(files);
    try {
      const errs = new ErrorSink('smbios');
      t.is(readSmbios(new SysRoot(root), errs), null);
      t.is(errs.list.length, 1);
      t.like(errs.list[0], { path: p, code });
      t.regex(errs.list[0]?.message ?? '', message);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
});

test('readSmbios: unreadable firmware tables (non-root) are an EACCES entry', (t) => {
  // Tests run as root here, where chmod does not deny; a SysRoot that answers as the kernel does for a user.
  class UserView extends SysRoot {
    override readBytes(p: string): Result<Buffer> {
      return fail('EACCES', `${p}: EACCES (permission denied)`);
    }
  }
  const errs = new ErrorSink('smbios');
  t.is(readSmbios(new UserView(path.join(FIXTURES, 'qemu-q35')), errs), null);
  t.deepEqual(errs.list, [{ probe: 'smbios', path: ENTRY_POINT_PATH, code: 'EACCES', message: `${ENTRY_POINT_PATH}: EACCES (permission denied)` }]);
});

test('Intel ME tables are found by layout, not number: FWSTS at 235 with named components; foreign 219/221 ignored', (t) => {
  const record = (component: number, first: number) => [component, ...u32(first), ...u32(0), ...u32(0), ...u32(0), ...u32(0), ...u32(0)];
  const table = buildTable([
    // Dell OptiPlex 7050: FWSTS in 235, components as string numbers naming MEI1..MEI3.
    { type: 235, handle: 0xf033, formatted: [1, 3, ...record(1, 0x90000245), ...record(2, 0xffffffff), ...record(3, 0x80000000)], strings: ['MEI1', 'MEI2', 'MEI3'] },
    // Dell's own 221 (two "records" that refer to strings it does not have) and a 219 of another layout.
    { type: 221, handle: 0xdd00, formatted: [2, 1, 0, 0, 0xf6, 1, 0xf6, 0, 0, 0, 0, 0, 0, 0, 0] },
    { type: 219, handle: 0xdb00, formatted: [7, 7, 7] },
  ]);
  const d = decode(entryPoint3(table), table);
  t.deepEqual(d.issues, []);
  t.deepEqual(d.report.firmwareVersions, []);
  t.deepEqual(
    d.report.fwsts.map((f) => [f.handle, f.records.map((r) => [r.component, r.hfsts[0]])]),
    [
      [
        0xf033,
        [
          ['MEI1', 0x90000245],
          ['MEI2', 0xffffffff],
          ['MEI3', 0x80000000],
        ],
      ],
    ],
  );
  t.deepEqual(
    d.report.structures.map((s) => s.type),
    [235, 221, 219, 127],
  );
});
