// Boots Debian's kernel with a busybox initramfs on the profiles and checks,
// from inside the guest, that the profile's hardware is there: the SMBIOS
// table (decoded by the agent's own decoder), /dev/ipmi0, the i6300ESB
// watchdog, the TPM, the NIC the Redfish host interface names. Then the
// watchdog really resets the VM and QMP reports it.

import test from 'ava';
import { decodeSmbios } from '../../agent/probe/smbios/index.ts';
import { loadProfile, parseProfile } from '../../tools/qemu/profile.ts';
import { startVm } from '../../tools/qemu/vm.ts';
import { between, guestBoot, missing, testKernel } from './env.ts';

const MODULES = ['i6300esb', 'ipmi_si', 'ipmi_devintf', 'e1000', 'virtio_pci', 'virtio_net'];

// Prints what the assertions need between marker lines, then powers off.
const REPORT = `
i=0
while [ $i -lt 20 ] && [ ! -e /dev/tpm0 ]; do sleep 1; i=$((i + 1)); done
# Only a machine whose SMBIOS has an IPMI device record (type 38) gets /dev/ipmi0, and ipmi_si finds it asynchronously.
if [ -e /sys/firmware/dmi/entries/38-0 ]; then
	i=0
	while [ $i -lt 20 ] && [ ! -e /dev/ipmi0 ]; do sleep 1; i=$((i + 1)); done
fi
echo "-----BEGIN GUEST-----"
echo "watchdog=$(cat /sys/class/watchdog/watchdog0/identity 2>/dev/null)"
for d in ipmi0 tpm0 tpmrm0; do [ -e /dev/$d ] && echo "dev=$d"; done
for f in /sys/bus/pci/devices/*; do
	echo "pci=$(cat $f/vendor):$(cat $f/device):$(cat $f/subsystem_vendor):$(cat $f/subsystem_device):$(basename $(readlink $f/driver) 2>/dev/null)"
done
echo "-----END GUEST-----"
echo "-----BEGIN EP-----"
base64 /sys/firmware/dmi/tables/smbios_entry_point
echo "-----END EP-----"
echo "-----BEGIN DMI-----"
base64 /sys/firmware/dmi/tables/DMI
echo "-----END DMI-----"
poweroff -f
`;

const skip = missing('qemu-system-x86_64', 'swtpm');
const kernel = skip ? skip : testKernel();

interface Guest {
  lines: string[];
  smbios: ReturnType<typeof decodeSmbios>;
  seconds: number;
}

async function bootAndReport(t: import('ava').ExecutionContext, profileName: string): Promise<Guest> {
  if (typeof kernel === 'string') throw new Error(kernel);
  const started = Date.now();
  const vm = await startVm(loadProfile(profileName), { boot: guestBoot(t, kernel, { modules: MODULES, script: REPORT }) });
  t.teardown(() => vm.stop());
  const mark = vm.qmp.mark();
  await vm.waitForSerial(/-----END DMI-----/, 120_000);
  const shutdown = await vm.qmp.waitFor('SHUTDOWN', undefined, 30_000, mark);
  t.is(shutdown.data.reason, 'guest-shutdown');
  await vm.waitForExit(10_000);
  const seconds = (Date.now() - started) / 1000;
  t.log(`${profileName}: booted, reported and powered off in ${seconds.toFixed(1)} s`);
  const out = vm.serial.output();
  const b64 = (name: string): Buffer => Buffer.from(between(out, `-----BEGIN ${name}-----`, `-----END ${name}-----`).replace(/\s+/g, ''), 'base64');
  return { lines: between(out, '-----BEGIN GUEST-----', '-----END GUEST-----').split('\n'), smbios: decodeSmbios(b64('EP'), b64('DMI')), seconds };
}

if (typeof kernel === 'string') test(`VM boots (skipped: ${kernel})`, (t) => t.pass());
else {
  test.serial('server-bmc: KCS BMC (type 38 + /dev/ipmi0), Redfish host interface naming the e1000, i6300ESB, TPM', async (t) => {
    const g = await bootAndReport(t, 'server-bmc');
    t.true(g.lines.includes('watchdog=i6300ESB timer'));
    t.true(g.lines.includes('dev=ipmi0'));
    t.true(g.lines.includes('dev=tpm0'));
    if (!g.smbios.ok) return t.fail(g.smbios.error.message);
    const s = g.smbios.value.report;
    t.like(s.system, { manufacturer: 'Lenovo', productName: 'ThinkSystem SR650 -[7X06CTO1WW]-', serialNumber: 'J30ABCDE' });
    // QEMU writes type 38 for isa-ipmi-kcs itself.
    t.is(s.ipmi.length, 1);
    t.like(s.ipmi[0], { interfaceType: 'KCS' });
    const hi = s.redfishHostInterfaces[0];
    t.deepEqual(hi?.device, { type: 'PCI/PCIe', vendorId: 0x8086, deviceId: 0x100e, subsystemVendorId: 0x1af4, subsystemId: 0x1100 });
    // The descriptor's ids are those of a NIC the guest really has, bound to its driver.
    t.true(g.lines.includes('pci=0x8086:0x100e:0x1af4:0x1100:e1000'), g.lines.join('\n'));
    t.true(g.lines.some((l) => /^pci=0x1af4:0x1000:.*:virtio-pci$/.test(l)));
  });

  test.serial('amt-desktop: $AMT and vPro tables reach the guest intact, i6300ESB, TPM', async (t) => {
    const g = await bootAndReport(t, 'amt-desktop');
    t.true(g.lines.includes('watchdog=i6300ESB timer'));
    t.true(g.lines.includes('dev=tpm0'));
    t.false(g.lines.includes('dev=ipmi0'));
    if (!g.smbios.ok) return t.fail(g.smbios.error.message);
    const s = g.smbios.value.report;
    t.like(s.system, { manufacturer: 'Dell Inc.', productName: 'OptiPlex 7050', serialNumber: '7BK2D53', family: 'OptiPlex' });
    t.like(s.bios, { vendor: 'Dell Inc.', version: '1.13.5' });
    t.like(s.amt, { handle: 0xf022, signatureOk: true, supported: true, enabled: true, kvmEnabled: true });
    t.like(s.vpro, { handle: 0xf023, signatureOk: true, meVersion: '11.8.77.3664', mebxVersion: '11.0.0.10', vmxEnabled: true });
    t.deepEqual(s.ipmi, []);
  });

  test.serial('hap-disabled: the FWSTS table in the guest says the ME is disabled', async (t) => {
    const g = await bootAndReport(t, 'hap-disabled');
    if (!g.smbios.ok) return t.fail(g.smbios.error.message);
    const s = g.smbios.value.report;
    t.deepEqual(s.fwsts.map((f) => f.records.map((r) => [r.component, r.hfsts[0]])), [[['MEI1', 0x00032044]]]);
    t.like(s.amt, { supported: true, enabled: false });
  });

  test.serial('the i6300ESB watchdog expires: QMP WATCHDOG (reset) and RESET, and the guest boots again', async (t) => {
    if (typeof kernel === 'string') return;
    // busybox watchdog sets a 2 s timeout and feeds only every 600 s.
    const script = `echo "boot $(cat /proc/sys/kernel/random/boot_id)"\nwatchdog -T 2 -t 600 /dev/watchdog\necho armed\nexec sleep 600`;
    const vm = await startVm(loadProfile('amt-desktop'), { boot: guestBoot(t, kernel, { modules: ['i6300esb'], script }) });
    t.teardown(() => vm.stop());
    const mark = vm.qmp.mark();
    await vm.waitForSerial(/armed/, 120_000);
    const armedAt = Date.now();
    const wd = await vm.qmp.waitFor('WATCHDOG', undefined, 60_000, mark);
    t.is(wd.data.action, 'reset');
    await vm.qmp.waitFor('RESET', undefined, 10_000, mark);
    t.log(`watchdog fired ${((Date.now() - armedAt) / 1000).toFixed(1)} s after arming`);
    await vm.waitForSerial(/boot [0-9a-f-]{36}[\s\S]*boot [0-9a-f-]{36}/, 120_000);
    const boots = [...vm.serial.output().matchAll(/boot ([0-9a-f-]{36})/g)].map((m) => m[1]);
    t.not(boots[0], boots[1]);
  });
}

if (typeof kernel !== 'string') {
  test.serial('fw_cfg opt/fortros/config reaches the guest; sendSerial types into its shell', async (t) => {
    if (typeof kernel === 'string') return;
    const config = '{"policy":"ignore","peers":["10.213.0.11"]}';
    const profile = parseProfile({ name: 'fwcfg', fwCfg: [{ name: 'opt/fortros/config', string: config }] });
    const vm = await startVm(profile, { boot: guestBoot(t, kernel, { modules: ['qemu_fw_cfg'], script: 'echo SHELL-READY\nexec sh' }) });
    t.teardown(() => vm.stop());
    await vm.waitForSerial(/SHELL-READY\r?\n/, 120_000);
    const mark = vm.serial.mark();
    vm.sendSerial('echo "<$(cat /sys/firmware/qemu_fw_cfg/by_name/opt/fortros/config/raw)>"\n');
    const m = await vm.waitForSerial(/<(\{.*\})>\r?\n/, 20_000, mark);
    t.is(m[1], config);
  });

  test.serial('UEFI: OVMF boots the EFI binary from the per-VM ESP directory', async (t) => {
    if (typeof kernel === 'string') return;
    // Debian's kernel is an EFI-stub binary, so it stands in for the UKI until image/out/agent.efi exists.
    const started = Date.now();
    const vm = await startVm(loadProfile('vps'), { boot: { kind: 'uefi', efi: kernel.vmlinuz } });
    t.teardown(() => vm.stop());
    await vm.waitForSerial(/BdsDxe: starting Boot\d+ "UEFI QEMU HARDDISK[^\r\n]*\r?\n/, 120_000);
    t.log(`OVMF started BOOTX64.EFI ${((Date.now() - started) / 1000).toFixed(1)} s after QEMU`);
    t.is((await vm.qmp.status()).status, 'running');
  });
}
