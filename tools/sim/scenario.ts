// One simulated run: N nodes join through a few seeds and converge, then the
// measured window runs with kills (and optional restarts, joins, slow nodes,
// one-way cuts, partitions and a liar) scheduled at seeded random times.
import type { CoreFactory } from './core.ts';
import { Cluster, simAddr } from './cluster.ts';
import { Liar } from './liar.ts';
import { Metrics, type MetricsReport } from './metrics.ts';
import { Network, DEFAULT_NETWORK, type NetworkConfig, type NetworkStats } from './network.ts';
import { Rng } from './prng.ts';
import { SIM_EPOCH } from './scheduler.ts';
import { SimRegistry } from './trust.ts';

export interface PartitionSpec {
  /** The first `fraction` of the nodes (by index) on one side, the rest on the other. */
  fraction: number;
  /** Seconds into the measured window. */
  fromS: number;
  untilS: number;
}

export interface ScenarioOptions {
  nodes: number;
  seed: number;
  /** The measured window, after convergence. */
  durationS: number;
  kills: number;
  /** Restart each killed node this long after its kill (null: never). */
  restartAfterS: number | null;
  /** Fresh nodes joining during the window (dissemination of a join). */
  joins: number;
  network: Partial<NetworkConfig>;
  seeds: number;
  /** The non-seed nodes start at uniform times over this span. */
  joinSpreadS: number;
  /**
   * Skip the join: every node starts at once and restores the whole membership as from a
   * snapshot (SwimNode.restore). For sizes whose join through gossip takes hours of wall
   * time; the window then measures a cluster that is already converged.
   */
  warm: boolean;
  /** Give up waiting for convergence after this long (the window starts anyway). */
  convergeCapS: number;
  /** No kill in the last this-many seconds, so every kill has time to be detected. */
  settleS: number;
  liar: boolean;
  slow: number;
  slowMs: number;
  /** Pairs of node indices: datagrams and streams from the first to the second are dropped. */
  oneWay: [number, number][];
  partitions: PartitionSpec[];
  /** Samples the heap every this many events (0: never). */
  heapSampleEvents: number;
  /** Stops the run, reporting what it measured so far, when a sample finds the heap above this (0: no limit). */
  heapLimitMB: number;
}

export const DEFAULT_SCENARIO: ScenarioOptions = {
  nodes: 100,
  seed: 1,
  durationS: 300,
  kills: 5,
  restartAfterS: null,
  joins: 3,
  network: {},
  seeds: 3,
  joinSpreadS: 10,
  warm: false,
  convergeCapS: 300,
  settleS: 30,
  liar: false,
  slow: 0,
  slowMs: 1000,
  oneWay: [],
  partitions: [],
  heapSampleEvents: 200_000,
  heapLimitMB: 0,
};

export interface ScenarioReport extends MetricsReport {
  options: Omit<ScenarioOptions, 'network'> & { network: NetworkConfig };
  windowStartS: number;
  /** Set when the run stopped early at the heap limit: the simulated time reached and why. */
  aborted: { atS: number; reason: string } | null;
  liar: { node: number; victim: number; victimDeaths: number; rounds: number; packets: number } | null;
  slowNodes: number[];
  network: NetworkStats;
  cluster: Cluster['stats'];
  wall: { ms: number; events: number; eventsPerSec: number; heapUsedMB: number; heapPeakMB: number };
}

/** A line about a long run's progress, every `everyS` simulated seconds. */
export interface Progress {
  everyS: number;
  report(line: string): void;
}

export function runScenario(opts: ScenarioOptions, factory: CoreFactory, progress: Progress | null = null): ScenarioReport {
  const wallStart = performance.now();
  if (!(opts.nodes >= 2)) throw new RangeError('at least 2 nodes');
  const root = new Rng(opts.seed);
  const netCfg: NetworkConfig = { ...DEFAULT_NETWORK, ...opts.network };
  const net = new Network(netCfg, root.fork(1));
  const metrics = new Metrics();
  const cluster = new Cluster({ start: SIM_EPOCH, net, factory, registry: new SimRegistry(root.fork(2)), observer: metrics, rng: root.fork(3) });
  metrics.attach({
    isAlive: (i) => cluster.isAlive(i),
    indexOfName: (n) => cluster.indexOfName(n),
    get size() {
      return cluster.size;
    },
    partitionedWithin: (t, g) => net.partitionedWithin(t, g),
  });
  const plan = root.fork(4);

  let heapPeak = 0;
  let aborted: { atS: number; reason: string } | null = null;
  const sampleHeap = (): void => {
    const h = process.memoryUsage().heapUsed;
    if (h > heapPeak) heapPeak = h;
    if (opts.heapLimitMB > 0 && h > opts.heapLimitMB * 2 ** 20 && aborted === null) {
      // Every node holds a record per member, so memory grows with N squared; stopping with figures beats an OOM crash.
      aborted = { atS: (cluster.now() - SIM_EPOCH) / 1000, reason: `heap ${(h / 2 ** 20).toFixed(0)} MB over the ${opts.heapLimitMB} MB limit` };
    }
  };
  let sinceSample = 0;
  const stop = (limit: () => boolean) => (): boolean => {
    if (opts.heapSampleEvents > 0 && ++sinceSample >= opts.heapSampleEvents) {
      sinceSample = 0;
      sampleHeap();
    }
    return aborted !== null || limit();
  };

  if (progress !== null) {
    const tick = (): void => {
      const simS = (cluster.now() - SIM_EPOCH) / 1000;
      const heap = process.memoryUsage().heapUsed / 2 ** 20;
      progress.report(`sim ${simS.toFixed(0)} s  wall ${((performance.now() - wallStart) / 1000).toFixed(0)} s  events ${cluster.stats.events}  heap ${heap.toFixed(0)} MB  converged ${metrics.converged()}`);
      cluster.at(cluster.now() + progress.everyS * 1000, tick);
    };
    cluster.at(cluster.now() + progress.everyS * 1000, tick);
  }

  // Join: seeds first, the rest spread over joinSpreadS.
  const seedCount = Math.min(Math.max(1, opts.seeds), opts.nodes);
  const seedAddrs = Array.from({ length: seedCount }, (_, i) => simAddr(i));
  for (let i = 0; i < opts.nodes; i++) cluster.add(opts.warm ? [] : seedAddrs);
  const t0 = cluster.now();
  if (opts.warm) {
    metrics.expectConvergence(opts.nodes, t0);
    for (let i = 0; i < opts.nodes; i++) cluster.start(i, 1);
    cluster.restoreAll();
  } else {
    for (let i = 0; i < opts.nodes; i++) {
      const at = i < seedCount ? t0 : t0 + plan.next() * opts.joinSpreadS * 1000;
      cluster.at(at, () => cluster.start(i, 1));
    }
    metrics.expectConvergence(opts.nodes, t0);
  }
  // Never open the window before the last node has started, whatever the cap: a kill must find its victim running.
  cluster.runUntil(t0 + Math.max(opts.convergeCapS, opts.joinSpreadS + 1) * 1000, stop(() => metrics.converged()));

  // The measured window (empty when the join already hit the heap limit).
  const ws = cluster.now();
  const we = ws + opts.durationS * 1000;
  metrics.beginWindow(ws);
  const reserved = new Set<number>();
  const pickFree = (): number | null => {
    const free: number[] = [];
    for (let i = seedCount; i < opts.nodes; i++) if (!reserved.has(i)) free.push(i);
    if (free.length === 0) return null;
    const i = free[plan.int(free.length)] as number;
    reserved.add(i);
    return i;
  };

  let liar: Liar | null = null;
  let liarNode = -1;
  let liarVictim = -1;
  if (opts.liar) {
    const l = pickFree();
    const v = pickFree();
    if (l === null || v === null) throw new RangeError('not enough nodes for a liar and its victim');
    liarNode = l;
    liarVictim = v;
    metrics.exclude(l);
    liar = new Liar(cluster, l, v, 1400);
    liar.run(ws, we);
  }
  const slowNodes: number[] = [];
  for (let k = 0; k < opts.slow; k++) {
    const i = pickFree();
    if (i === null) break;
    cluster.setSlow(i, opts.slowMs);
    slowNodes.push(i);
  }
  for (const [a, b] of opts.oneWay) {
    if (a >= opts.nodes || b >= opts.nodes) throw new RangeError(`one-way cut ${a}->${b}: no such node`);
    reserved.add(a);
    reserved.add(b);
    net.cutOneWay(a, b);
  }
  for (const p of opts.partitions) {
    const cut = Math.floor(opts.nodes * p.fraction);
    net.addPartition({ side: (i) => (i < cut ? 0 : 1), from: ws + p.fromS * 1000, until: ws + p.untilS * 1000 });
  }

  const killFrom = ws + Math.min(5_000, opts.durationS * 100);
  const killUntil = Math.max(killFrom, we - opts.settleS * 1000);
  for (let k = 0; k < opts.kills; k++) {
    const v = pickFree();
    if (v === null) break;
    const at = killFrom + plan.next() * (killUntil - killFrom);
    cluster.at(at, () => {
      const inc = cluster.core(v)?.self().incarnation ?? 1;
      cluster.kill(v);
      if (opts.restartAfterS !== null) cluster.at(cluster.now() + opts.restartAfterS * 1000, () => cluster.start(v, inc + 1));
    });
  }
  for (let k = 0; k < opts.joins; k++) {
    const i = cluster.add(seedAddrs);
    cluster.at(killFrom + plan.next() * (killUntil - killFrom), () => cluster.start(i, 1));
  }

  if (aborted === null) cluster.runUntil(we, stop(() => false));
  sampleHeap();
  const wallMs = performance.now() - wallStart;
  const m = metrics.report(aborted === null ? we : cluster.now());
  return {
    ...m,
    options: { ...opts, network: netCfg },
    windowStartS: (ws - t0) / 1000,
    aborted,
    liar: liar === null ? null : { node: liarNode, victim: liarVictim, victimDeaths: metrics.victimDeaths(liarVictim), ...liar.stats },
    slowNodes,
    network: { ...net.stats },
    cluster: { ...cluster.stats },
    wall: {
      ms: wallMs,
      events: cluster.stats.events,
      eventsPerSec: cluster.stats.events / (wallMs / 1000),
      heapUsedMB: process.memoryUsage().heapUsed / 2 ** 20,
      heapPeakMB: heapPeak / 2 ** 20,
    },
  };
}
