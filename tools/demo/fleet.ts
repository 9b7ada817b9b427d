// The self-healing demo's fleet: node X boots the preboot image in a QEMU VM
// whose power is an external ipmi_sim BMC (profile server-bmc-oob), on a
// private network namespace; nodes Y and Z are `agent run` processes inside
// that namespace, holders of the org recovery key. X's enrollment records
// (where its BMC is, and the BMC user with its password sealed to the org)
// are put in Y's vault signed by X's identity, as the enrollment station
// would hand them over; Z gets them through gossip. The BMC user is the
// harness's own account: test/vm/policy-apply.test.ts shows the image
// creating and sealing one in band, which this demo does not repeat.
//
// Y has a network namespace of its own, on the bridge through a veth pair, so
// that the partition variant can cut Y off whole: with Y and Z sharing an
// address, a port filter missed the TCP streams Y opens from ephemeral ports.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { enroll, initOrg, loadOrg, NODE_FILES } from '../../agent/identity/store.ts';
import { openVault } from '../../agent/vault/store.ts';
import { imageKernel } from '../qemu/boot.ts';
import { HOST_ADDRESS, Network, SUBNET_PREFIX } from '../qemu/net.ts';
import { registerCleanup, run } from '../qemu/reaper.ts';
import { loadProfile, type Profile } from '../qemu/profile.ts';
import { startVm, type Vm } from '../qemu/vm.ts';
import { DemoAgent } from './agent.ts';

const REPO = resolve(import.meta.dirname, '../..');
const ID_FILES = [NODE_FILES.privateKey, NODE_FILES.publicKey, NODE_FILES.certificate, NODE_FILES.orgPublicKey, NODE_FILES.recoveryPublicKey];
export const X = 'x';
export const GOSSIP_PORT = { x: 7946, y: 7947, z: 7948, l: 7949 } as const;
/** Y's address, in its own namespace; Z and the liar use the bridge's (HOST_ADDRESS). */
export const Y_ADDRESS = `${SUBNET_PREFIX}.2`;

export interface FleetOptions {
  /** Seconds of grace Y and Z give a dead X whose attestation says its watchdog is armed (0: act at once). */
  watchdogGraceSec?: number;
  /** X's hardware watchdog timeout (i6300ESB). */
  watchdogTimeoutSec?: number;
  log?: (s: string) => void;
}

export interface DemoFleet {
  dir: string;
  orgDir: string;
  net: Network;
  vm: Vm;
  y: DemoAgent;
  z: DemoAgent;
  /** Y's own network namespace (its veth is on the fleet bridge). */
  yNs: string;
  xAddr: string;
  /** Starts Y or Z again with another heal config (the variants change the grace). */
  restartHealers(over: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }, what: string): T => {
  if (!r.ok) throw new Error(`${what}: ${r.error.message}`);
  return r.value;
};

export async function startDemoFleet(o: FleetOptions = {}): Promise<DemoFleet> {
  const log = o.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'heal-demo-'));
  const orgDir = join(dir, 'org');
  must(initOrg(orgDir), 'org');
  const org = must(loadOrg(orgDir), 'org');
  const now = Math.floor(Date.now() / 1000);
  // l: the liar of the liar variant, a member like any other but no healer.
  for (const n of [X, 'y', 'z', 'l']) must(enroll(org, n, join(dir, n, 'identity'), now - 60, 86_400), `enroll ${n}`);

  const net = Network.create();
  const cleanup: (() => Promise<void> | void)[] = [() => net.destroy(), () => rmSync(dir, { recursive: true, force: true })];
  try {
    const yNs = ownNamespace(net, Y_ADDRESS);
    cleanup.unshift(yNs.destroy);
    const xAddr = `${Network.addressFor(0)}:${GOSSIP_PORT.x}`;
    const seeds = [`${Y_ADDRESS}:${GOSSIP_PORT.y}`, `${HOST_ADDRESS}:${GOSSIP_PORT.z}`];
    const xConfig = {
      node: { name: X, identityDir: '/run/fortros/identity' },
      watchdog: { enabled: true, timeoutSec: o.watchdogTimeoutSec ?? 5 },
      gossip: { bind: xAddr, seeds },
      state: { dir: '/run/fortros/state' },
    };
    const base = loadProfile('server-bmc-oob');
    const profile: Profile = {
      ...base,
      fwCfg: [{ name: 'opt/fortros/config', string: JSON.stringify(xConfig) }, ...ID_FILES.map((f) => ({ name: `opt/fortros/id/${f}`, file: join(dir, X, 'identity', f) }))],
    };
    const vm = await startVm(profile, { index: 0, network: net, boot: imageKernel(`fortros.agent=run fortros.debug=shell fortros.ip=${Network.addressFor(0)}/24`) });
    cleanup.unshift(() => vm.stop());
    const bmc = vm.bmc;
    if (!bmc) throw new Error('server-bmc-oob has no external BMC endpoint');

    // X's enrollment records, signed by X, in Y's vault: Y's gossip publishes them, Z stores them.
    const yState = join(dir, 'y', 'state');
    const xVault = must(openVault({ stateDir: yState, identityDir: join(dir, X, 'identity') }), 'vault');
    must(await xVault.put('channel-ref', 'channel-ref:ipmi', Buffer.from('{}'), { channel: 'ipmi', host: HOST_ADDRESS, port: bmc.port }), 'channel-ref');
    must(await xVault.put('bmc-user', `bmc-user:${bmc.user}`, Buffer.from(readFileSync(bmc.passwordFile, 'utf8').trim()), { user: bmc.user, privilege: 'admin' }), 'bmc-user');

    const heal = {
      enabled: true,
      recoveryKey: join(orgDir, 'recovery.key'),
      healers: ['y', 'z'],
      gateway: `${HOST_ADDRESS}:9`,
      stableSec: 1,
      settleSec: 5,
      actionBudgetSec: 60,
      rejoinTimeoutSec: 120,
      backoffResetSec: 10,
      watchdogGraceSec: o.watchdogGraceSec ?? 0,
    };
    const configFor = (n: 'y' | 'z', over: Record<string, unknown>): string => {
      const home = join(dir, n);
      mkdirSync(join(home, 'state'), { recursive: true });
      const file = join(home, 'agent.json');
      const c = {
        node: { name: n, identityDir: join(home, 'identity') },
        gossip: { bind: `${n === 'y' ? Y_ADDRESS : HOST_ADDRESS}:${GOSSIP_PORT[n]}`, seeds: [...seeds, xAddr].filter((s) => !s.endsWith(`:${GOSSIP_PORT[n]}`)) },
        control: { socket: join(home, 'control.sock') },
        state: { dir: join(home, 'state') },
        heal: { ...heal, ...over },
      };
      writeFileSync(file, JSON.stringify(c, null, 2));
      return file;
    };
    const start = (n: 'y' | 'z', over: Record<string, unknown> = {}): DemoAgent =>
      new DemoAgent(n, spawnIn(n === 'y' ? ['ip', 'netns', 'exec', yNs.ns] : net.exec, configFor(n, over)), join(dir, n, 'control.sock'), join(dir, n, 'state'));
    let y = start('y');
    let z = start('z');
    cleanup.unshift(() => Promise.all([y.stop(), z.stop()]).then(() => undefined));
    await Promise.all([y.ready(30_000), z.ready(30_000)]);
    log(`Y and Z running in ${net.ns}; X booting (${vm.dir})`);
    await vm.waitForSerial(/agent ready/, 240_000);
    log('X: agent ready');

    const fleet: DemoFleet = {
      dir,
      orgDir,
      net,
      vm,
      get y() {
        return y;
      },
      get z() {
        return z;
      },
      xAddr,
      yNs: yNs.ns,
      async restartHealers(over) {
        await Promise.all([y.stop(), z.stop()]);
        y = start('y', over);
        z = start('z', over);
        await Promise.all([y.ready(30_000), z.ready(30_000)]);
      },
      async stop() {
        for (const c of cleanup) {
          try {
            await c();
          } catch {
            // Best effort: the reaper takes what is left at exit.
          }
        }
      },
    };
    return fleet;
  } catch (e) {
    for (const c of cleanup) {
      try {
        await c();
      } catch {
        // Already failing; the first error is the one to report.
      }
    }
    throw e;
  }
}

/** A namespace with one veth on the fleet bridge holding `address`/24; destroy() deletes it (and the veth with it). */
function ownNamespace(net: Network, address: string): { ns: string; destroy: () => void } {
  const ns = `${net.ns}-y`;
  run(['ip', 'netns', 'add', ns]);
  const destroy = (): void => {
    try {
      run(['ip', 'netns', 'del', ns]);
    } catch {
      // Already gone.
    }
  };
  const unregister = registerCleanup(`netns ${ns}`, destroy);
  try {
    net.ip('link', 'add', 'vy0', 'type', 'veth', 'peer', 'name', 'vy1', 'netns', ns);
    net.ip('link', 'set', 'vy0', 'master', 'br0');
    net.ip('link', 'set', 'vy0', 'up');
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    run(['ip', '-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'vy1']);
    run(['ip', '-n', ns, 'link', 'set', 'vy1', 'up']);
  } catch (e) {
    destroy();
    unregister();
    throw e;
  }
  return {
    ns,
    destroy: () => {
      destroy();
      unregister();
    },
  };
}

/** `agent run` inside a namespace (`prefix`: ip netns exec NS): the built binary when there is one, else the sources through tsx. */
function spawnIn(prefix: readonly string[], configFile: string) {
  const bin = join(REPO, 'dist/agent');
  const argv = existsSync(bin) ? [bin, 'run', '--config', configFile] : [process.execPath, '--import', 'tsx', join(REPO, 'agent/main.ts'), 'run', '--config', configFile];
  const [cmd, ...args] = [...prefix, ...argv] as [string, ...string[]];
  return spawn(cmd, args, { cwd: REPO, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FORTROS_LOG_FORMAT: 'json', FORTROS_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
}
