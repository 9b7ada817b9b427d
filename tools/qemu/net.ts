// A private network for a fleet: a network namespace the harness creates, a
// bridge inside it and one tap per VM NIC. QEMU (and any host-side process a
// test wants on that network) runs inside the namespace with `ip netns exec`;
// addresses come from 10.213.0.0/24 and exist only inside the namespace, so
// nothing on the host's own network is touched. Deleting the namespace removes
// the bridge and taps with it.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { registerCleanup, run } from './reaper.ts';

export const SUBNET_PREFIX = '10.213.0';
export const HOST_ADDRESS = `${SUBNET_PREFIX}.1`;
const BRIDGE = 'br0';

/** Why namespaced networking cannot work here, or null when it can. */
export function netUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'creating network namespaces and taps needs root';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  try {
    run(['ip', '-V']);
  } catch {
    return 'iproute2 (`ip`) is not installed';
  }
  return null;
}

export class Network {
  private readonly taps: string[] = [];
  private destroyed = false;
  private readonly unregister: () => void;

  private constructor(readonly ns: string) {
    this.unregister = registerCleanup(`netns ${ns}`, () => deleteNamespace(ns));
  }

  /** Creates the namespace with loopback up and a bridge holding HOST_ADDRESS/24. */
  static create(): Network {
    const why = netUnavailable();
    if (why) throw new Error(`network: ${why}`);
    const ns = `fortros-${randomBytes(4).toString('hex')}`;
    run(['ip', 'netns', 'add', ns]);
    const net = new Network(ns);
    try {
      net.ip('link', 'set', 'lo', 'up');
      net.ip('link', 'add', BRIDGE, 'type', 'bridge');
      net.ip('addr', 'add', `${HOST_ADDRESS}/24`, 'dev', BRIDGE);
      net.ip('link', 'set', BRIDGE, 'up');
    } catch (err) {
      net.destroy();
      throw err;
    }
    return net;
  }

  /** `ip -n NS ...`. */
  ip(...args: string[]): string {
    return run(['ip', '-n', this.ns, ...args]);
  }

  /** Prefix that runs a command inside the namespace. */
  get exec(): string[] {
    return ['ip', 'netns', 'exec', this.ns];
  }

  /** A tap on the bridge for one VM NIC; names are unique only inside this namespace. */
  addTap(vmIndex: number, nicIndex: number): string {
    if (this.destroyed) throw new Error(`network ${this.ns} is gone`);
    const name = `tap${vmIndex}n${nicIndex}`;
    // IFNAMSIZ: 15 characters.
    if (name.length > 15) throw new Error(`tap name ${name} is too long`);
    this.ip('tuntap', 'add', 'dev', name, 'mode', 'tap');
    this.ip('link', 'set', name, 'master', BRIDGE);
    this.ip('link', 'set', name, 'up');
    this.taps.push(name);
    return name;
  }

  /** The address a VM with this index is expected to configure (10.213.0.10 + index). */
  static addressFor(vmIndex: number): string {
    if (vmIndex < 0 || vmIndex > 240) throw new RangeError(`VM index ${vmIndex} outside 0..240`);
    return `${SUBNET_PREFIX}.${10 + vmIndex}`;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    deleteNamespace(this.ns);
    this.unregister();
  }
}

function deleteNamespace(ns: string): void {
  try {
    run(['ip', 'netns', 'del', ns]);
  } catch {
    // Already deleted.
  }
}

/** Namespaces a harness created and did not delete (for leak checks): names under /run/netns. */
export function harnessNamespaces(): string[] {
  const out = run(['ip', 'netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith('fortros-'));
}
