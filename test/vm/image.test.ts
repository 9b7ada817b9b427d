// The preboot image on emulated hardware: every harness profile boots
// image/out (make image) with fortros.agent=report, and the report the agent
// prints between the console markers must find what the profile put there.
// Then the UKI boots through OVMF in run mode with its config from fw_cfg.

import test from 'ava';
import { existsSync } from 'node:fs';
import { imageKernel, imageUki, IMAGE_OUT } from '../../tools/qemu/boot.ts';
import { loadProfile, type Profile } from '../../tools/qemu/profile.ts';
import { startVm, type Vm } from '../../tools/qemu/vm.ts';
import type { Report } from '../../agent/probe/report.ts';
import { missing } from '../harness/env.ts';

const BEGIN = '-----BEGIN FORTROS REPORT-----';
const END = '-----END FORTROS REPORT-----';
// TCG on a 2-core machine shared with other tests: generous, but bounded.
const BOOT_MS = 240_000;

const why = missing('qemu-system-x86_64', 'swtpm') ?? (existsSync(`${IMAGE_OUT}/initramfs.img`) ? null : 'image/out/initramfs.img missing: run `make image` (make test does)');

async function withVm<T>(profile: Profile, boot: Parameters<typeof startVm>[1], fn: (vm: Vm) => Promise<T>): Promise<T> {
  const vm = await startVm(profile, boot);
  try {
    return await fn(vm);
  } finally {
    await vm.stop();
  }
}

/** Boots the profile in report mode and returns the report it printed; the VM must power off after it. */
async function bootReport(name: string): Promise<{ report: Report; console: string }> {
  return withVm(loadProfile(name), { boot: imageKernel('fortros.agent=report') }, async (vm) => {
    const m = await vm.waitForSerial(new RegExp(`${BEGIN}\\r?\\n(\\{.*\\})\\r?\\n${END}`), BOOT_MS);
    await vm.waitForExit(60_000);
    return { report: JSON.parse(m[1] as string) as Report, console: vm.serial.output() };
  });
}

const serial = why ? test.skip : test.serial;
if (why) console.log(`test/vm/image: skipped: ${why}`);

serial('amt-desktop: i6300ESB, TPM 2.0, the $AMT and vPro tables, QEMU as the hypervisor', async (t) => {
  t.timeout(BOOT_MS + 120_000);
  const { report: r, console: out } = await bootReport('amt-desktop');
  t.is(r.schema, 'fortros.oob.report/v1');
  t.is(r.watchdogs[0]?.identity, 'i6300ESB timer');
  t.true(r.tpm.present);
  t.is(r.tpm.devices[0]?.versionMajor, 2);
  t.truthy(r.smbios?.amt);
  t.true(r.smbios?.amt?.supported);
  t.true(r.smbios?.amt?.enabled);
  t.true(r.amt.present);
  t.truthy(r.smbios?.vpro?.meVersion);
  t.regex(r.hypervisor.hypervisor ?? '', /QEMU/);
  // A person watching the console sees the agent's steps.
  t.regex(out, /report done/);
});

serial('server-bmc: the BMC on KCS with /dev/ipmi0, the Redfish host interface matched to its NIC', async (t) => {
  t.timeout(BOOT_MS + 120_000);
  const { report: r } = await bootReport('server-bmc');
  t.true(r.bmc.present);
  t.deepEqual(r.bmc.devNodes, ['/dev/ipmi0']);
  t.is(r.bmc.smbiosInterfaces[0]?.interfaceType, 'KCS');
  t.true(r.redfish.present);
  t.truthy(r.redfish.hostInterfaces[0]?.hostNic, JSON.stringify(r.redfish.hostInterfaces));
  t.deepEqual(r.redfish.hostInterfaces[0]?.endpoints, ['https://169.254.95.118:443']);
  t.is(r.watchdogs[0]?.identity, 'i6300ESB timer');
  t.deepEqual(r.channels.slice(0, 2).map((c) => c.kind), ['ipmi', 'redfish']);
  // QEMU's ipmi-bmc-sim answered in band, through KCS and /dev/ipmi0.
  const live = r.bmc.inBand;
  if ('unavailable' in live) return t.fail(`bmc.inBand: ${live.unavailable}`);
  t.is(live.devicePath, '/dev/ipmi0');
  t.is(live.device?.ipmiVersion, '2.0');
  // No MEI in a QEMU guest: said, not guessed.
  t.regex('unavailable' in r.amt.inBand ? r.amt.inBand.unavailable : '', /MEI/);
});

serial('server-bmc-oob: the external ipmi_sim BMC is seen in-band on KCS', async (t) => {
  t.timeout(BOOT_MS + 120_000);
  const { report: r } = await bootReport('server-bmc-oob');
  t.true(r.bmc.present);
  t.truthy(r.bmc.smbiosInterfaces[0]);
  t.is(r.watchdogs[0]?.identity, 'i6300ESB timer');
  // ipmi_sim through ipmi-bmc-extern answers the same questions in band; its admin user is listed.
  const live = r.bmc.inBand;
  if ('unavailable' in live) return t.fail(`bmc.inBand: ${live.unavailable}`);
  t.true(live.users?.users.some((u) => u.name !== null && u.name.length > 0), JSON.stringify(live.users));
});

serial('vps: the provider from its DMI strings, no BMC, no watchdog device', async (t) => {
  t.timeout(BOOT_MS + 120_000);
  const { report: r } = await bootReport('vps');
  t.is(r.hypervisor.provider, 'DigitalOcean');
  t.false(r.bmc.present);
  t.true('unavailable' in r.bmc.inBand);
  t.false(r.tpm.present);
  t.is(r.channels[0]?.kind, 'vps');
});

serial('hap-disabled: the FWSTS table says the ME is disabled, so AMT is unusable', async (t) => {
  t.timeout(BOOT_MS + 120_000);
  const { report: r } = await bootReport('hap-disabled');
  t.is(r.mei.source, 'smbios-219');
  t.true(r.mei.disabled);
  const amt = r.channels.find((c) => c.kind === 'amt');
  t.true(amt === undefined || amt.verdict === 'unusable', JSON.stringify(amt));
});

serial('agent.efi through OVMF: the UKI runs the daemon with its config from fw_cfg', async (t) => {
  t.timeout(BOOT_MS + 120_000);
  if (!existsSync(`${IMAGE_OUT}/agent.efi`)) return t.fail('image/out/agent.efi missing');
  const base = loadProfile('vps');
  const profile: Profile = { ...base, fwCfg: [{ name: 'opt/fortros/config', string: '{"node":{"name":"uki-node"}}' }] };
  await withVm(profile, { boot: imageUki() }, async (vm) => {
    await vm.waitForSerial(/agent ready.*node=uki-node/, BOOT_MS);
    t.regex(vm.serial.output(), /config="?fw_cfg opt\/fortros\/config/);
  });
});

serial('run mode with the debug shell: the daemon takes fw_cfg config, and a test can act inside the guest', async (t) => {
  t.timeout(BOOT_MS + 120_000);
  const base = loadProfile('server-bmc');
  const profile: Profile = { ...base, fwCfg: [{ name: 'opt/fortros/config', string: '{"node":{"name":"shell-node"}}' }] };
  await withVm(profile, { boot: imageKernel('fortros.agent=run fortros.debug=shell') }, async (vm) => {
    await vm.waitForSerial(/agent ready.*node=shell-node.*systemd=true/, BOOT_MS);
    const mark = vm.serial.mark();
    // Arithmetic the shell must do, so the match cannot be the echo of what was typed.
    vm.sendSerial('echo "shell-$((6*7))"; cat /sys/class/watchdog/watchdog*/identity; ls /dev/ipmi0\n');
    await vm.waitForSerial(/shell-42/, 60_000, mark);
    const { input: out } = await vm.waitForSerial(/\/dev\/ipmi0\r?\n/, 60_000, mark);
    t.regex(out, /i6300ESB timer/);
  });
});
