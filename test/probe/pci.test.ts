// readPci on captured (qemu-q35, this-machine) and hand-built (unit/*) trees,
// the roles it gives, and its pci.ids names cross-checked against lspci: lspci
// cannot read a fixture tree, but `lspci -F FILE` reads a `lspci -x` style dump,
// so the test writes one from each fixture's sysfs ids and compares names.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorSink } from '../../agent/probe/errors.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { parseSysfsHex, pciRole, readPci, type PciDevice } from '../../agent/probe/pci.ts';
import { lookupPciNames } from '../../agent/probe/pciids.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const PCI_IDS = '/usr/share/misc/pci.ids';
const HAVE_PCI_IDS = fs.existsSync(PCI_IDS);
const HAVE_LSPCI = (() => {
  try {
    execFileSync('lspci', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();
if (!HAVE_PCI_IDS) console.log(`skipping pci.ids name tests: ${PCI_IDS} missing (Debian package pci.ids; \`make deps\` installs it)`);
if (!HAVE_LSPCI) console.log('skipping the lspci cross-check: lspci not installed (Debian package pciutils; `make deps` installs it)');
const withIds = HAVE_PCI_IDS ? test : test.skip;
const withLspci = HAVE_PCI_IDS && HAVE_LSPCI ? test : test.skip;

function read(fixture: string, pciIds: string | null = PCI_IDS): { devices: PciDevice[]; errs: ErrorSink } {
  const errs = new ErrorSink('pci');
  return { devices: readPci(new SysRoot(path.join(FIXTURES, fixture)), errs, { pciIds }), errs };
}
const byAddr = (ds: PciDevice[]) => new Map(ds.map((d) => [d.address, d]));

test('qemu-q35 (captured): ids, driver links, roles and order', (t) => {
  const { devices, errs } = read('qemu-q35', null);
  t.deepEqual(errs.list, []);
  t.deepEqual(devices.map((d) => d.address), ['0000:00:00.0', '0000:00:01.0', '0000:00:02.0', '0000:00:03.0', '0000:00:1f.0', '0000:00:1f.2', '0000:00:1f.3']);
  const m = byAddr(devices);
  t.like(m.get('0000:00:02.0'), { vendorId: 0x8086, deviceId: 0x25ab, subsystemVendorId: 0x1af4, subsystemId: 0x1100, classCode: 0x088000, revision: 0, driver: 'i6300ESB timer', role: 'watchdog' });
  t.like(m.get('0000:00:03.0'), { deviceId: 0x100e, classCode: 0x020000, revision: 3, driver: 'e1000', role: 'nic' });
  t.like(m.get('0000:00:1f.2'), { deviceId: 0x2922, classCode: 0x010601, driver: null, role: 'other' });
  t.like(m.get('0000:00:00.0'), { vendorName: null, deviceName: null, className: null });
});

test('this-machine (captured Firecracker VM): virtio functions, class 0xffff00 kept', (t) => {
  const { devices, errs } = read('this-machine', null);
  t.deepEqual(errs.list, []);
  t.is(devices.length, 6);
  t.like(byAddr(devices).get('0000:00:03.0'), { vendorId: 0x1af4, deviceId: 0x1041, classCode: 0x020000, driver: 'virtio-pci', role: 'nic' });
  t.like(byAddr(devices).get('0000:00:01.0'), { classCode: 0xffff00, role: 'other' });
});

withIds('qemu-q35 names from pci.ids', (t) => {
  const m = byAddr(read('qemu-q35').devices);
  t.like(m.get('0000:00:02.0'), { vendorName: 'Intel Corporation', deviceName: '6300ESB Watchdog Timer', className: 'System peripheral' });
  t.like(m.get('0000:00:03.0'), { deviceName: '82540EM Gigabit Ethernet Controller', className: 'Ethernet controller' });
  // 1234:1111 (QEMU's stdvga) has no pci.ids entry.
  t.like(m.get('0000:00:01.0'), { vendorName: null, deviceName: null, className: 'VGA compatible controller' });
});

withIds('unit/pci-mixed: DASH, BMC video, AMT functions and NICs get their roles', (t) => {
  const { devices, errs } = read('unit/pci-mixed');
  t.deepEqual(errs.list, []);
  const roles = Object.fromEntries(devices.map((d) => [d.address, d.role]));
  t.deepEqual(roles, {
    '0000:00:16.0': 'mei', // unknown id, class 0x0780 at 00:16.0
    '0000:00:16.2': 'amt-ider', // unknown id, class 0x0101 at 00:16.2
    '0000:00:16.3': 'amt-sol', // unknown id, class 0x0700 at 00:16.3
    '0000:03:00.0': 'nic',
    '0000:03:00.1': 'dash',
    '0000:03:00.2': 'dash',
    '0000:03:00.3': 'dash',
    '0000:03:00.4': 'dash',
    '0000:04:00.0': 'nic',
    '0000:05:00.0': 'bmc-video',
    '0000:0a:00.0': 'bmc-video', // Matrox G200eR
    '0000:0b:00.0': 'other', // Matrox G200 AGP add-in card, not a BMC
  });
  const m = byAddr(devices);
  t.like(m.get('0000:03:00.4'), { deviceName: 'Realtek RealManage BMC', vendorName: 'Realtek Semiconductor Co., Ltd.' });
  t.like(m.get('0000:05:00.0'), { deviceName: 'ASPEED Graphics Family', driver: 'ast' });
  t.like(m.get('0000:0a:00.0'), { deviceName: 'G200eR2', driver: 'mgag200' });
});

test('unit/pci-mixed without pci.ids: the same roles from ids and slots alone', (t) => {
  const { devices } = read('unit/pci-mixed', null);
  t.deepEqual(devices.map((d) => d.role), ['mei', 'amt-ider', 'amt-sol', 'nic', 'dash', 'dash', 'dash', 'dash', 'nic', 'bmc-video', 'bmc-video', 'other']);
  t.true(devices.every((d) => d.vendorName === null && d.deviceName === null && d.className === null));
});

test('unit/mei-garbage: a missing class and a garbage vendor are reported, the rest is read', (t) => {
  const { devices, errs } = read('unit/mei-garbage', null);
  t.deepEqual(devices.map((d) => d.address), ['0000:00:16.0']);
  t.deepEqual(
    errs.list.map((e) => [e.probe, e.path, e.code]),
    [
      ['pci', '/sys/bus/pci/devices/0000:00:17.0/class', 'ENOENT'],
      ['pci', '/sys/bus/pci/devices/0000:00:18.0/vendor', 'MALFORMED'],
    ],
  );
  t.regex(errs.list[1]!.message, /"banana"/);
});

test('a pci.ids path that cannot be read as a file is an error; a missing one is not', (t) => {
  const dirAsDb = read('qemu-q35', os.tmpdir());
  t.deepEqual(dirAsDb.errs.list.map((e) => [e.path, e.code]), [[os.tmpdir(), 'EIO']]);
  t.is(dirAsDb.devices.length, 7);
  const missing = read('qemu-q35', path.join(os.tmpdir(), 'no-such-pci.ids'));
  t.deepEqual(missing.errs.list, []);
  t.is(missing.devices[2]!.deviceName, null);
});

test('an absent /sys/bus/pci is an empty list, not an error', (t) => {
  const errs = new ErrorSink('pci');
  t.deepEqual(readPci(new SysRoot(path.join(FIXTURES, 'unit', 'mei-soft-disabled', 'sys', 'class')), errs, { pciIds: null }), []);
  t.deepEqual(errs.list, []);
});

test('parseSysfsHex: the kernel`s 0x-prefixed ids only, within range', (t) => {
  t.is(parseSysfsHex('0x8086', 0xffff), 0x8086);
  t.is(parseSysfsHex('0x078000\n', 0xffffff), 0x078000);
  t.is(parseSysfsHex('8086', 0xffff), null);
  t.is(parseSysfsHex('0x10000', 0xffff), null);
  t.is(parseSysfsHex('0x', 0xffff), null);
});

test('pciRole: pci.ids names that say HECI as well as KT or IDER are AMT functions, not MEI', (t) => {
  const f = (deviceId: number, classCode: number, address = '0000:00:16.0', driver: string | null = null) => ({ address, vendorId: 0x8086, deviceId, classCode, driver });
  // pci.ids: 8086:9c3d "8 Series HECI KT", 9c3c "8 Series HECI IDER", 9c3a "8 Series HECI #0".
  t.is(pciRole(f(0x9c3d, 0x070002, '0000:00:16.3'), '8 Series HECI KT'), 'amt-sol');
  t.is(pciRole(f(0x9c3c, 0x010185, '0000:00:16.2'), '8 Series HECI IDER'), 'amt-ider');
  t.is(pciRole(f(0x9c3a, 0x078000), '8 Series HECI #0'), 'mei');
  // a13e "MEI Controller #3" is not in hw-me-regs.h; the name and slot find it.
  t.is(pciRole(f(0xa13e, 0x078000, '0000:00:16.4'), '100 Series/C230 Series Chipset Family MEI Controller #3'), 'mei');
  t.is(pciRole(f(0xa13e, 0x078000, '0000:00:16.4'), null), 'mei');
  // Bay Trail TXE (pci-txe.c), and any function bound to mei_me.
  t.is(pciRole(f(0x0f18, 0x108000, '0000:00:1a.0'), null), 'mei');
  t.is(pciRole(f(0x1234, 0x078000, '0000:00:11.0', 'mei_me'), null), 'mei');
  // Intel's standalone SOL function (pci.ids 8086:108f) and a KT name outside 00:16.
  t.is(pciRole(f(0x108f, 0x070002, '0000:01:00.3'), 'Active Management Technology - SOL'), 'amt-sol');
  // A communication controller elsewhere is not the ME.
  t.is(pciRole(f(0x1234, 0x078000, '0000:00:12.0'), null), 'other');
  t.is(pciRole({ address: '0000:02:00.0', vendorId: 0x14e4, deviceId: 0x165f, classCode: 0x020000, driver: 'tg3' }, null), 'nic');
});

withIds('lookupPciNames reads only what it needs: vendor, device, subclass and class fallback', (t) => {
  const db = fs.readFileSync(PCI_IDS);
  const names = lookupPciNames(db, { devices: new Map([[0x8086, new Set([0x25ab, 0xa0e3])], [0x10ec, new Set([0x816e])], [0x7777, new Set([1])]]), classes: new Set([0x0780, 0xff00, 0x0880]) });
  t.is(names.vendor(0x8086), 'Intel Corporation');
  t.is(names.device(0x8086, 0xa0e3), 'Tiger Lake-LP Active Management Technology - SOL');
  t.is(names.device(0x10ec, 0x816e), 'Realtek RealManage BMC');
  t.is(names.device(0x8086, 0x0001), null);
  t.is(names.vendor(0x7777), null);
  t.is(names.className(0x078000), 'Communication controller');
  t.is(names.className(0x088000), 'System peripheral');
  // No subclass ff under class ff: lspci prints the class name ("Unassigned class [ffff]").
  t.is(names.className(0xffff00), 'Unassigned class');
});

// --- lspci cross-check ------------------------------------------------------------------

/** A `lspci -x` style dump (64 bytes of config space per function) from a fixture's sysfs ids. */
function dumpFor(devices: PciDevice[]): string {
  return devices
    .map((d) => {
      const cfg = new Uint8Array(64);
      cfg[0] = d.vendorId & 0xff;
      cfg[1] = d.vendorId >> 8;
      cfg[2] = d.deviceId & 0xff;
      cfg[3] = d.deviceId >> 8;
      cfg[8] = d.revision ?? 0;
      cfg[9] = d.classCode & 0xff;
      cfg[10] = (d.classCode >> 8) & 0xff;
      cfg[11] = d.classCode >> 16;
      cfg[0x2c] = (d.subsystemVendorId ?? 0) & 0xff;
      cfg[0x2d] = (d.subsystemVendorId ?? 0) >> 8;
      cfg[0x2e] = (d.subsystemId ?? 0) & 0xff;
      cfg[0x2f] = (d.subsystemId ?? 0) >> 8;
      const rows = [0, 16, 32, 48].map((o) => `${o.toString(16).padStart(2, '0')}: ${[...cfg.subarray(o, o + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
      return `${d.address} fixture\n${rows.join('\n')}\n`;
    })
    .join('\n');
}

/** `lspci -mm -D` lines: slot "class" "vendor" "device" [-rXX] [-pXX] "svendor" "sdevice". */
function parseLspciMm(out: string): Map<string, { cls: string; vendor: string; device: string }> {
  const m = new Map<string, { cls: string; vendor: string; device: string }>();
  for (const line of out.split('\n').filter(Boolean)) {
    const fields = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((x) => x[1] ?? x[2]!);
    m.set(fields[0]!, { cls: fields[1]!, vendor: fields[2]!, device: fields[3]! });
  }
  return m;
}

for (const fixture of ['qemu-q35', 'this-machine', 'unit/pci-mixed', 'unit/mei-csme16-corporate']) {
  withLspci(`${fixture}: vendor, device and class names equal lspci's for the same ids`, (t) => {
    const { devices } = read(fixture);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pci-dump-')), 'dump.txt');
    fs.writeFileSync(file, dumpFor(devices));
    // hwdb off: lspci would otherwise fill gaps from udev's hwdb, a second database whose
    // age follows the udev package, not pci.ids (the probe reads pci.ids only).
    const lspci = parseLspciMm(execFileSync('lspci', ['-F', file, '-mm', '-D', '-i', PCI_IDS, '-O', 'hwdb.disable=1'], { encoding: 'utf8' }));
    t.is(lspci.size, devices.length);
    for (const d of devices) {
      const l = lspci.get(d.address);
      if (!l) return t.fail(`lspci did not list ${d.address}`);
      // lspci prints "Vendor 1234" / "Device 1111" for ids pci.ids lacks, and "<class> [ccss]" for an unknown subclass.
      t.is(d.vendorName ?? `Vendor ${d.vendorId.toString(16).padStart(4, '0')}`, l.vendor, `${d.address} vendor`);
      t.is(d.deviceName ?? `Device ${d.deviceId.toString(16).padStart(4, '0')}`, l.device, `${d.address} device`);
      t.is(d.className, l.cls.replace(/ \[[0-9a-f]{4}\]$/, ''), `${d.address} class`);
    }
    fs.rmSync(path.dirname(file), { recursive: true });
  });
}
