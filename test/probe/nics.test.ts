// NIC probe on the captured kernels (QEMU's e1000 on PCI; Firecracker's
// virtio-net, whose PCI function is one level above its device link) and on a
// BMC's USB network gadget, plus bad input.

import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorSink } from '../../agent/probe/errors.ts';
import { readNics, type Nic } from '../../agent/probe/nics.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';

const FIXTURES = path.resolve('test/fixtures');
const made: string[] = [];
test.after.always(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
const run = (root: string) => {
  const errs = new ErrorSink('nics');
  return { nics: readNics(new SysRoot(root), errs), errs: errs.list };
};
const byName = (nics: Nic[], name: string) => nics.find((n) => n.name === name);

function copy(name: string): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'nics-'));
  made.push(dst);
  fs.cpSync(path.join(FIXTURES, name), dst, { recursive: true, verbatimSymlinks: true });
  return dst;
}

test('qemu-q35: e1000 eth0 on PCI 0000:00:03.0 at 1000 Mb/s, and the loopback', (t) => {
  const { nics, errs } = run(path.join(FIXTURES, 'qemu-q35'));
  t.deepEqual(errs, []);
  t.deepEqual(
    nics.map((n) => n.name),
    ['eth0', 'lo'],
  );
  t.deepEqual(byName(nics, 'eth0'), {
    name: 'eth0',
    mac: '52:54:00:12:34:56',
    driver: 'e1000',
    bus: 'pci',
    pciAddress: '0000:00:03.0',
    pciIds: { vendorId: 0x8086, deviceId: 0x100e, subsystemVendorId: 0x1af4, subsystemId: 0x1100 },
    usb: null,
    virtual: false,
    speedMbps: 1000,
    operstate: 'up',
    carrier: true,
    mtu: 1500,
    type: 1,
  });
  t.like(byName(nics, 'lo'), { virtual: true, bus: 'virtual', driver: null, pciAddress: null, type: 772, mtu: 65536, operstate: 'unknown', speedMbps: null });
});

test('this-machine: virtio-net eth0, its PCI function found above the virtio child; ifb devices are virtual', (t) => {
  const { nics, errs } = run(path.join(FIXTURES, 'this-machine'));
  t.deepEqual(errs, []);
  t.like(byName(nics, 'eth0'), {
    mac: '02:fc:00:00:00:01',
    driver: 'virtio_net',
    bus: 'virtio',
    pciAddress: '0000:00:03.0',
    pciIds: { vendorId: 0x1af4, deviceId: 0x1041, subsystemVendorId: 0x1af4, subsystemId: 0x1041 },
    virtual: false,
    // virtio-net reports speed -1 (unknown).
    speedMbps: null,
    mtu: 1400,
    carrier: true,
  });
  for (const name of ['ifb0', 'ifb1', 'lo']) t.like(byName(nics, name), { virtual: true, bus: 'virtual', pciAddress: null });
  // Down interfaces have no carrier file (the kernel answers EINVAL).
  t.like(byName(nics, 'ifb0'), { operstate: 'down', carrier: null });
});

test('a BMC USB network gadget: bus usb, ids from the USB device above the interface, no PCI address', (t) => {
  const { nics, errs } = run(path.join(FIXTURES, 'unit/usb-redfish-nic'));
  t.deepEqual(errs, []);
  t.like(byName(nics, 'usb0'), { bus: 'usb', driver: 'cdc_ether', pciAddress: null, pciIds: null, usb: { vendorId: 0x0525, productId: 0xa4a1, serial: null }, virtual: false, mac: '02:00:00:00:00:02' });
  t.like(byName(nics, 'eth0'), { bus: 'pci', driver: 'igb', pciAddress: '0000:02:00.0', pciIds: { vendorId: 0x8086, deviceId: 0x1533, subsystemVendorId: 0x15d9, subsystemId: 0x1533 }, usb: null, speedMbps: 1000 });
});

test('a plain file in /sys/class/net (bonding_masters) is not an interface', (t) => {
  const root = copy('qemu-q35');
  fs.writeFileSync(path.join(root, 'sys/class/net/bonding_masters'), '\n');
  t.deepEqual(
    run(root).nics.map((n) => n.name),
    ['eth0', 'lo'],
  );
});

test('bad input: garbage mtu, binary address, a directory for type -> errors; everything else still read', (t) => {
  const root = copy('qemu-q35');
  const dir = path.join(root, 'sys/class/net/eth0');
  fs.writeFileSync(path.join(dir, 'mtu'), 'jumbo\n');
  fs.writeFileSync(path.join(dir, 'address'), Buffer.from([0x52, 0x00, 0x54]));
  fs.rmSync(path.join(dir, 'type'));
  fs.mkdirSync(path.join(dir, 'type'));
  const { nics, errs } = run(root);
  t.deepEqual(
    errs.map((e) => [e.path, e.code]),
    [
      ['/sys/class/net/eth0/address', 'MALFORMED'],
      ['/sys/class/net/eth0/mtu', 'MALFORMED'],
      ['/sys/class/net/eth0/type', 'EIO'],
    ],
  );
  t.like(byName(nics, 'eth0'), { mac: null, mtu: null, type: null, driver: 'e1000', pciAddress: '0000:00:03.0', speedMbps: 1000 });
  t.like(byName(nics, 'lo'), { mtu: 65536 });
});

test('bad input: a non-hex USB id is an error and leaves usb null', (t) => {
  const root = copy('unit/usb-redfish-nic');
  fs.writeFileSync(path.join(root, 'sys/bus/pci/devices/0000:00:14.0/usb1/1-3/idVendor'), 'zzzz\n');
  const { nics, errs } = run(root);
  t.deepEqual(
    errs.map((e) => [e.path, e.code]),
    [['/sys/bus/pci/devices/0000:00:14.0/usb1/1-3/idVendor', 'MALFORMED']],
  );
  t.like(byName(nics, 'usb0'), { bus: 'usb', usb: null, driver: 'cdc_ether' });
});
