// Profiles and the QEMU command lines they produce, without starting QEMU.

import test from 'ava';
import { loadProfile, parseProfile, profileNames, type Profile } from '../../tools/qemu/profile.ts';
import { qemuArgs, type NicBackend, type VmPaths } from '../../tools/qemu/qemu-args.ts';
import { ProfileError } from '../../tools/qemu/json-check.ts';
import { smbiosFileBytes } from '../../tools/qemu/smbios-entries.ts';
import { macFor } from '../../tools/qemu/vm.ts';

function paths(p: Profile, over: Partial<VmPaths> = {}): VmPaths {
  return {
    qmpSocket: '/run/t/qmp.sock',
    serialSocket: '/run/t/serial.sock',
    smbiosFiles: p.smbios.map((_, i) => `/run/t/smbios-${i}.bin`),
    fwCfgFiles: p.fwCfg.map((_, i) => `/run/t/fwcfg-${i}`),
    tpmSocket: p.tpm ? '/run/t/swtpm.sock' : null,
    ipmiPort: p.bmc?.kind === 'external' ? 9002 : null,
    nics: p.nics.map((_, k): NicBackend => ({ kind: 'tap', ifname: `tap0n${k}`, mac: macFor(0, k) })),
    boot: { kind: 'kernel', kernel: '/k/vmlinuz', initrd: '/k/initrd', append: 'console=ttyS0' },
    ...over,
  };
}

/** Every value given to `flag`, in order. */
const values = (argv: string[], flag: string): string[] => argv.flatMap((a, i) => (a === flag ? [argv[i + 1] as string] : []));

const BASE = ['-machine', 'q35', '-accel', 'tcg', '-smp', '1', '-display', 'none'];

test('every profile in tools/qemu/profiles loads', (t) => {
  t.deepEqual(profileNames(), ['amt-desktop', 'hap-disabled', 'server-bmc', 'server-bmc-oob', 'vps']);
  for (const name of profileNames()) t.is(loadProfile(name).name, name);
});

test('amt-desktop: i6300esb resetting, swtpm TPM, $AMT + vPro blobs, Dell identity, one e1000 on a tap', (t) => {
  const p = loadProfile('amt-desktop');
  const a = qemuArgs(p, paths(p));
  for (let i = 0; i < BASE.length; i += 2) t.is(a[a.indexOf(BASE[i] as string) + 1], BASE[i + 1]);
  t.is(a[a.indexOf('-m') + 1], '512');
  t.true(a.includes('-nodefaults'));
  t.deepEqual(values(a, '-device'), ['virtio-rng-pci', 'i6300esb', 'tpm-tis,tpmdev=tpm0', 'e1000,netdev=n0,mac=52:54:00:f0:00:00']);
  t.deepEqual(values(a, '-action'), ['watchdog=reset']);
  t.deepEqual(values(a, '-tpmdev'), ['emulator,id=tpm0,chardev=chrtpm']);
  t.true(values(a, '-chardev').includes('socket,id=chrtpm,path=/run/t/swtpm.sock'));
  t.deepEqual(values(a, '-smbios'), [
    'type=0,vendor=Dell Inc.,version=1.13.5,date=06/16/2020',
    'type=1,manufacturer=Dell Inc.,product=OptiPlex 7050,serial=7BK2D53,sku=07A1,family=OptiPlex',
    'type=3,manufacturer=Dell Inc.,serial=7BK2D53',
    'file=/run/t/smbios-0.bin',
    'file=/run/t/smbios-1.bin',
  ]);
  t.deepEqual(values(a, '-netdev'), ['tap,id=n0,ifname=tap0n0,script=no,downscript=no']);
  t.deepEqual(p.smbios.map((e) => smbiosFileBytes(e)[0]), [130, 131]);
  t.deepEqual(values(a, '-qmp'), ['unix:/run/t/qmp.sock,server=on,wait=off']);
  t.deepEqual(values(a, '-serial'), ['chardev:ser0']);
  t.deepEqual(values(a, '-append'), ['console=ttyS0']);
});

test('server-bmc: in-band BMC on KCS, a type 42 naming the e1000 the profile also has', (t) => {
  const p = loadProfile('server-bmc');
  const a = qemuArgs(p, paths(p));
  t.deepEqual(values(a, '-device'), ['virtio-rng-pci', 
    'i6300esb',
    'tpm-tis,tpmdev=tpm0',
    'ipmi-bmc-sim,id=bmc0',
    'isa-ipmi-kcs,bmc=bmc0',
    'virtio-net-pci,netdev=n0,mac=52:54:00:f0:00:00',
    'e1000,netdev=n1,mac=52:54:00:f1:00:00',
  ]);
  const hi = p.smbios[0];
  t.is(hi?.kind, 'redfish-host-interface');
  // QEMU's e1000: 8086:100e with QEMU's subsystem ids 1af4:1100 (see test/fixtures/qemu-q35, 0000:00:03.0).
  t.deepEqual(hi?.kind === 'redfish-host-interface' ? hi.nic : null, { vendorId: 0x8086, deviceId: 0x100e, subsystemVendorId: 0x1af4, subsystemId: 0x1100 });
  t.is(smbiosFileBytes(hi!)[0], 42);
});

test('server-bmc-oob: ipmi-bmc-extern over a reconnecting chardev to ipmi_sim, no TPM', (t) => {
  const p = loadProfile('server-bmc-oob');
  const a = qemuArgs(p, paths(p));
  t.deepEqual(p.bmc, { kind: 'external', user: 'fortros-test' });
  t.true(values(a, '-chardev').includes('socket,id=ipmi0,host=127.0.0.1,port=9002,reconnect=10'));
  t.deepEqual(values(a, '-device'), ['virtio-rng-pci', 'i6300esb', 'ipmi-bmc-extern,chardev=ipmi0,id=bmc0', 'isa-ipmi-kcs,bmc=bmc0', 'virtio-net-pci,netdev=n0,mac=52:54:00:f0:00:00']);
  t.deepEqual(values(a, '-tpmdev'), []);
  t.throws(() => qemuArgs(p, paths(p, { ipmiPort: null })), { message: /ipmi_sim port/ });
});

test('vps: DigitalOcean DMI strings, no BMC, no watchdog, no TPM', (t) => {
  const p = loadProfile('vps');
  const a = qemuArgs(p, paths(p));
  t.deepEqual(values(a, '-device'), ['virtio-rng-pci', 'virtio-net-pci,netdev=n0,mac=52:54:00:f0:00:00']);
  t.deepEqual(values(a, '-action'), []);
  t.deepEqual(values(a, '-smbios'), [
    'type=0,vendor=DigitalOcean,version=20171212,date=12/12/2017',
    'type=1,manufacturer=DigitalOcean,product=Droplet,version=20171212,serial=411922099,uuid=fb65f41c-ec24-4539-beaf-f941903bdb2c,family=DigitalOcean_Droplet',
    'type=3,manufacturer=QEMU,version=pc-i440fx-6.1',
  ]);
});

test('hap-disabled: FWSTS says disabled (HFSTS1 0x00032044) beside an $AMT that says supported', (t) => {
  const p = loadProfile('hap-disabled');
  const fw = p.smbios.find((e) => e.kind === 'fwsts');
  const amt = p.smbios.find((e) => e.kind === 'amt');
  t.deepEqual(fw?.kind === 'fwsts' ? fw.records : null, [{ component: 1, hfsts: [0x00032044, 0, 0, 0, 0, 0] }]);
  const h = 0x00032044;
  // Working state, operation state, error code, operation mode as agent/probe/hfsts.ts reads them.
  t.deepEqual([h & 0xf, (h >> 6) & 7, (h >> 12) & 0xf, (h >> 16) & 0xf], [4, 1, 2, 3]);
  t.like(amt, { supported: true, enabled: false });
  t.deepEqual(values(qemuArgs(p, paths(p)), '-smbios').slice(-2), ['file=/run/t/smbios-0.bin', 'file=/run/t/smbios-1.bin']);
});

test('UEFI boot: OVMF code read-only, a private vars copy, the ESP directory as a FAT disk; no -kernel', (t) => {
  const p = loadProfile('vps');
  const a = qemuArgs(p, paths(p, { boot: { kind: 'uefi', code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/run/t/vars.fd', espDir: '/run/t/esp' } }));
  t.deepEqual(values(a, '-drive'), [
    'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
    'if=pflash,format=raw,unit=1,file=/run/t/vars.fd',
    'file=fat:rw:/run/t/esp,format=raw,if=ide',
  ]);
  t.deepEqual(values(a, '-kernel'), []);
});

test('fw_cfg entries, user-mode NICs without a network, commas escaped in values', (t) => {
  const p = parseProfile({
    name: 'x',
    fwCfg: [{ name: 'opt/fortros/config', string: '{"a":1}' }],
    smbiosFields: { type1: { product: 'A,B' } },
    nics: [{ model: 'e1000', mac: '52:54:00:12:34:56' }],
  });
  const a = qemuArgs(p, paths(p, { nics: [{ kind: 'user', mac: '52:54:00:12:34:56' }] }));
  t.deepEqual(values(a, '-fw_cfg'), ['name=opt/fortros/config,file=/run/t/fwcfg-0']);
  t.deepEqual(values(a, '-smbios'), ['type=1,product=A,,B']);
  t.deepEqual(values(a, '-netdev'), ['user,id=n0,restrict=on']);
  t.deepEqual(values(a, '-device'), ['virtio-rng-pci', 'e1000,netdev=n0,mac=52:54:00:12:34:56']);
});

test('profile mistakes fail at load time with the path of the field', (t) => {
  const bad: [unknown, RegExp][] = [
    [{ name: 'x', watchdgo: true }, /profile\.watchdgo: unknown field/],
    [{ name: 'x', bmc: { kind: 'idrac' } }, /profile\.bmc\.kind: "idrac"/],
    [{ name: 'x', smbiosFields: { type1: { vendor: 'x' } } }, /type1\.vendor: unknown field/],
    [{ name: 'x', fwCfg: [{ name: 'etc/x', string: '' }] }, /must start with opt\//],
    [{ name: 'x', smbios: [{ kind: 'vpro', handle: '0xF000', cpuCapabilities: 0, mebxVersion: '1.2', meVersion: '1.2.3.4' }] }, /mebxVersion/],
    [{ name: 'x', smbios: [{ kind: 'amt', handle: 1, supported: true, enabled: true, ider: true, sol: true, network: true, kvm: true }] }, /handle: 1 is outside/],
    [{ name: 'x', nics: [{ model: 'rtl8139' }] }, /model/],
    [{ name: 'x', bmc: { kind: 'external', user: 'a user name far too long' } }, /IPMI user name/],
  ];
  for (const [json, re] of bad) t.throws(() => parseProfile(json), { instanceOf: ProfileError, message: re });
});

test('MACs differ per VM and per NIC and are locally administered', (t) => {
  t.is(macFor(0, 0), '52:54:00:f0:00:00');
  t.is(macFor(300, 1), '52:54:00:f1:01:2c');
  t.not(macFor(1, 0), macFor(0, 1));
});
