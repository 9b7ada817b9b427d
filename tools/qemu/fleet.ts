// N VMs of one profile on one private network: the shape of a FortrOS org in
// miniature. VMs start one after another (TCG on a small machine: starting
// them at once only makes every boot slower).

import { mkdtempSync, rmSync } from 'node:fs';
import type { BootRequest } from './boot.ts';
import { Network, netUnavailable } from './net.ts';
import type { Profile } from './profile.ts';
import { registerCleanup } from './reaper.ts';
import { startVm, type Vm } from './vm.ts';

export interface FleetOptions {
  /** The same boot for every VM, or one per index (e.g. a kernel argument naming the node). */
  boot?: BootRequest | ((index: number) => BootRequest);
  /**
   * Put the NICs on a private bridge in a network namespace. Default: when the
   * profile has NICs and the machine allows it (root, /dev/net/tun).
   */
  network?: boolean;
  keep?: boolean;
}

export interface Fleet {
  vms: Vm[];
  network: Network | null;
  /** Why the VMs have no shared network, when they have none. */
  networkSkipped: string | null;
  stop(): Promise<void>;
}

export async function startFleet(profile: Profile, count: number, opts: FleetOptions = {}): Promise<Fleet> {
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new RangeError(`fleet size ${count} outside 1..64`);
  const why = profile.nics.length === 0 ? 'the profile has no NICs' : opts.network === false ? 'not asked for' : netUnavailable();
  if (why && opts.network === true) throw new Error(`fleet network: ${why}`);
  const network = why ? null : Network.create();
  const base = mkdtempSync('/tmp/fq-');
  const unregister = opts.keep ? () => undefined : registerCleanup(`fleet dir ${base}`, () => rmSync(base, { recursive: true, force: true }));
  const vms: Vm[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(vms.map((vm) => vm.stop()));
    network?.destroy();
    if (!opts.keep) {
      rmSync(base, { recursive: true, force: true });
      unregister();
    }
  };
  try {
    for (let index = 0; index < count; index++) {
      const boot = typeof opts.boot === 'function' ? opts.boot(index) : opts.boot;
      vms.push(
        await startVm(profile, {
          index,
          baseDir: base,
          ...(boot ? { boot } : {}),
          ...(network ? { network } : {}),
          ...(opts.keep ? { keep: true } : {}),
        }),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { vms, network, networkSkipped: why, stop };
}
