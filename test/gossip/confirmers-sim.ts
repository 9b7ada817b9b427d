// A small simulated cluster of real SwimNodes for the confirmer tests (gossip
// and heal): every member event any node emits is recorded with who saw it.
import { SwimNode } from '../../agent/gossip/swim.ts';
import type { MemberEvent } from '../../agent/gossip/types.ts';
import { Cluster, simAddr, type ClusterObserver } from '../../tools/sim/cluster.ts';
import { DEFAULT_NETWORK, Network } from '../../tools/sim/network.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SIM_EPOCH } from '../../tools/sim/scheduler.ts';
import { swimFactory } from '../../tools/sim/swim-core.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';

export interface Seen {
  observer: number;
  e: MemberEvent;
}

export interface SimCluster {
  c: Cluster;
  events: Seen[];
  node(i: number): SwimNode;
  /** Runs `ms` more simulated milliseconds. */
  run(ms: number): void;
}

/** `n` nodes seeded on node 0, started together, run until every node holds every other alive (at most 30 s). */
export function startCluster(n: number, seed: number): SimCluster {
  const root = new Rng(seed);
  const events: Seen[] = [];
  const noop = (): void => {};
  const observer: ClusterObserver = {
    event: (observer, e) => events.push({ observer, e }),
    rejection: noop,
    started: noop,
    killed: noop,
    packetSent: noop,
    packetReceived: noop,
    frameSent: noop,
    frameReceived: noop,
  };
  const c = new Cluster({ start: SIM_EPOCH, net: new Network({ ...DEFAULT_NETWORK }, root.fork(1)), factory: swimFactory(), registry: new SimRegistry(root.fork(2)), observer, rng: root.fork(3) });
  for (let i = 0; i < n; i++) c.add([simAddr(0)]);
  for (let i = 0; i < n; i++) c.start(i, 1);
  const node = (i: number): SwimNode => {
    const core = c.core(i);
    if (!(core instanceof SwimNode)) throw new Error(`node ${i} is not running`);
    return core;
  };
  const converged = (): boolean => {
    for (let i = 0; i < n; i++) if (node(i).members().filter((m) => m.state === 'alive').length !== n) return false;
    return true;
  };
  c.runUntil(c.now() + 30_000, converged);
  if (!converged()) throw new Error('the cluster did not converge in 30 s');
  return { c, events, node, run: (ms) => c.runUntil(c.now() + ms) };
}
