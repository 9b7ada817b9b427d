// The round trip: the preboot image (image/out, `make image`) boots
// with ipmi_sim as its BMC (profile server-bmc-oob: the guest's KCS reaches
// ipmi_sim through ipmi-bmc-extern, and ipmi_sim serves RMCP+ on a loopback
// port). In the guest's debug shell the agent provisions a user in band over
// /dev/ipmi0; on the host ipmitool logs in over LAN as that user and reads the
// chassis power. The password travels host -> guest as fw_cfg, never on the
// serial console or a command line. `agent bmc info --json` in the guest is
// checked against what ipmitool reads over LAN, and `agent bmc set-lan` and
// `agent bmc harden` against `ipmitool lan print`.
//
// ipmi_sim (openipmi 2.0.33, lanserv/bmc_app.c) takes Set User Name, Set User
// Access and Set User Password, but stores only the first 16 bytes of a
// 20-byte password and "tests" any password as right; so the password here
// is 16 bytes, the form every BMC takes. It has no Get Self Test Results.

import test from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BmcInfo } from '../../agent/ipmi/bmc-info.ts';
import type { HardenResult } from '../../agent/ipmi/harden.ts';
import { imageKernel, IMAGE_OUT } from '../../tools/qemu/boot.ts';
import { loadProfile, type Profile } from '../../tools/qemu/profile.ts';
import { startVm, type BmcEndpoint } from '../../tools/qemu/vm.ts';
import { missing } from '../harness/env.ts';
import { field, userList } from '../ipmi/ipmitool-text.ts';
import { guest } from '../helpers/guest-shell.ts';

const run = promisify(execFile);
const BOOT_MS = 200_000;
const FW_CFG_NAME = 'opt/fortros/bmc-password';
const why = missing('qemu-system-x86_64', 'ipmi_sim', 'ipmitool') ?? (existsSync(`${IMAGE_OUT}/initramfs.img`) ? null : 'image/out/initramfs.img missing: run `make image` (make test does)');
if (why) console.log(`test/vm/bmc-inband: skipped: ${why}`);
const serial = why ? test.skip : test.serial;

async function ipmitool(bmc: BmcEndpoint, user: string, passwordFile: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', bmc.host, '-p', String(bmc.port), '-U', user, '-f', passwordFile, '-N', '2', '-R', '3', ...args], { timeout: 30_000 });
  return stdout;
}

serial('server-bmc-oob: agent bmc add-user over /dev/ipmi0, then ipmitool logs in over LAN as the new user', async (t) => {
  t.timeout(BOOT_MS + 100_000);
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'bmc-inband-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const password = randomBytes(12).toString('base64url'); // 16 characters
  const pwFile = join(dir, 'password');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  const base = loadProfile('server-bmc-oob');
  const profile: Profile = {
    ...base,
    fwCfg: [
      { name: 'opt/fortros/config', string: '{"node":{"name":"bmc-node"}}' },
      { name: FW_CFG_NAME, file: pwFile },
    ],
  };
  const vm = await startVm(profile, { boot: imageKernel('fortros.agent=run fortros.debug=shell') });
  t.teardown(() => vm.stop());
  const bmc = vm.bmc;
  if (!bmc) return t.fail('the profile has an external BMC but the VM has no endpoint');
  await vm.waitForSerial(/agent ready.*node=bmc-node/, BOOT_MS);
  t.log(`booted in ${Date.now() - started} ms`);

  // Kernel messages would interleave with the JSON on the console.
  const pre = await guest(vm, 'PRE', 'dmesg -n 1; ls /dev/ipmi0');
  t.is(pre.out.trim(), '/dev/ipmi0');

  const add = await guest(vm, 'ADD', `agent bmc add-user --name fortros-oob --password-file /sys/firmware/qemu_fw_cfg/by_name/${FW_CFG_NAME}/raw`);
  t.is(add.rc, 0, add.out);
  const slot = Number(/added fortros-oob in slot (\d+) \(LAN channel 1\)/.exec(add.out)?.[1]);
  t.true(slot >= 2, add.out);
  t.regex(add.out, /done\s+test password/);
  t.log(`add-user in band: slot ${slot}`);

  // The round trip: the new user logs in over LAN and reads the chassis.
  t.is((await ipmitool(bmc, 'fortros-oob', pwFile, '-L', 'OPERATOR', 'chassis', 'power', 'status')).trim(), 'Chassis Power is on');

  const info = await guest(vm, 'INFO', 'agent bmc info --json');
  t.is(info.rc, 0, info.out);
  const i = JSON.parse(info.out.trim()) as BmcInfo;
  const mc = await ipmitool(bmc, bmc.user, bmc.passwordFile, 'mc', 'info');
  t.is(i.device?.deviceId, Number(field(mc, 'Device ID')));
  t.is(i.device?.firmware, field(mc, 'Firmware Revision'));
  t.is(i.device?.manufacturer, Number(field(mc, 'Manufacturer ID')));
  t.deepEqual(i.channels.filter((c) => c.lan).map((c) => c.channel), [1]);
  // Channel 15 is where the guest's requests arrive; ipmi_sim's serial "VM" codec calls its medium RS-232 (serial_ipmi.c).
  t.is(i.channels.find((c) => c.channel === 15)?.medium, 'RS-232');
  const mine = i.users?.users.find((u) => u.id === slot);
  t.is(mine?.name, 'fortros-oob');
  t.like(mine?.access[0], { channel: 1, privilege: 3, messaging: true });
  const list = userList(await ipmitool(bmc, bmc.user, bmc.passwordFile, 'user', 'list', '1'));
  t.deepEqual(list.get(slot), { name: 'fortros-oob', msg: 'true', priv: 'OPERATOR' });
  t.is(list.get(2)?.name, bmc.user);
  t.is(i.users?.users.find((u) => u.name === bmc.user)?.id, 2);
  const lanPrint = await ipmitool(bmc, bmc.user, bmc.passwordFile, 'lan', 'print', '1');
  t.is(i.lan[0]?.cipherSuites?.map((c) => c.suite).join(','), field(lanPrint, 'RMCP\\+ Cipher Suites'));

  // ipmi_sim keeps the address as configuration (no lan_config_program): it still listens where it did.
  const lanSet = await guest(vm, 'SETLAN', 'agent bmc set-lan --ip 192.0.2.10 --netmask 255.255.255.0 --gateway 192.0.2.1');
  t.is(lanSet.rc, 0, lanSet.out);
  const lanNow = await ipmitool(bmc, bmc.user, bmc.passwordFile, 'lan', 'print', '1');
  t.deepEqual(['IP Address Source', 'IP Address', 'Subnet Mask', 'Default Gateway IP'].map((f) => field(lanNow, f)), ['Static Address', '192.0.2.10', '255.255.255.0', '192.0.2.1']);

  const h = await guest(vm, 'HARDEN', 'agent bmc harden --json');
  const hr = JSON.parse(h.out.trim()) as HardenResult;
  t.is(h.rc, hr.ok ? 0 : 1);
  t.deepEqual(
    hr.steps.map((s) => [s.step.replace(/: suites .*/, ''), s.outcome]),
    [
      ['nameless users', 'not-applicable'],
      ['channel 1: cipher suites other than 17, 3 unused', 'done'],
    ],
  );
  // ipmi_sim applies parameter 24 by requested privilege rather than by entry, so
  // after this only admin sessions open there; ipmitool's default is admin.
  t.is(field(await ipmitool(bmc, bmc.user, bmc.passwordFile, 'lan', 'print', '1'), 'Cipher Suite Priv Max'), 'XXaXXXXXXXXXXXX');

  t.false(vm.serial.output().includes(password), 'the password reached the serial console');
  t.log(`whole round trip ${Date.now() - started} ms`);
});

serial('vps (no BMC): agent bmc exits 3 with one line', async (t) => {
  t.timeout(BOOT_MS + 60_000);
  const base = loadProfile('vps');
  const profile: Profile = { ...base, fwCfg: [{ name: 'opt/fortros/config', string: '{"node":{"name":"no-bmc"}}' }] };
  const vm = await startVm(profile, { boot: imageKernel('fortros.agent=run fortros.debug=shell') });
  t.teardown(() => vm.stop());
  await vm.waitForSerial(/agent ready.*node=no-bmc/, BOOT_MS);
  await guest(vm, 'PRE', 'dmesg -n 1');
  const r = await guest(vm, 'NOBMC', 'agent bmc info 2>&1');
  t.is(r.rc, 3);
  t.regex(r.out, /^agent bmc: no BMC on this machine: no BMC device \(\/dev\/ipmi0, \/dev\/ipmi\/0, \/dev\/ipmidev\/0 absent: is ipmi_devintf loaded\?\)\n$/);
});
