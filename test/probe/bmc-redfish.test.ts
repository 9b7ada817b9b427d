// BMC presence (QEMU's ipmi-bmc-sim on KCS: SMBIOS 38 + ipmi0 on ACPI IPI0001
// via ipmi_si + /dev/ipmi0; none on Firecracker; a BMC's VGA alone) and the
// Redfish host interface: SMBIOS 42 records (built here as the SMBIOS decoder
// returns them) matched to the host NIC that reaches the BMC.

import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readBmc } from '../../agent/probe/bmc.ts';
import { ErrorSink } from '../../agent/probe/errors.ts';
import { readNics } from '../../agent/probe/nics.ts';
import type { PciDevice } from '../../agent/probe/pci.ts';
import { deriveRedfish, serviceEndpoint } from '../../agent/probe/redfish.ts';
import type { IpmiDeviceInfo, RedfishHostInterface, RedfishOverIp } from '../../agent/probe/smbios/types.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';

const FIXTURES = path.resolve('test/fixtures');
const made: string[] = [];
test.after.always(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
const bmcOf = (root: string, ipmi: IpmiDeviceInfo[] = [], pci: PciDevice[] = []) => {
  const errs = new ErrorSink('bmc');
  return { bmc: readBmc(new SysRoot(root), errs, ipmi, pci), errs: errs.list };
};

// What `dmidecode -t 38` shows for QEMU's isa-ipmi-kcs (test/fixtures/qemu-q35/README.md).
const QEMU_KCS: IpmiDeviceInfo = {
  handle: 0x2600,
  interfaceType: 'KCS',
  specVersion: '2.0',
  i2cSlaveAddress: '0x10',
  nvStorageDeviceAddress: null,
  baseAddress: '0xca2',
  addressSpace: 'io',
  registerSpacing: 1,
  interrupt: null,
  interruptNumber: 5,
};

test('qemu-q35: SMBIOS 38 KCS at 0xca2, ipmi0 on ACPI IPI0001:00 through ipmi_si, /dev/ipmi0', (t) => {
  const { bmc, errs } = bmcOf(path.join(FIXTURES, 'qemu-q35'), [QEMU_KCS]);
  t.deepEqual(errs, []);
  t.true(bmc.present);
  t.deepEqual(bmc.evidence, [
    'SMBIOS 38: KCS at 0xca2 (I/O), IPMI 2.0',
    '/dev/ipmi0 (ipmi_si on IPI0001:00)',
    'modules loaded: ipmi_si, ipmi_devintf, ipmi_msghandler',
  ]);
  t.deepEqual(bmc.interfaces, [{ name: 'ipmi0', devNode: '/dev/ipmi0', driver: 'ipmi_si', device: 'IPI0001:00' }]);
  t.deepEqual(bmc.devNodes, ['/dev/ipmi0']);
  t.deepEqual(bmc.smbiosInterfaces, [QEMU_KCS]);
});

test('qemu-q35 without the SMBIOS record: the kernel interface alone still shows the BMC', (t) => {
  const { bmc } = bmcOf(path.join(FIXTURES, 'qemu-q35'));
  t.true(bmc.present);
  t.is(bmc.evidence[0], '/dev/ipmi0 (ipmi_si on IPI0001:00)');
});

test('this-machine (Firecracker): no BMC and no evidence', (t) => {
  const { bmc, errs } = bmcOf(path.join(FIXTURES, 'this-machine'));
  t.deepEqual(errs, []);
  t.false(bmc.present);
  t.deepEqual(bmc.evidence, []);
});

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bmc-'));
  made.push(root);
  for (const [p, c] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), c);
  }
  return root;
}

test('a BMC VGA function (ASPEED) is evidence on its own; loaded modules alone are not', (t) => {
  const ast: PciDevice = {
    address: '0000:05:00.0',
    vendorId: 0x1a03,
    deviceId: 0x2000,
    subsystemVendorId: 0x15d9,
    subsystemId: 0x1b95,
    classCode: 0x030000,
    revision: 0x41,
    driver: 'ast',
    vendorName: 'ASPEED Technology, Inc.',
    deviceName: 'ASPEED Graphics Family',
    className: 'VGA compatible controller',
    role: 'bmc-video',
  };
  const nic: PciDevice = { ...ast, address: '0000:04:00.0', vendorId: 0x8086, deviceId: 0x1533, classCode: 0x020000, driver: 'igb', deviceName: 'I210', role: 'nic' };
  const modulesOnly = tree({ 'sys/module/ipmi_si/.keep': '', 'sys/module/ipmi_msghandler/.keep': '' });
  let { bmc } = bmcOf(modulesOnly, [], [nic]);
  t.false(bmc.present);
  t.deepEqual(bmc.modules, ['ipmi_si', 'ipmi_msghandler']);
  t.deepEqual(bmc.evidence, []);
  ({ bmc } = bmcOf(modulesOnly, [], [nic, ast]));
  t.true(bmc.present);
  t.deepEqual(bmc.evidence, ['BMC video 1a03:2000 at 0000:05:00.0 (ASPEED Graphics Family)', 'modules loaded: ipmi_si, ipmi_msghandler']);
});

test('an SSIF BMC bound to ipmi_ssif with no /dev node yet', (t) => {
  const root = tree({ 'sys/bus/i2c/drivers/ipmi_ssif/0-0010/.keep': '', 'sys/bus/i2c/drivers/ipmi_ssif/uevent': '' });
  const ssif: IpmiDeviceInfo = { ...QEMU_KCS, interfaceType: 'SSIF', baseAddress: '0x10', addressSpace: 'smbus', registerSpacing: null };
  const { bmc } = bmcOf(root, [ssif]);
  t.deepEqual(bmc.evidence, ['SMBIOS 38: SSIF at 0x10 (SMBus), IPMI 2.0', 'ipmi_ssif bound to 0-0010']);
});

test('a file where /sys/class/ipmi should be a directory lists no interface; SMBIOS evidence stays', (t) => {
  const root = tree({ 'sys/class/ipmi': 'not a directory\n' });
  const { bmc, errs } = bmcOf(root, [QEMU_KCS]);
  t.true(bmc.present);
  t.deepEqual(bmc.evidence, ['SMBIOS 38: KCS at 0xca2 (I/O), IPMI 2.0']);
  // sysroot lists a non-directory as empty, so this is not an error either.
  t.deepEqual(errs, []);
});

test('an ACPI IPI0001 device with no driver bound is evidence of a BMC', (t) => {
  const root = tree({ 'sys/bus/acpi/devices/IPI0001:00/.keep': '', 'sys/bus/acpi/devices/PNP0A08:00/.keep': '' });
  const { bmc } = bmcOf(root);
  t.true(bmc.present);
  t.deepEqual(bmc.acpiDevices, ['IPI0001:00']);
  t.deepEqual(bmc.evidence, ['ACPI IPI0001:00: IPMI interface declared by the firmware, no driver bound']);
});

// --- Redfish host interface -----------------------------------------------------

const OVER_IP: RedfishOverIp = {
  serviceUuid: '2c4a1c2e-9d3a-4b58-8a53-0e4b6d6f7a10',
  hostIpAssignment: 'Static',
  hostIpAddressFormat: 'IPv4',
  hostIpAddress: '169.254.0.18',
  hostIpMask: '255.255.0.0',
  serviceIpDiscovery: 'Static',
  serviceIpAddressFormat: 'IPv4',
  serviceIpAddress: '169.254.0.17',
  serviceIpMask: '255.255.0.0',
  servicePort: 443,
  vlanId: 0,
  serviceHostname: null,
};

const usbRecord = (device: RedfishHostInterface['device'], record: RedfishOverIp = OVER_IP): RedfishHostInterface => ({
  handle: 0x2a00,
  interfaceType: 'Network',
  device,
  protocols: [{ type: 'Redfish over IP', record }],
});

const usbNics = () => readNics(new SysRoot(path.join(FIXTURES, 'unit/usb-redfish-nic')), new ErrorSink('nics'));

test('SMBIOS 42 USB descriptor 0525:a4a1 matches usb0 (not the PCI eth0); endpoint from Redfish over IP', (t) => {
  const rf = deriveRedfish([usbRecord({ type: 'USB', vendorId: 0x0525, productId: 0xa4a1, serialNumber: null })], usbNics());
  t.true(rf.present);
  t.is(rf.hostInterfaces.length, 1);
  t.like(rf.hostInterfaces[0], { handle: 0x2a00, hostNic: 'usb0', matchedBy: 'usb-ids', endpoints: ['https://169.254.0.17:443'] });
  t.deepEqual(rf.evidence, ['SMBIOS 42: Network host interface, USB 0525:a4a1; Redfish over IP https://169.254.0.17:443; host NIC usb0 (matched by usb-ids)']);
});

test('a USB v2 descriptor matches by MAC first, then by ids', (t) => {
  const nics = usbNics();
  let rf = deriveRedfish([usbRecord({ type: 'USB v2', vendorId: 0x0525, productId: 0xa4a1, serialNumber: null, mac: '02:00:00:00:00:02' })], nics);
  t.like(rf.hostInterfaces[0], { hostNic: 'usb0', matchedBy: 'mac' });
  rf = deriveRedfish([usbRecord({ type: 'USB v2', vendorId: 0x0525, productId: 0xa4a1, serialNumber: null, mac: '02:00:00:00:00:99' })], nics);
  t.like(rf.hostInterfaces[0], { hostNic: 'usb0', matchedBy: 'usb-ids' });
});

test('PCI descriptors match by bus address (v2) or by ids', (t) => {
  const nics = usbNics();
  const pci = { vendorId: 0x8086, deviceId: 0x1533, subsystemVendorId: 0x15d9, subsystemId: 0x1533 };
  let rf = deriveRedfish([usbRecord({ type: 'PCI/PCIe v2', ...pci, mac: null, segment: 0, bus: 2, devfn: 0 })], nics);
  t.like(rf.hostInterfaces[0], { hostNic: 'eth0', matchedBy: 'pci-address' });
  rf = deriveRedfish([usbRecord({ type: 'PCI/PCIe', ...pci })], nics);
  t.like(rf.hostInterfaces[0], { hostNic: 'eth0', matchedBy: 'pci-ids' });
  rf = deriveRedfish([usbRecord({ type: 'PCI/PCIe', ...pci, subsystemId: 0x0001 })], nics);
  t.like(rf.hostInterfaces[0], { hostNic: null, matchedBy: null });
  t.regex(rf.evidence[0] ?? '', /no matching host NIC$/);
});

test('no NIC with those ids: still a Redfish host interface, without a host NIC', (t) => {
  const rf = deriveRedfish([usbRecord({ type: 'USB', vendorId: 0x046b, productId: 0xffb0, serialNumber: null })], usbNics());
  t.true(rf.present);
  t.like(rf.hostInterfaces[0], { hostNic: null, matchedBy: null, endpoints: ['https://169.254.0.17:443'] });
});

test('endpoints: IPv6 in brackets, hostname when the address is left to discovery, none when neither', (t) => {
  t.is(serviceEndpoint({ ...OVER_IP, serviceIpAddressFormat: 'IPv6', serviceIpAddress: 'fe80::1', servicePort: 8443 }), 'https://[fe80::1]:8443');
  t.is(serviceEndpoint({ ...OVER_IP, serviceIpDiscovery: 'DHCP', serviceIpAddress: '0.0.0.0', serviceHostname: 'bmc.local' }), 'https://bmc.local:443');
  const dhcp = { ...OVER_IP, serviceIpDiscovery: 'DHCP', serviceIpAddress: null, servicePort: 0 };
  t.is(serviceEndpoint(dhcp), null);
  const rf = deriveRedfish([usbRecord({ type: 'USB', vendorId: 0x0525, productId: 0xa4a1, serialNumber: null }, dhcp)], usbNics());
  t.deepEqual(rf.hostInterfaces[0]?.endpoints, []);
  t.regex(rf.evidence[0] ?? '', /Redfish over IP \(address by discovery\)/);
});

test('type 42 records for other management interfaces (KCS) are not Redfish', (t) => {
  const kcs: RedfishHostInterface = { handle: 0x2a01, interfaceType: 'KCS: Keyboard Controller Style', device: null, protocols: [] };
  const rf = deriveRedfish([kcs], usbNics());
  t.deepEqual(rf, { present: false, evidence: [], hostInterfaces: [] });
  t.deepEqual(deriveRedfish([], []), { present: false, evidence: [], hostInterfaces: [] });
});
