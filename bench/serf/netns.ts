// The benchmark's private network: a namespace named after the bench's pid,
// with loopback up and an nftables table that drops a share of the UDP packets
// arriving on it. Every address the agents use (127.0.0.0/8) lives on that
// loopback, so nothing outside the namespace is touched. A namespace whose
// owner pid is gone is a leftover of a crashed run: `reapLeftovers` removes it
// and whatever still runs inside it.

import { accessSync, constants, readFileSync } from 'node:fs';
import { registerCleanup, run } from '../../tools/qemu/reaper.ts';

const PREFIX = 'fortros-bench-';
const TABLE = 'fortrosbench';

/**
 * nftables' nft from the system directories only: under npm and ava, PATH starts
 * with node_modules/.bin, where `nft` is Vercel's node-file-trace, which accepts
 * a rule as file names and exits 0 without any rule being made.
 */
export function systemNft(): string | null {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    try {
      accessSync(`${dir}/nft`, constants.X_OK);
      return `${dir}/nft`;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

/** The bench that made the namespace still runs (a recycled pid running something else does not count). */
function benchAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('gossip-vs-serf');
  } catch {
    return false;
  }
}

function killInside(ns: string): void {
  let pids: string;
  try {
    pids = run(['ip', 'netns', 'pids', ns]);
  } catch {
    return;
  }
  for (const p of pids.split('\n').map(Number).filter((n) => n > 0)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}

function remove(ns: string): void {
  killInside(ns);
  try {
    run(['ip', 'netns', 'del', ns]);
  } catch {
    // Already gone.
  }
}

/** Deletes bench namespaces whose owner process no longer exists; returns their names. */
export function reapLeftovers(): string[] {
  const reaped: string[] = [];
  for (const line of run(['ip', 'netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^fortros-bench-(\d+)$/.exec(name);
    if (!m || benchAlive(Number(m[1]))) continue;
    remove(name);
    reaped.push(name);
  }
  return reaped;
}

export interface UdpCounters {
  seen: number;
  dropped: number;
}

export class LossyNamespace {
  private readonly unregister: () => void;
  private gone = false;

  private constructor(
    readonly name: string,
    private readonly nft: string,
  ) {
    this.unregister = registerCleanup(`netns ${name}`, () => remove(name));
  }

  /** Creates the namespace and the drop rule; `lossPercent` of UDP packets on loopback input are dropped. */
  static create(lossPercent: number): LossyNamespace {
    if (!Number.isInteger(lossPercent) || lossPercent < 0 || lossPercent > 100) throw new RangeError(`loss ${lossPercent} is not a percentage`);
    const nft = systemNft();
    if (nft === null) throw new Error('nftables (nft) is not installed in /usr/sbin, /sbin, /usr/bin or /bin');
    const name = `${PREFIX}${process.pid}`;
    remove(name);
    run(['ip', 'netns', 'add', name]);
    const ns = new LossyNamespace(name, nft);
    try {
      run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
      // Two counters: every UDP packet in, and the ones the random drop took, so the run can report the real share.
      const rules = [
        `add table inet ${TABLE}`,
        `add chain inet ${TABLE} in { type filter hook input priority 0; policy accept; }`,
        `add rule inet ${TABLE} in meta l4proto udp counter`,
        `add rule inet ${TABLE} in meta l4proto udp numgen random mod 100 < ${lossPercent} counter drop`,
      ];
      for (const r of rules) run(['ip', 'netns', 'exec', name, nft, ...r.split(' ')]);
    } catch (err) {
      ns.destroy();
      throw err;
    }
    return ns;
  }

  /** argv prefix that runs a command inside the namespace. */
  get exec(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  /** UDP packets the input hook saw and dropped since the table was made. */
  counters(): UdpCounters {
    const text = run([...this.exec, this.nft, 'list', 'chain', 'inet', TABLE, 'in']);
    const counts = [...text.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    if (counts.length !== 2) throw new Error(`nft: expected two counters in chain ${TABLE}/in, got ${counts.length}`);
    return { seen: counts[0] ?? 0, dropped: counts[1] ?? 0 };
  }

  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    remove(this.name);
    this.unregister();
  }
}
