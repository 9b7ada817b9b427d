// Two VMs on the harness's private network: each reaches the other and the
// namespace's host address, the host side reaches them from inside the
// namespace, and stopping the fleet removes the namespace. Needs root and
// /dev/net/tun; skips with the reason otherwise.

import { execFileSync } from 'node:child_process';
import test from 'ava';
import { startFleet } from '../../tools/qemu/fleet.ts';
import { harnessNamespaces, HOST_ADDRESS, Network, netUnavailable } from '../../tools/qemu/net.ts';
import { loadProfile } from '../../tools/qemu/profile.ts';
import { guestBoot, missing, testKernel } from './env.ts';

const skip = missing('qemu-system-x86_64', 'ip', 'setpriv') ?? netUnavailable();
const kernel = skip ? skip : testKernel();

// The address comes from the kernel command line; the peer's is the other one of the pair.
const SCRIPT = `
me=$(sed -n 's/.*fortros.test.ip=\\([0-9.]*\\).*/\\1/p' /proc/cmdline)
peer=$(sed -n 's/.*fortros.test.peer=\\([0-9.]*\\).*/\\1/p' /proc/cmdline)
ip link set eth0 up
ip addr add $me/24 dev eth0
echo "UP $me $(cat /sys/class/net/eth0/address)"
ping -c 1 -W 2 ${HOST_ADDRESS} >/dev/null && echo "HOST-OK"
i=0
while [ $i -lt 60 ]; do
	if ping -c 1 -W 1 $peer >/dev/null 2>&1; then echo "PEER-OK $peer"; break; fi
	i=$((i + 1))
done
exec sleep 3600
`;

if (typeof kernel === 'string') test(`fleet network (skipped: ${kernel})`, (t) => t.pass());
else {
  test.serial('a fleet of two on a namespaced bridge: VM to VM, VM to host, host to VM; torn down on stop', async (t) => {
    const started = Date.now();
    const fleet = await startFleet(loadProfile('vps'), 2, {
      network: true,
      boot: (i) => guestBoot(t, kernel, { modules: ['virtio_pci', 'virtio_net'], script: SCRIPT }, `fortros.test.ip=${Network.addressFor(i)} fortros.test.peer=${Network.addressFor(1 - i)}`),
    });
    t.teardown(() => fleet.stop());
    const ns = fleet.network?.ns;
    if (!ns) return t.fail(`no network: ${fleet.networkSkipped}`);
    t.true(harnessNamespaces().includes(ns));
    // Nothing of the fleet is on the host's own interfaces.
    t.false(execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' }).includes(HOST_ADDRESS));

    for (const [i, vm] of fleet.vms.entries()) {
      // Up to the line end: output arrives in chunks, and a pattern can match a line still being written.
      const up = await vm.waitForSerial(/^UP (\S+) (\S+)\r?\n/m, 120_000);
      t.is(up[1], Network.addressFor(i));
      t.is(up[2], vm.macs[0]);
    }
    for (const [i, vm] of fleet.vms.entries()) {
      await vm.waitForSerial(/HOST-OK/, 30_000);
      await vm.waitForSerial(new RegExp(`PEER-OK ${Network.addressFor(1 - i).replaceAll('.', '\\.')}`), 90_000);
    }
    // The guest's busybox also runs on the host: no ping package needed.
    const ping = execFileSync('ip', ['netns', 'exec', ns, kernel.busybox, 'ping', '-c', '1', '-W', '5', Network.addressFor(1)], { encoding: 'utf8' });
    t.regex(ping, /1 packets received/);
    t.log(`two VMs up and talking ${((Date.now() - started) / 1000).toFixed(1)} s after the start`);

    await fleet.stop();
    t.false(harnessNamespaces().includes(ns));
  });
}
