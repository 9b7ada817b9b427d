// The external BMC: ipmi_sim owns the VM, answers RMCP+ on a loopback port,
// and its chassis power commands act on the real QEMU process. ipmitool is the
// independent client; QMP and the serial console confirm what happened.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { startFleet } from '../../tools/qemu/fleet.ts';
import { HOST_ADDRESS, netUnavailable } from '../../tools/qemu/net.ts';
import { loadProfile } from '../../tools/qemu/profile.ts';
import { startVm, type BmcEndpoint } from '../../tools/qemu/vm.ts';
import { guestBoot, missing, processesMentioning, testKernel } from './env.ts';

const run = promisify(execFile);
const skip = missing('qemu-system-x86_64', 'ipmi_sim', 'ipmitool');
const kernel = skip ? skip : testKernel();

/**
 * ipmitool over RMCP+ (cipher suite 3), the password from the harness's file,
 * never on the command line; inside the BMC's namespace when it has one.
 */
async function ipmitoolAt(bmc: BmcEndpoint, host: string, ...args: string[]): Promise<string> {
  const argv = ['ipmitool', '-I', 'lanplus', '-C', '3', '-H', host, '-p', String(bmc.port), '-U', bmc.user, '-f', bmc.passwordFile, ...args];
  const [cmd, ...rest] = bmc.netns ? ['ip', 'netns', 'exec', bmc.netns, ...argv] : argv;
  const { stdout } = await run(cmd as string, rest, { timeout: 20_000 });
  return stdout.trim();
}

const ipmitool = (bmc: BmcEndpoint, ...args: string[]): Promise<string> => ipmitoolAt(bmc, bmc.host, ...args);

/** Retries while ipmi_sim is still coming up. */
async function powerStatus(bmc: BmcEndpoint, timeoutMs: number, host = bmc.host): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await ipmitoolAt(bmc, host, 'chassis', 'power', 'status');
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

const BOOT = /boot ([0-9a-f-]{36}) ipmi0=(yes|no)/g;
const SCRIPT = `
i=0
while [ $i -lt 20 ] && [ ! -e /dev/ipmi0 ]; do sleep 1; i=$((i + 1)); done
echo "boot $(cat /proc/sys/kernel/random/boot_id) ipmi0=$([ -e /dev/ipmi0 ] && echo yes || echo no)"
exec sleep 3600
`;

if (typeof kernel === 'string') test(`external BMC (skipped: ${kernel})`, (t) => t.pass());
else {
  test.serial('ipmi_sim powers the VM off, on and resets it; ipmitool and QMP agree', async (t) => {
    const vm = await startVm(loadProfile('server-bmc-oob'), { boot: guestBoot(t, kernel, { modules: ['ipmi_si', 'ipmi_devintf'], script: SCRIPT }) });
    t.teardown(() => vm.stop());
    const bmc = vm.bmc;
    if (!bmc) return t.fail('the profile has an external BMC but the VM has no endpoint');
    t.is(bmc.host, '127.0.0.1');

    // The guest talks to ipmi_sim through KCS too.
    await vm.waitForSerial(BOOT, 120_000);
    const first = [...vm.serial.output().matchAll(BOOT)];
    t.is(first[0]?.[2], 'yes');
    t.is(await powerStatus(bmc, 15_000), 'Chassis Power is on');
    const firstPid = vm.qemuPid();
    t.truthy(firstPid);

    let started = Date.now();
    const old = vm.qmp;
    const mark = old.mark();
    t.is(await ipmitool(bmc, 'chassis', 'power', 'off'), 'Chassis Power Control: Down/Off');
    const shutdown = await old.waitFor('SHUTDOWN', undefined, 20_000, mark);
    await vm.waitForExit(20_000);
    t.log(`power off: SHUTDOWN (${String(shutdown.data.reason)}) and QEMU gone ${Date.now() - started} ms after the command`);
    t.is(await ipmitool(bmc, 'chassis', 'power', 'status'), 'Chassis Power is off');

    started = Date.now();
    const serialMark = vm.serial.mark();
    t.is(await ipmitool(bmc, 'chassis', 'power', 'on'), 'Chassis Power Control: Up/On');
    const qmp = await vm.reconnectQmp(30_000);
    t.is((await qmp.status()).status, 'running');
    t.not(vm.qemuPid(), firstPid);
    t.is(await ipmitool(bmc, 'chassis', 'power', 'status'), 'Chassis Power is on');
    await vm.waitForSerial(BOOT, 120_000, serialMark);
    t.log(`power on: a new QEMU booted the guest ${Date.now() - started} ms after the command`);

    started = Date.now();
    const resetMark = qmp.mark();
    const beforeReset = vm.serial.mark();
    t.is(await ipmitool(bmc, 'chassis', 'power', 'reset'), 'Chassis Power Control: Reset');
    await qmp.waitFor('RESET', undefined, 20_000, resetMark);
    await vm.waitForSerial(BOOT, 120_000, beforeReset);
    t.log(`reset: RESET event and a new boot ${Date.now() - started} ms after the command`);

    const boots = [...vm.serial.output().matchAll(BOOT)].map((m) => m[1]);
    t.is(boots.length, 3);
    t.is(new Set(boots).size, 3);

    const dir = vm.dir;
    await vm.stop();
    t.deepEqual(processesMentioning(dir), []);
  });
}

const noNet = typeof kernel === 'string' ? kernel : netUnavailable();
if (noNet) test(`external BMC on a fleet network (skipped: ${noNet})`, (t) => t.pass());
else {
  test.serial('on a fleet network the BMC also answers on the bridge address VMs reach, and still powers the VM', async (t) => {
    if (typeof kernel === 'string') return;
    const fleet = await startFleet(loadProfile('server-bmc-oob'), 1, {
      network: true,
      boot: guestBoot(t, kernel, { modules: ['ipmi_si', 'ipmi_devintf', 'virtio_pci', 'virtio_net'], script: SCRIPT }),
    });
    t.teardown(() => fleet.stop());
    const vm = fleet.vms[0];
    const bmc = vm?.bmc;
    if (!vm || !bmc) return t.fail('no VM or no BMC');
    t.is(bmc.netns, fleet.network?.ns ?? 'none');
    t.deepEqual(bmc.extraAddresses, [HOST_ADDRESS]);
    await vm.waitForSerial(BOOT, 120_000);
    t.is(await powerStatus(bmc, 15_000, HOST_ADDRESS), 'Chassis Power is on');
    const mark = vm.qmp.mark();
    t.is(await ipmitoolAt(bmc, HOST_ADDRESS, 'chassis', 'power', 'off'), 'Chassis Power Control: Down/Off');
    await vm.qmp.waitFor('SHUTDOWN', undefined, 20_000, mark);
    await vm.waitForExit(20_000);
    t.is(await ipmitoolAt(bmc, HOST_ADDRESS, 'chassis', 'power', 'status'), 'Chassis Power is off');
  });
}
