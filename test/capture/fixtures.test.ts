// Facts about the captured fixture trees that follow from how they were made
// (the QEMU command line in test/fixtures/qemu-q35/README.md, the Firecracker
// VM for this-machine), checked with plain file reads so a broken capture
// script is caught independently of the probes' own parsers.

import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const Q35 = path.join(FIXTURES, 'qemu-q35');
const FC = path.join(FIXTURES, 'this-machine');

const text = (root: string, p: string): string => fs.readFileSync(path.join(root, p), 'utf8');
const bytes = (root: string, p: string): Buffer => fs.readFileSync(path.join(root, p));
const linkBase = (root: string, p: string): string => path.basename(fs.readlinkSync(path.join(root, p)));

interface SmbiosStruct {
  type: number;
  offset: number;
  length: number;
}

/** Walk SMBIOS structures: formatted area of `length` bytes, then strings up to a double NUL. */
function smbiosStructs(table: Buffer): SmbiosStruct[] {
  const out: SmbiosStruct[] = [];
  let off = 0;
  while (off + 4 <= table.length) {
    const type = table[off]!;
    const length = table[off + 1]!;
    if (length < 4) break;
    out.push({ type, offset: off, length });
    if (type === 127) break;
    let end = off + length;
    while (end + 1 < table.length && !(table[end] === 0 && table[end + 1] === 0)) end++;
    off = end + 2;
  }
  return out;
}

/** The PCI function a net/watchdog/tpm `device` link lands on, as the fixture's own directory. */
function pciFunctionOf(root: string, linkPath: string): string | undefined {
  const real = fs.realpathSync(path.join(root, linkPath));
  const m = /sys\/bus\/pci\/devices\/([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])/.exec(real);
  return m?.[1];
}

function allEntries(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...allEntries(p));
  }
  return out;
}

for (const [name, root] of [
  ['qemu-q35', Q35],
  ['this-machine', FC],
] as const) {
  test(`${name}: every symlink is relative and resolves inside the fixture`, (t) => {
    const links = allEntries(root).filter((p) => fs.lstatSync(p).isSymbolicLink());
    t.true(links.length > 0);
    const realRoot = fs.realpathSync(root);
    for (const l of links) {
      const target = fs.readlinkSync(l);
      t.false(path.isAbsolute(target), l);
      const real = fs.realpathSync(l);
      t.true(real.startsWith(realRoot + path.sep), `${l} -> ${real}`);
    }
  });

  test(`${name}: ACPI headers are 36 bytes whose signature is the file name`, (t) => {
    for (const sig of ['DSDT', 'FACP', 'APIC', 'MCFG']) {
      const h = bytes(root, `sys/firmware/acpi/tables/${sig}`);
      t.is(h.length, 36);
      t.is(h.toString('latin1', 0, 4), sig);
      t.true(h.readUInt32LE(4) >= 36, `${sig} table length`);
    }
  });
}

test('qemu-q35: entry point is SMBIOS 2.8 and its table length matches the captured DMI table', (t) => {
  const ep = bytes(Q35, 'sys/firmware/dmi/tables/smbios_entry_point');
  // QEMU 7.2's pc-q35-7.2 defaults to the 32-bit entry point with SMBIOS 2.8.
  t.is(ep.toString('latin1', 0, 4), '_SM_');
  t.is(ep[6], 2);
  t.is(ep[7], 8);
  t.is(ep.toString('latin1', 0x10, 0x15), '_DMI_');
  const dmi = bytes(Q35, 'sys/firmware/dmi/tables/DMI');
  t.is(ep.readUInt16LE(0x16), dmi.length);
});

test('qemu-q35: DMI table has a type 38 IPMI record for the isa-ipmi-kcs device at 0xca2', (t) => {
  const dmi = bytes(Q35, 'sys/firmware/dmi/tables/DMI');
  const structs = smbiosStructs(dmi);
  t.deepEqual(
    structs.map((s) => s.type),
    [0, 1, 3, 4, 16, 17, 19, 32, 38, 127],
  );
  const ipmi = structs.find((s) => s.type === 38);
  if (!ipmi) return t.fail('no type 38');
  const o = ipmi.offset;
  t.is(dmi[o + 4], 0x01, 'interface type KCS');
  t.is(dmi[o + 5], 0x20, 'IPMI 2.0');
  const base = dmi.readBigUInt64LE(o + 8);
  t.is(base & 1n, 1n, 'I/O space');
  t.is(base & ~1n, 0xca2n, 'isa-ipmi-kcs default ioport');
});

test('qemu-q35: dmi/id names the QEMU q35 machine', (t) => {
  t.is(text(Q35, 'sys/class/dmi/id/sys_vendor'), 'QEMU\n');
  t.is(text(Q35, 'sys/class/dmi/id/product_name'), 'Standard PC (Q35 + ICH9, 2009)\n');
  t.regex(text(Q35, 'sys/class/dmi/id/product_version'), /^pc-q35-\d+\.\d+\n$/);
  t.is(text(Q35, 'sys/class/dmi/id/bios_vendor'), 'SeaBIOS\n');
});

test('qemu-q35: -device i6300esb is watchdog0 and a PCI function 8086:25ab', (t) => {
  t.is(text(Q35, 'sys/class/watchdog/watchdog0/identity'), 'i6300ESB timer\n');
  t.is(text(Q35, 'sys/class/watchdog/watchdog0/state'), 'inactive\n');
  t.true(fs.existsSync(path.join(Q35, 'dev/watchdog0')));
  const esb = fs
    .readdirSync(path.join(Q35, 'sys/bus/pci/devices'))
    .filter((a) => text(Q35, `sys/bus/pci/devices/${a}/vendor`) === '0x8086\n')
    .filter((a) => text(Q35, `sys/bus/pci/devices/${a}/device`) === '0x25ab\n');
  t.deepEqual(esb, ['0000:00:02.0']);
  t.is(linkBase(Q35, 'sys/bus/pci/devices/0000:00:02.0/driver'), 'i6300ESB timer');
});

test('qemu-q35: q35 ICH9 TCO watchdog shows up as iTCO_wdt below the LPC bridge', (t) => {
  t.is(text(Q35, 'sys/class/watchdog/watchdog1/identity'), 'iTCO_wdt\n');
  t.is(pciFunctionOf(Q35, 'sys/class/watchdog/watchdog1/device'), '0000:00:1f.0');
  t.is(linkBase(Q35, 'sys/class/watchdog/watchdog1/device/driver'), 'iTCO_wdt');
  t.is(text(Q35, 'sys/bus/pci/devices/0000:00:1f.0/device'), '0x2918\n');
});

test('qemu-q35: -device tpm-tis with swtpm --tpm2 is a TPM 2.0 on tpm_tis', (t) => {
  t.is(text(Q35, 'sys/class/tpm/tpm0/tpm_version_major'), '2\n');
  t.is(linkBase(Q35, 'sys/class/tpm/tpm0/device/driver'), 'tpm_tis');
  t.true(fs.existsSync(path.join(Q35, 'sys/class/tpm/tpm0/pcr-sha256')));
  t.true(fs.existsSync(path.join(Q35, 'dev/tpm0')));
  t.true(fs.existsSync(path.join(Q35, 'dev/tpmrm0')));
});

test('qemu-q35: -device e1000 is eth0 at a PCI function 8086:100e with QEMU\'s default MAC', (t) => {
  const addr = pciFunctionOf(Q35, 'sys/class/net/eth0/device');
  if (!addr) return t.fail('eth0 is not on PCI');
  t.is(text(Q35, `sys/bus/pci/devices/${addr}/vendor`), '0x8086\n');
  t.is(text(Q35, `sys/bus/pci/devices/${addr}/device`), '0x100e\n');
  t.is(text(Q35, `sys/bus/pci/devices/${addr}/class`), '0x020000\n');
  t.is(linkBase(Q35, 'sys/class/net/eth0/device/driver'), 'e1000');
  t.is(text(Q35, 'sys/class/net/eth0/address'), '52:54:00:12:34:56\n');
  t.is(text(Q35, 'sys/class/net/eth0/operstate'), 'up\n');
});

test('qemu-q35: -device isa-ipmi-kcs gives /dev/ipmi0 through ipmi_si', (t) => {
  t.true(fs.existsSync(path.join(Q35, 'dev/ipmi0')));
  t.is(linkBase(Q35, 'sys/class/ipmi/ipmi0/device/driver'), 'ipmi_si');
  for (const m of ['ipmi_si', 'ipmi_devintf', 'ipmi_msghandler', 'i6300esb', 'iTCO_wdt']) {
    t.true(fs.existsSync(path.join(Q35, `sys/module/${m}`)), m);
  }
  t.false(fs.existsSync(path.join(Q35, 'sys/module/mei')));
});

test('qemu-q35: ACPI tables come from QEMU (OEM id BOCHS) and there is no MEI', (t) => {
  t.is(bytes(Q35, 'sys/firmware/acpi/tables/DSDT').toString('latin1', 10, 16), 'BOCHS ');
  t.false(fs.existsSync(path.join(Q35, 'sys/class/mei')));
  t.regex(text(Q35, 'proc/cpuinfo'), /^flags\s*:.*\bhypervisor\b/m);
});

test('this-machine: Firecracker ACPI tables carry OEM id FIRECK and there is no SMBIOS', (t) => {
  for (const sig of ['DSDT', 'FACP', 'APIC', 'MCFG']) {
    t.is(bytes(FC, `sys/firmware/acpi/tables/${sig}`).toString('latin1', 10, 16), 'FIRECK', sig);
  }
  t.false(fs.existsSync(path.join(FC, 'sys/firmware/dmi')));
  t.false(fs.existsSync(path.join(FC, 'sys/class/dmi')));
});

test('this-machine: eth0 is virtio-net below a virtio 1.0 PCI function 1af4:1041', (t) => {
  const addr = pciFunctionOf(FC, 'sys/class/net/eth0/device');
  if (!addr) return t.fail('eth0 is not below a PCI function');
  t.is(text(FC, `sys/bus/pci/devices/${addr}/vendor`), '0x1af4\n');
  // virtio 1.0: PCI device id 0x1040 + device type, network card = 1.
  t.is(text(FC, `sys/bus/pci/devices/${addr}/device`), '0x1041\n');
  t.is(linkBase(FC, `sys/bus/pci/devices/${addr}/driver`), 'virtio-pci');
  t.regex(linkBase(FC, 'sys/class/net/eth0/device'), /^virtio\d+$/);
  t.is(linkBase(FC, 'sys/class/net/eth0/device/driver'), 'virtio_net');
});

test('this-machine: no watchdog, TPM, IPMI or MEI and no such /dev nodes', (t) => {
  for (const c of ['watchdog', 'tpm', 'ipmi', 'mei']) {
    t.false(fs.existsSync(path.join(FC, `sys/class/${c}`)), c);
  }
  t.false(fs.existsSync(path.join(FC, 'dev')));
});
