// The QEMU command line for a profile: pure, so every profile's hardware can be
// checked without starting anything. Where files and sockets live is the
// caller's business (VmPaths); this only decides which devices and options.

import type { Profile } from './profile.ts';

export type BootSource =
  | { kind: 'kernel'; kernel: string; initrd?: string; append: string }
  /** The UKI through OVMF: `espDir` holds EFI/BOOT/BOOTX64.EFI; `vars` is this VM's own copy of the variable store. */
  | { kind: 'uefi'; code: string; vars: string; espDir: string };

export type NicBackend =
  /** A tap inside the harness's network namespace. */
  | { kind: 'tap'; ifname: string; mac: string }
  /** No network: the link is up in the guest, nothing is reachable (restrict=on). */
  | { kind: 'user'; mac: string };

export interface VmPaths {
  qmpSocket: string;
  /** A unix socket the harness listens on; QEMU connects to it as the first serial port. */
  serialSocket: string;
  /** One `-smbios file=` blob per profile structure, in profile order. */
  smbiosFiles: readonly string[];
  /** Host file per fw_cfg entry, in profile order. */
  fwCfgFiles: readonly string[];
  /** swtpm's control socket; needed when the profile has a TPM. */
  tpmSocket: string | null;
  /** ipmi_sim's VM-codec TCP port on 127.0.0.1; needed for an external BMC. */
  ipmiPort: number | null;
  /** One backend per profile NIC. */
  nics: readonly NicBackend[];
  boot: BootSource;
  pidFile?: string;
}

/** QEMU option values escape a comma by doubling it. */
export const optValue = (s: string): string => s.replaceAll(',', ',,');

export function qemuArgs(p: Profile, paths: VmPaths): string[] {
  if (paths.smbiosFiles.length !== p.smbios.length) throw new Error(`${p.name}: ${p.smbios.length} SMBIOS structures but ${paths.smbiosFiles.length} files`);
  if (paths.fwCfgFiles.length !== p.fwCfg.length) throw new Error(`${p.name}: ${p.fwCfg.length} fw_cfg entries but ${paths.fwCfgFiles.length} files`);
  if (paths.nics.length !== p.nics.length) throw new Error(`${p.name}: ${p.nics.length} NICs but ${paths.nics.length} backends`);
  const a: string[] = [
    '-name', optValue(p.name),
    '-machine', p.machine,
    // No KVM where the tests run, and TCG behaves the same everywhere.
    '-accel', 'tcg',
    '-m', String(p.memoryMiB),
    '-smp', '1',
    // Only the devices the profile lists: no default NIC (and its option ROM), VGA or monitor.
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    '-qmp', `unix:${optValue(paths.qmpSocket)},server=on,wait=off`,
    '-chardev', `socket,id=ser0,path=${optValue(paths.serialSocket)}`,
    '-serial', 'chardev:ser0',
  ];
  if (paths.pidFile) a.push('-pidfile', paths.pidFile);
  // Real nodes seed the kernel's RNG from RDRAND or a TPM at once; TCG's CPU has no
  // RDRAND, and Node blocks in getrandom() until the pool is seeded (~1.1 s per boot).
  a.push('-device', 'virtio-rng-pci');

  if (p.watchdog) a.push('-device', 'i6300esb', '-action', 'watchdog=reset');
  if (p.tpm) {
    if (!paths.tpmSocket) throw new Error(`${p.name}: the profile has a TPM but no swtpm socket was given`);
    a.push(
      '-chardev', `socket,id=chrtpm,path=${optValue(paths.tpmSocket)}`,
      '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm',
      '-device', 'tpm-tis,tpmdev=tpm0',
    );
  }
  if (p.bmc?.kind === 'inband') a.push('-device', 'ipmi-bmc-sim,id=bmc0', '-device', 'isa-ipmi-kcs,bmc=bmc0');
  if (p.bmc?.kind === 'external') {
    if (paths.ipmiPort === null) throw new Error(`${p.name}: the profile has an external BMC but no ipmi_sim port was given`);
    a.push(
      // reconnect: ipmi_sim may come up after QEMU, and survives a QEMU restart.
      '-chardev', `socket,id=ipmi0,host=127.0.0.1,port=${paths.ipmiPort},reconnect=10`,
      '-device', 'ipmi-bmc-extern,chardev=ipmi0,id=bmc0',
      '-device', 'isa-ipmi-kcs,bmc=bmc0',
    );
  }

  for (const [type, fields] of Object.entries(p.smbiosFields)) {
    const kv = Object.entries(fields).map(([k, v]) => `${k}=${optValue(v)}`);
    if (kv.length > 0) a.push('-smbios', [`type=${type.slice(4)}`, ...kv].join(','));
  }
  for (const f of paths.smbiosFiles) a.push('-smbios', `file=${optValue(f)}`);
  p.fwCfg.forEach((e, i) => a.push('-fw_cfg', `name=${e.name},file=${optValue(paths.fwCfgFiles[i] as string)}`));

  p.nics.forEach((nic, i) => {
    const b = paths.nics[i] as NicBackend;
    const id = `n${i}`;
    a.push('-netdev', b.kind === 'tap' ? `tap,id=${id},ifname=${b.ifname},script=no,downscript=no` : `user,id=${id},restrict=on`);
    a.push('-device', `${nic.model},netdev=${id},mac=${b.mac}`);
  });

  const boot = paths.boot;
  if (boot.kind === 'kernel') {
    a.push('-kernel', boot.kernel);
    if (boot.initrd) a.push('-initrd', boot.initrd);
    const append = [p.append, boot.append].filter((s) => s.length > 0).join(' ');
    if (append) a.push('-append', append);
  } else {
    a.push(
      '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${optValue(boot.code)}`,
      '-drive', `if=pflash,format=raw,unit=1,file=${optValue(boot.vars)}`,
      // vvfat presents the directory as the ESP; OVMF boots EFI/BOOT/BOOTX64.EFI from it.
      '-drive', `file=fat:rw:${optValue(boot.espDir)},format=raw,if=ide`,
    );
  }
  return a;
}
