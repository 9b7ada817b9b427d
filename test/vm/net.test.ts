// The preboot image on a harness fleet network, as the end-to-end healing demo
// needs it: fortros.ip= on the kernel command line gives the guest its address
// (fortros-net.service) and fw_cfg opt/fortros/id/* gives it the node identity
// an enrolled node has (fortros-identity.service, the harness standing in for
// what a real preboot unseals from the TPM). The daemon's config names both:
// gossip binds the address and loads the identity, so "agent ready" after
// "gossip started" proves the two units ran before the agent. The host pings
// the guest inside the namespace and reads the staged files through the debug
// shell, and an agent on the host side of the bridge (10.213.0.1, inside the
// namespace) sees the guest alive: the end-to-end demo's path. A malformed
// fortros.ip= fails only its own unit: the console names the value and the agent
// still starts.

import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { enroll, initOrg, loadOrg, NODE_FILES } from '../../agent/identity/store.ts';
import { imageKernel, IMAGE_OUT } from '../../tools/qemu/boot.ts';
import { HOST_ADDRESS, Network, netUnavailable } from '../../tools/qemu/net.ts';
import { loadProfile, type Profile } from '../../tools/qemu/profile.ts';
import { spawnTracked } from '../../tools/qemu/reaper.ts';
import { startVm } from '../../tools/qemu/vm.ts';
import { missing } from '../harness/env.ts';
import { guest, must } from '../helpers/guest-shell.ts';

const run = promisify(execFile);
// TCG on a 2-core machine: the vps profile reaches "agent ready" in 10-15 s.
const BOOT_MS = 90_000;
const ID_DIR = '/run/fortros/identity';
// The host-side peer runs the executable the image was built from, so both ends speak the same wire format.
const AGENT = join(IMAGE_OUT, '../../dist/agent');
const why =
  missing('qemu-system-x86_64', 'busybox') ??
  netUnavailable() ??
  (existsSync(`${IMAGE_OUT}/initramfs.img`) ? null : 'image/out/initramfs.img missing: run `make image` (make test does)') ??
  (existsSync(AGENT) ? null : 'dist/agent missing: run `make build`');
if (why) console.log(`test/vm/net: skipped: ${why}`);
const serial = why ? test.skip : test.serial;

serial('fortros.ip= puts the guest on the fleet network and fw_cfg identity lands in /run/fortros/identity before the agent', async (t) => {
  t.timeout(BOOT_MS + 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'net-vm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const orgDir = join(dir, 'org');
  must(initOrg(orgDir));
  const org = must(loadOrg(orgDir));
  const idDir = join(dir, 'identity');
  must(enroll(org, 'x', idDir, Math.floor(Date.now() / 1000) - 60, 86_400));
  const idFiles = Object.values(NODE_FILES).filter((f) => existsSync(join(idDir, f)));
  t.true(idFiles.includes(NODE_FILES.privateKey));

  const net = Network.create();
  t.teardown(() => net.destroy());
  const index = 0;
  const addr = Network.addressFor(index);
  const config = { node: { name: 'x', identityDir: ID_DIR }, gossip: { bind: `${addr}:7946` } };
  const base = loadProfile('vps');
  const profile: Profile = {
    ...base,
    fwCfg: [{ name: 'opt/fortros/config', string: JSON.stringify(config) }, ...idFiles.map((f) => ({ name: `opt/fortros/id/${f}`, file: join(idDir, f) }))],
  };
  const vm = await startVm(profile, { index, network: net, boot: imageKernel(`fortros.agent=run fortros.debug=shell fortros.ip=${addr}/24,${HOST_ADDRESS}`) });
  t.teardown(() => vm.stop());

  await vm.waitForSerial(/agent ready.*node=x/, BOOT_MS);
  const out = vm.serial.output();
  t.regex(out, new RegExp(`fortros-net: eth\\d+ ${addr.replaceAll('.', '\\.')}/24 via ${HOST_ADDRESS.replaceAll('.', '\\.')}`));
  t.regex(out, new RegExp(`fortros-identity: ${idFiles.length} files from fw_cfg in ${ID_DIR}`));
  t.regex(out, new RegExp(`gossip started.*${addr.replaceAll('.', '\\.')}:7946`));

  // The guest answers ARP only once its NIC is up; a few tries within a deadline. busybox's
  // ping: busybox-static is already a build dependency (make deb-deps), iputils-ping is not.
  const deadline = Date.now() + 20_000;
  let ping = '';
  for (;;) {
    try {
      await run(net.exec[0] as string, [...net.exec.slice(1), 'busybox', 'ping', '-c', '1', '-W', '2', addr], { timeout: 5_000 });
      ping = 'ok';
      break;
    } catch (e) {
      ping = (e as Error).message;
      if (Date.now() > deadline) break;
      await sleep(500);
    }
  }
  t.is(ping, 'ok', `ip netns exec ${net.ns} ping ${addr}`);

  const ls = await guest(vm, 'ID', `dmesg -n 1; cd ${ID_DIR} && stat -c '%a %n' . *`);
  t.is(ls.rc, 0, ls.out);
  // Line by line from the end of each line: the console may put terminal queries before the first.
  const modes = new Map([...ls.out.matchAll(/(\d{3}) (\S+)$/gm)].map((m) => [m[2] as string, m[1] as string]));
  t.is(modes.get('.'), '700', ls.out);
  t.is(modes.get(NODE_FILES.privateKey), '600', ls.out);
  for (const f of idFiles) t.true(modes.has(f), `${f} missing in ${ID_DIR}: ${ls.out}`);

  // A peer on the host side of the bridge, enrolled in the same org and seeded with the guest.
  const hostId = join(dir, 'host-identity');
  must(enroll(org, 'h', hostId, Math.floor(Date.now() / 1000) - 60, 86_400));
  const socket = join(dir, 'h.sock');
  const hostConfig = join(dir, 'h.json');
  writeFileSync(
    hostConfig,
    JSON.stringify({ node: { name: 'h', identityDir: hostId }, gossip: { bind: `${HOST_ADDRESS}:7946`, seeds: [`${addr}:7946`] }, control: { socket }, watchdog: { enabled: false } }),
  );
  // Tracked by the harness's reaper, so a failing test leaves no agent behind.
  const peer = spawnTracked('agent h', [...net.exec, AGENT, 'run', '--config', hostConfig], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FORTROS_LOG_FORMAT: 'json' },
  });
  let peerLog = '';
  peer.child.stderr?.on('data', (b: Buffer) => (peerLog = (peerLog + b.toString()).slice(-4000)));
  t.teardown(() => peer.stop(2000));
  const seen = async (): Promise<string> => {
    try {
      const { stdout } = await run(AGENT, ['members', '--json', '--socket', socket], { timeout: 5_000 });
      const ms = JSON.parse(stdout) as { name: string; state: string }[];
      return ms.map((m) => `${m.name}=${m.state}`).sort().join(' ');
    } catch (e) {
      return (e as Error).message;
    }
  };
  const end = Date.now() + 20_000;
  let members = await seen();
  while (members !== 'h=alive x=alive' && Date.now() < end) {
    await sleep(500);
    members = await seen();
  }
  t.is(members, 'h=alive x=alive', peerLog);
});

serial('a malformed fortros.ip= fails only fortros-net: the console names the value and the agent starts', async (t) => {
  t.timeout(BOOT_MS + 30_000);
  const profile: Profile = { ...loadProfile('vps'), fwCfg: [{ name: 'opt/fortros/config', string: '{"node":{"name":"y"}}' }] };
  const vm = await startVm(profile, { boot: imageKernel('fortros.agent=run fortros.ip=10.213.0.10/33') });
  t.teardown(() => vm.stop());
  await vm.waitForSerial(/agent ready.*node=y/, BOOT_MS);
  t.regex(vm.serial.output(), /fortros-net: bad fortros\.ip=10\.213\.0\.10\/33: prefix \/33 is outside 1\.\.32/);
});
