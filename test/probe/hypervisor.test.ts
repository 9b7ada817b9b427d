// Hypervisor and cloud detection: the two captured guests (QEMU through fw_cfg,
// DMI, ACPI "BOCHS" and the CPUID flag; Firecracker through its "FIRECK" ACPI
// OEM id), one row per cloud provider with the DMI strings it really presents,
// Xen with /sys/hypervisor, the SMBIOS fallback, bare metal, and bad input.

import test from 'ava';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorSink } from '../../agent/probe/errors.ts';
import { ACPI_HEADER_LENGTH, parseAcpiHeader, readHypervisor } from '../../agent/probe/hypervisor.ts';
import type { SmbiosReport } from '../../agent/probe/smbios/types.ts';
import { emptySmbiosReport } from '../../agent/probe/smbios/decode.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';

const FIXTURES = path.resolve('test/fixtures');
const made: string[] = [];
test.after.always(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
const run = (root: string, smbios: SmbiosReport | null = null) => {
  const errs = new ErrorSink('hypervisor');
  return { hv: readHypervisor(new SysRoot(root), errs, smbios), errs: errs.list };
};
const CPU_GUEST = 'processor\t: 0\nflags\t\t: fpu tsc msr pae hypervisor lahf_lm\n';
const CPU_METAL = 'processor\t: 0\nflags\t\t: fpu tsc msr pae vmx lahf_lm\n';

/** A throw-away root holding just the given files (paths relative to the root). */
function tree(files: Record<string, string | Buffer>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hv-'));
  made.push(root);
  for (const [p, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), content);
  }
  return root;
}
const dmi = (fields: Record<string, string>) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [`sys/class/dmi/id/${k}`, `${v}\n`]));

function copy(name: string): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'hv-'));
  made.push(dst);
  fs.cpSync(path.join(FIXTURES, name), dst, { recursive: true, verbatimSymlinks: true });
  return dst;
}

test('qemu-q35: QEMU from fw_cfg, DMI, the BOCHS ACPI OEM id and the CPUID hypervisor flag', (t) => {
  const { hv, errs } = run(path.join(FIXTURES, 'qemu-q35'));
  t.deepEqual(errs, []);
  t.is(hv.virtualized, true);
  t.is(hv.hypervisor, 'QEMU/KVM');
  t.is(hv.provider, null);
  t.true(hv.evidence.includes('/sys/firmware/qemu_fw_cfg "present": QEMU firmware configuration device'));
  t.true(hv.evidence.includes('/sys/class/dmi/id/sys_vendor "QEMU": QEMU/KVM DMI strings'));
  t.true(hv.evidence.includes('/proc/cpuinfo flags "hypervisor": CPUID reports a hypervisor'));
  t.true(hv.evidence.some((e) => e.startsWith('ACPI ') && e.includes('"BOCHS"')));
  t.deepEqual(
    hv.acpiTables.map((h) => [h.signature, h.oemId, h.oemTableId]),
    [
      ['APIC', 'BOCHS', 'BXPC'],
      ['DSDT', 'BOCHS', 'BXPC'],
      ['FACP', 'BOCHS', 'BXPC'],
      ['MCFG', 'BOCHS', 'BXPC'],
    ],
  );
  t.is(hv.acpiTables.find((h) => h.signature === 'DSDT')?.length, 9069);
});

test('this-machine: Firecracker from the FIRECK ACPI OEM id (no SMBIOS, no DMI)', (t) => {
  const { hv, errs } = run(path.join(FIXTURES, 'this-machine'));
  t.deepEqual(errs, []);
  t.is(hv.virtualized, true);
  t.is(hv.hypervisor, 'Firecracker');
  t.is(hv.provider, null);
  t.true(hv.evidence.some((e) => e.includes('"FIRECK"') && /Firecracker/.test(e)));
  t.deepEqual(hv.acpiTables.map((h) => h.oemTableId).sort(), ['FCMVMCFG', 'FCVMDSDT', 'FCVMFADT', 'FCVMMADT']);
});

// One row per signature, with the values each platform presents and where that is documented.
const PLATFORMS: { name: string; files: Record<string, string>; hypervisor: string | null; provider: string | null; virtualized?: boolean; source: string }[] = [
  { name: 'AWS Nitro', files: dmi({ sys_vendor: 'Amazon EC2', product_name: 'm5.large', bios_vendor: 'Amazon EC2' }), hypervisor: null, provider: 'AWS', source: 'systemd virt.c dmi_vendor_table "Amazon EC2"' },
  { name: 'AWS bare metal', files: { ...dmi({ sys_vendor: 'Amazon EC2', product_name: 'm5.metal' }), 'proc/cpuinfo': CPU_METAL }, hypervisor: null, provider: 'AWS', virtualized: false, source: 'systemd virt.c detect_vm_dmi() ".metal"' },
  { name: 'AWS HVM (uuid = serial)', files: dmi({ product_serial: 'ec23aef5-54be-4843-8d24-8c819f88453e', product_uuid: 'EC23AEF5-54BE-4843-8D24-8C819F88453E' }), hypervisor: null, provider: 'AWS', source: 'cloud-init test_ds_identify "Ec2-hvm"' },
  { name: 'GCE', files: dmi({ sys_vendor: 'Google', product_name: 'Google Compute Engine' }), hypervisor: null, provider: 'GCE', source: 'cloud-init test_ds_identify "GCE"' },
  { name: 'GCE by serial', files: dmi({ product_serial: 'GoogleCloud-8f2e88f' }), hypervisor: null, provider: 'GCE', source: 'cloud-init test_ds_identify "GCE-serial"' },
  { name: 'Azure', files: dmi({ sys_vendor: 'Microsoft Corporation', product_name: 'Virtual Machine', chassis_asset_tag: '7783-7084-3265-9085-8269-3286-77' }), hypervisor: 'Hyper-V', provider: 'Azure', source: 'cloud-init ds-identify is_azure_chassis; systemd #21816' },
  { name: 'DigitalOcean', files: dmi({ sys_vendor: 'DigitalOcean' }), hypervisor: null, provider: 'DigitalOcean', source: 'cloud-init ds-identify dscheck_DigitalOcean' },
  { name: 'Hetzner Cloud', files: dmi({ sys_vendor: 'Hetzner' }), hypervisor: null, provider: 'Hetzner Cloud', source: 'cloud-init test_ds_identify "Hetzner"' },
  { name: 'Vultr', files: dmi({ sys_vendor: 'Vultr' }), hypervisor: null, provider: 'Vultr', source: 'cloud-init ds-identify dscheck_Vultr' },
  { name: 'Linode', files: dmi({ sys_vendor: 'Linode' }), hypervisor: null, provider: 'Linode/Akamai', source: 'cloud-init test_ds_identify "Akamai" (dmi_decode -> "Linode")' },
  { name: 'Akamai', files: dmi({ sys_vendor: 'Akamai' }), hypervisor: null, provider: 'Linode/Akamai', source: 'cloud-init ds-identify dscheck_Akamai' },
  { name: 'Scaleway', files: dmi({ sys_vendor: 'Scaleway' }), hypervisor: null, provider: 'Scaleway', source: 'cloud-init ds-identify dscheck_Scaleway' },
  { name: 'OpenStack Nova (OVHcloud public cloud presents the same)', files: dmi({ sys_vendor: 'OpenStack Foundation', product_name: 'OpenStack Nova' }), hypervisor: null, provider: 'OpenStack', source: 'cloud-init test_ds_identify "OpenStack"; facter #2466' },
  { name: 'RHOSP', files: dmi({ sys_vendor: 'Red Hat', product_name: 'OpenStack Compute' }), hypervisor: null, provider: 'OpenStack', source: 'coreos/ignition-dracut #8 dmidecode output' },
  { name: 'Open Telekom Cloud', files: dmi({ chassis_asset_tag: 'OpenTelekomCloud' }), hypervisor: null, provider: 'OpenStack', source: 'cloud-init test_ds_identify "OpenStack-OpenTelekom"' },
  { name: 'Proxmox VE', files: dmi({ sys_vendor: 'QEMU', product_name: 'Standard PC (Q35 + ICH9, 2009)', product_version: 'pc-q35-8.1+pve0' }), hypervisor: 'Proxmox VE', provider: null, source: 'Proxmox qemu-server machine type "+pve" suffix' },
  { name: 'plain QEMU', files: dmi({ sys_vendor: 'QEMU', product_name: 'Standard PC (Q35 + ICH9, 2009)', product_version: 'pc-q35-7.2' }), hypervisor: 'QEMU/KVM', provider: null, source: 'test/fixtures/qemu-q35' },
  { name: 'VMware', files: dmi({ sys_vendor: 'VMware, Inc.', product_name: 'VMware Virtual Platform' }), hypervisor: 'VMware', provider: null, source: 'systemd virt.c "VMware"' },
  { name: 'VirtualBox', files: dmi({ sys_vendor: 'innotek GmbH', product_name: 'VirtualBox', board_vendor: 'Oracle Corporation', bios_vendor: 'innotek GmbH' }), hypervisor: 'VirtualBox', provider: null, source: 'systemd #21127' },
  { name: 'Hyper-V on premises', files: dmi({ sys_vendor: 'Microsoft Corporation', product_name: 'Virtual Machine', board_vendor: 'Microsoft Corporation', product_version: '7.0' }), hypervisor: 'Hyper-V', provider: null, source: 'systemd #21816' },
];

for (const p of PLATFORMS) {
  test(`DMI signature: ${p.name} (${p.source})`, (t) => {
    const root = tree({ 'proc/cpuinfo': CPU_GUEST, ...p.files });
    const { hv, errs } = run(root);
    t.deepEqual(errs, []);
    t.is(hv.provider, p.provider);
    t.is(hv.hypervisor, p.hypervisor);
    t.is(hv.virtualized, p.virtualized ?? true);
    t.true(hv.evidence.some((e) => e.startsWith('/sys/class/dmi/id/') || e.startsWith('product_uuid')), hv.evidence.join('\n'));
  });
}

test('a serial equal to the uuid but not starting ec2 is no AWS, nor is one that differs from the uuid', (t) => {
  let { hv } = run(tree({ 'proc/cpuinfo': CPU_GUEST, ...dmi({ product_serial: 'ab23aef5-54be', product_uuid: 'AB23AEF5-54BE' }) }));
  t.is(hv.provider, null);
  ({ hv } = run(tree({ 'proc/cpuinfo': CPU_GUEST, ...dmi({ product_serial: 'ec2aaaaa-0000', product_uuid: 'EC2BBBBB-0000' }) })));
  t.is(hv.provider, null);
});

test('Xen with /sys/hypervisor: an EC2 Xen instance by its ec2 uuid', (t) => {
  const { hv, errs } = run(path.join(FIXTURES, 'unit/xen-aws'));
  t.deepEqual(errs, []);
  t.is(hv.virtualized, true);
  t.is(hv.hypervisor, 'Xen');
  t.is(hv.provider, 'AWS');
  t.true(hv.evidence.includes('/sys/hypervisor/type "xen": Xen guest (/sys/hypervisor)'));
  t.true(hv.evidence.includes('/sys/hypervisor/uuid "ec2c6e2f-5fac-4fc7-9c82-74127ec14bbb": EC2 Xen instance'));
});

test('Xen elsewhere: a hypervisor uuid that does not start with ec2 names no provider', (t) => {
  const root = copy('unit/xen-aws');
  fs.writeFileSync(path.join(root, 'sys/hypervisor/uuid'), '5a3b0c1d-0000-4000-8000-000000000001\n');
  const { hv } = run(root);
  t.is(hv.hypervisor, 'Xen');
  t.is(hv.provider, null);
  t.true(hv.virtualized);
});

test('clocksources alone: kvm-clock outranks the Hyper-V TSC page that KVM also offers', (t) => {
  const cs = 'sys/devices/system/clocksource/clocksource0/available_clocksource';
  let { hv } = run(tree({ 'proc/cpuinfo': CPU_GUEST, [cs]: 'kvm-clock hyperv_clocksource_tsc_page tsc acpi_pm\n' }));
  t.is(hv.hypervisor, 'QEMU/KVM');
  ({ hv } = run(tree({ 'proc/cpuinfo': CPU_GUEST, [cs]: 'hyperv_clocksource_tsc_page tsc acpi_pm\n' })));
  t.is(hv.hypervisor, 'Hyper-V');
  // A strong signal beats any clocksource.
  ({ hv } = run(tree({ 'proc/cpuinfo': CPU_GUEST, [cs]: 'kvm-clock tsc\n', ...dmi({ sys_vendor: 'VMware, Inc.' }) })));
  t.is(hv.hypervisor, 'VMware');
});

test('bare metal: a real vendor and CPU flags without "hypervisor" -> not virtualized', (t) => {
  const { hv, errs } = run(tree({ 'proc/cpuinfo': CPU_METAL, ...dmi({ sys_vendor: 'Dell Inc.', product_name: 'PowerEdge R650', bios_vendor: 'Dell Inc.' }) }));
  t.deepEqual(errs, []);
  t.deepEqual([hv.virtualized, hv.hypervisor, hv.provider, hv.evidence], [false, null, null, []]);
});

test('a 128-CPU cpuinfo (far over the 64 KiB attribute cap) is still read', (t) => {
  const cpus = Array.from({ length: 128 }, (_, i) => `processor\t: ${i}\nmodel name\t: ${'x'.repeat(900)}\nflags\t\t: fpu tsc hypervisor\n\n`).join('');
  t.true(cpus.length > 64 * 1024);
  const { hv, errs } = run(tree({ 'proc/cpuinfo': cpus }));
  t.deepEqual(errs, []);
  t.true(hv.virtualized);
});

test('no cpuinfo and no signature: unknown (null), not false', (t) => {
  const { hv } = run(tree({ ...dmi({ sys_vendor: 'Dell Inc.' }) }));
  t.is(hv.virtualized, null);
  // An arm64 cpuinfo has no x86 flags line either.
  const arm = run(tree({ 'proc/cpuinfo': 'processor\t: 0\nFeatures\t: fp asimd evtstrm\n' })).hv;
  t.is(arm.virtualized, null);
});

const SMBIOS_BASE: SmbiosReport = emptySmbiosReport({ anchor: '_SM3_', version: '3.0.0', tableAddress: '0xbfed7000', tableLength: 512, structureCount: null });

test('SMBIOS fills in when /sys/class/dmi/id is missing: Proxmox from type 1, VirtualBox from OEM strings', (t) => {
  const system = { handle: 0x100, manufacturer: 'QEMU', productName: 'Standard PC (i440FX + PIIX, 1996)', version: 'pc-i440fx-8.1+pve0', serialNumber: null, uuid: null, wakeUpType: 'Power Switch', skuNumber: null, family: null };
  let { hv } = run(tree({ 'proc/cpuinfo': CPU_GUEST }), { ...SMBIOS_BASE, system });
  t.is(hv.hypervisor, 'Proxmox VE');
  t.true(hv.evidence.includes('SMBIOS type 1 version "pc-i440fx-8.1+pve0": Proxmox VE machine type (+pve suffix)'));

  ({ hv } = run(tree({ 'proc/cpuinfo': CPU_GUEST }), { ...SMBIOS_BASE, oemStrings: ['vboxVer_7.0.14', 'vboxRev_161095'] }));
  t.is(hv.hypervisor, 'VirtualBox');

  // sysfs wins over SMBIOS for the same field.
  ({ hv } = run(tree({ 'proc/cpuinfo': CPU_GUEST, ...dmi({ product_version: 'pc-q35-7.2' }) }), { ...SMBIOS_BASE, system }));
  t.is(hv.hypervisor, 'QEMU/KVM');
});

test('bad input: a directory for sys_vendor, binary product_name, a truncated ACPI table -> errors, the rest still decides', (t) => {
  const root = copy('qemu-q35');
  const vendor = path.join(root, 'sys/class/dmi/id/sys_vendor');
  fs.rmSync(vendor);
  fs.mkdirSync(vendor);
  fs.writeFileSync(path.join(root, 'sys/class/dmi/id/product_name'), Buffer.from([0x51, 0, 0x45]));
  const apic = path.join(root, 'sys/firmware/acpi/tables/APIC');
  fs.writeFileSync(apic, fs.readFileSync(apic).subarray(0, 10));
  const { hv, errs } = run(root);
  t.deepEqual(
    errs.map((e) => [e.path, e.code]),
    [
      ['/sys/class/dmi/id/sys_vendor', 'EIO'],
      ['/sys/class/dmi/id/product_name', 'MALFORMED'],
      ['/sys/firmware/acpi/tables/APIC', 'TRUNCATED'],
    ],
  );
  t.is(hv.hypervisor, 'QEMU/KVM');
  t.true(hv.virtualized);
  t.is(hv.acpiTables.length, 3);
});

test('parseAcpiHeader: fields at their offsets; short, unsigned or self-shortened headers fail', (t) => {
  const h = Buffer.alloc(ACPI_HEADER_LENGTH);
  h.write('DSDT', 0, 'latin1');
  h.writeUInt32LE(0x1234, 4);
  h.writeUInt8(2, 8);
  h.write('FIRECK', 10, 'latin1');
  h.write('FCVMDSDT', 16, 'latin1');
  h.writeUInt32LE(7, 24);
  h.write('FCAT', 28, 'latin1');
  h.writeUInt32LE(0x20240119, 32);
  const r = parseAcpiHeader('DSDT', h);
  t.deepEqual(r, {
    ok: true,
    value: { table: 'DSDT', signature: 'DSDT', length: 0x1234, revision: 2, oemId: 'FIRECK', oemTableId: 'FCVMDSDT', oemRevision: 7, creatorId: 'FCAT', creatorRevision: 0x20240119 },
  });
  t.like(parseAcpiHeader('X', h.subarray(0, 35)), { ok: false, error: { code: 'TRUNCATED' } });
  const bad = Buffer.from(h);
  bad.write('ds\u0000t', 0, 'latin1');
  t.like(parseAcpiHeader('X', bad), { ok: false, error: { code: 'MALFORMED', offset: 0 } });
  const short = Buffer.from(h);
  short.writeUInt32LE(20, 4);
  t.like(parseAcpiHeader('X', short), { ok: false, error: { code: 'MALFORMED', offset: 4 } });
  // Xen pads its OEM id with NULs.
  const xen = Buffer.from(h);
  xen.write('Xen\u0000\u0000\u0000', 10, 'latin1');
  t.like(parseAcpiHeader('X', xen), { ok: true, value: { oemId: 'Xen' } });
});

test('fuzz: parseAcpiHeader never throws and only returns printable ids', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const r = parseAcpiHeader('T', bytes);
      if (!r.ok) return ['TRUNCATED', 'MALFORMED'].includes(r.error.code);
      return [r.value.oemId, r.value.oemTableId, r.value.creatorId].every((s) => /^[\x20-\x7e]*$/.test(s)) && r.value.length >= ACPI_HEADER_LENGTH;
    }),
    { numRuns: 2000 },
  );
  // Headers that are valid except for random id bytes.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 26, maxLength: 26 }), (ids) => {
      const h = Buffer.alloc(ACPI_HEADER_LENGTH);
      h.write('APIC', 0, 'latin1');
      h.writeUInt32LE(100, 4);
      h.set(ids, 10);
      const r = parseAcpiHeader('APIC', h);
      return r.ok && /^[\x20-\x7e]{0,6}$/.test(r.value.oemId);
    }),
  );
  t.pass();
});
