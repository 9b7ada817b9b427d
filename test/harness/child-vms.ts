// A harness process for the reaping test: starts a VM with swtpm, a VM under
// ipmi_sim, and (as root) a network namespace, prints where they live, then
// dies the way argv[2] says once the test writes a line to its stdin. Run by reaper.test.ts, not by ava directly.
//
//   node --import tsx test/harness/child-vms.ts throw|exit|wait KERNEL INITRD

import { Network, netUnavailable } from '../../tools/qemu/net.ts';
import { loadProfile } from '../../tools/qemu/profile.ts';
import { startVm } from '../../tools/qemu/vm.ts';

const [mode, kernel, initrd] = process.argv.slice(2);
if (!mode || !kernel || !initrd) {
  process.stderr.write('usage: child-vms.ts throw|exit|wait KERNEL INITRD\n');
  process.exit(2);
}
const boot = { kind: 'kernel' as const, kernel, initrd };
const network = netUnavailable() === null ? Network.create() : undefined;
const withTpm = await startVm(loadProfile('amt-desktop'), network ? { boot, network } : { boot });
const underBmc = await startVm(loadProfile('server-bmc-oob'), { boot, index: 1 });
const pids = [withTpm.qemuPid(), underBmc.qemuPid()];
process.stdout.write(`${JSON.stringify({ dirs: [withTpm.dir, underBmc.dir], ns: network?.ns ?? null, pids })}\n`);

// Fails when the test writes a line (after it has seen the VMs running); in "wait" mode the test sends a signal instead.
process.stdin.once('data', () => {
  if (mode === 'throw') throw new Error('deliberate failure with VMs running');
  if (mode === 'exit') process.exit(3);
});
