// Record anti-entropy across a simulated cluster of unchanged SwimNodes
// (tools/sim's Cluster: virtual clock, network model, streams round by round):
// one record reaches every node within a bounded number of push-pull rounds,
// a newer seq replaces everywhere and an older one never comes back, a
// tampered record is refused by every node and spread by none, and a member
// flooding the cluster is held to the limits.
import test from 'ava';
import { DEFAULT_RECORD_LIMITS, type RecordLimits, type VerifyRecord } from '../../agent/gossip/records.ts';
import { SwimNode } from '../../agent/gossip/swim.ts';
import { DEFAULT_CONFIG, type GossipErrorCode, type Rejection } from '../../agent/gossip/types.ts';
import { Cluster, simName, type ClusterObserver } from '../../tools/sim/cluster.ts';
import { DEFAULT_NETWORK, Network } from '../../tools/sim/network.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';
import { believeAnything, BlobSigner, tamper } from './records-blobs.ts';

const PUSH_PULL_MS = 5000;

interface Sim {
  cluster: Cluster;
  cores: SwimNode[];
  rejections: Map<GossipErrorCode, number>;
  maxFrame: number;
  signer: BlobSigner;
  /** Runs `ms` more of virtual time. */
  run(ms: number): void;
  /** Runs until `cond` holds (checked every 100 ms) or `ms` pass; the virtual time it took, or null. */
  until(cond: () => boolean, ms: number): number | null;
  holders(node: string, id: string, seq: number): number;
}

function build(n: number, opts: { seed?: number; limits?: Partial<RecordLimits>; liar?: { index: number; limits?: Partial<RecordLimits> } } = {}): Sim {
  const names = Array.from({ length: n }, (_, i) => simName(i));
  const signer = new BlobSigner([...names, 'ghost']);
  const rejections = new Map<GossipErrorCode, number>();
  let maxFrame = 0;
  const observer: ClusterObserver = {
    event: () => {},
    rejection: (_i: number, r: Rejection) => void rejections.set(r.error.code, (rejections.get(r.error.code) ?? 0) + 1),
    started: () => {},
    killed: () => {},
    packetSent: () => {},
    packetReceived: () => {},
    frameSent: (_i, bytes) => void (maxFrame = Math.max(maxFrame, bytes)),
    frameReceived: () => {},
  };
  const cores: SwimNode[] = [];
  const seed = opts.seed ?? 1;
  const cluster = new Cluster({
    start: Date.UTC(2026, 10, 24),
    net: new Network({ ...DEFAULT_NETWORK, latencyMs: 2, jitterMs: 2 }, new Rng(seed)),
    registry: new SimRegistry(new Rng(seed + 1)),
    rng: new Rng(seed + 2),
    observer,
    factory: (spec) => {
      const liar = opts.liar?.index === spec.index;
      const verify: VerifyRecord = liar ? believeAnything : signer.verify;
      const limits = { ...DEFAULT_RECORD_LIMITS, ...opts.limits, ...(liar ? opts.liar?.limits : {}) };
      const core = new SwimNode({ ...DEFAULT_CONFIG, pushPullIntervalMs: PUSH_PULL_MS, name: spec.name, addr: spec.addr, seeds: spec.seeds, incarnation: spec.incarnation }, spec.trust, spec.random, spec.now, {
        records: { verify, limits },
      });
      cores[spec.index] = core;
      return core;
    },
  });
  for (let i = 0; i < n; i++) cluster.add(i === 0 ? [] : [cluster.addr(0)]);
  for (let i = 0; i < n; i++) cluster.start(i, 1);
  const sim: Sim = {
    cluster,
    cores,
    rejections,
    get maxFrame() {
      return maxFrame;
    },
    signer,
    run: (ms) => cluster.runUntil(cluster.now() + ms),
    until(cond, ms) {
      const start = cluster.now();
      while (cluster.now() - start < ms) {
        if (cond()) return cluster.now() - start;
        cluster.runUntil(cluster.now() + 100);
      }
      return cond() ? cluster.now() - start : null;
    },
    holders: (node, id, seq) => cores.filter((c) => c.recordDigest().some((d) => d.node === node && d.id === id && d.seq === seq)).length,
  };
  const joined = sim.until(() => cores.every((c) => c.members().filter((m) => m.state === 'alive').length === n), 60_000);
  if (joined === null) throw new Error('the cluster did not converge');
  return sim;
}

const publish = (s: Sim, i: number, bytes: Uint8Array): void => {
  const core = s.cores[i] as SwimNode;
  const r = core.publishRecord(bytes, s.cluster.now());
  if (!r.ok) throw new Error(r.error.message);
  // What the driver does after every call into a core: a zero-length run delivers what it queued.
  s.run(0);
};

// Push-pull with one random peer per round (both ways) infects the cluster in about log2(N) + ln(N)
// rounds (Karp et al., "Randomized rumor spreading"); the two immediate pushes on publish help.
const roundsBound = (n: number): number => Math.ceil(Math.log2(n) + Math.log(n)) + 2;

for (const n of [8, 32]) {
  test(`N=${n}: one node's record is held by every node within ${roundsBound(n)} push-pull rounds`, (t) => {
    const worst: number[] = [];
    for (const seed of [1, 2, 3]) {
      const s = build(n, { seed });
      const rec = s.signer.sign(simName(3), 'amt-admin', 1);
      publish(s, 3, rec);
      const took = s.until(() => s.holders(simName(3), 'amt-admin', 1) === n, roundsBound(n) * PUSH_PULL_MS);
      t.not(took, null, `seed ${seed}: ${s.holders(simName(3), 'amt-admin', 1)} of ${n} hold it`);
      worst.push(Math.ceil((took ?? Infinity) / PUSH_PULL_MS));
      // Every copy is the published bytes.
      for (const c of s.cores) t.deepEqual(c.recordDigest().length, 1);
    }
    t.log(`N=${n}: rounds to all, per seed: ${worst.join(', ')}`);
  });
}

test('a newer seq replaces everywhere; a node that held the older one through a partition takes the newer, and the older never returns', (t) => {
  const n = 12;
  const s = build(n, { seed: 4 });
  const who = simName(2);
  publish(s, 2, s.signer.sign(who, 'bmc-user', 1));
  t.not(s.until(() => s.holders(who, 'bmc-user', 1) === n, 60_000), null);
  // Node 11 alone on one side for a minute: it keeps seq 1 while seq 2 spreads.
  const now = s.cluster.now();
  s.cluster.net.addPartition({ side: (i) => (i === 11 ? 1 : 0), from: now, until: now + 60_000 });
  publish(s, 2, s.signer.sign(who, 'bmc-user', 2));
  t.not(s.until(() => s.holders(who, 'bmc-user', 2) === n - 1, 60_000), null);
  t.is(s.holders(who, 'bmc-user', 1), 1, 'the cut-off node still holds seq 1');
  // After the heal: seq 2 everywhere; node 11's older record converts nobody back.
  t.not(s.until(() => s.holders(who, 'bmc-user', 2) === n, 120_000), null);
  s.run(60_000);
  t.is(s.holders(who, 'bmc-user', 1), 0);
  t.is(s.holders(who, 'bmc-user', 2), n);
  // An older seq published again (a stale copy on disk) is not taken even by its own node.
  const core = s.cores[2] as SwimNode;
  const again = core.publishRecord(s.signer.sign(who, 'bmc-user', 1), s.cluster.now());
  t.true(again.ok);
  s.run(30_000);
  t.is(s.holders(who, 'bmc-user', 2), n);
});

test('a tampered record is refused by every node and spread by none', (t) => {
  const n = 10;
  // Node 5 lies: it believes any blob, so it holds and offers a record whose tag was changed.
  const s = build(n, { seed: 5, liar: { index: 5 } });
  const genuine = s.signer.sign(simName(1), 'amt-admin', 3);
  publish(s, 5, tamper(genuine));
  // And a record of a node that is no member, and one of node 1 filed under node 2's name.
  publish(s, 5, s.signer.sign('ghost', 'x', 1));
  s.run(10 * PUSH_PULL_MS);
  t.is(s.holders(simName(1), 'amt-admin', 3), 1, 'only the liar holds the tampered record');
  t.is(s.holders('ghost', 'x', 1), 1, "only the liar holds the non-member's record");
  t.true((s.rejections.get('BAD_SIGNATURE') ?? 0) > 0, 'the tampered record reached honest nodes and was refused');
  // The genuine record of the same seq, published by its node afterwards, still reaches every honest node:
  // the tampered copy cannot displace it, whichever digest is larger.
  publish(s, 1, genuine);
  t.not(s.until(() => s.cores.every((c, i) => i === 5 || c.recordDigest().some((d) => d.node === simName(1) && d.seq === 3)), 60_000), null);
});

test('a member flooding records is held to the limits, and an honest record still spreads', (t) => {
  const n = 10;
  const limits = { maxPerNode: 8, maxPerExchange: 16, maxBytesPerExchange: 64 * 1024, maxRecordBytes: 4096 };
  // The liar holds anything, as many as it likes, and pushes them on every exchange.
  const s = build(n, { seed: 6, limits, liar: { index: 7, limits: { maxRecordBytes: 65_536, maxPerNode: 100_000, maxRecords: 100_000, maxPerExchange: 100_000, maxBytesPerExchange: 8 * 1024 * 1024 } } });
  const liar = simName(7);
  for (let i = 0; i < 300; i++) publish(s, 7, s.signer.sign(liar, `junk${i}`, 1, 'z'.repeat(1000)));
  // Too large for anyone, and not its own to sign.
  publish(s, 7, s.signer.sign(liar, 'huge', 1, 'z'.repeat(8000)));
  publish(s, 7, s.signer.sign(simName(0), 'forged', 1, 'z'.repeat(10)).map((b, i, a) => (i === a.length - 1 ? b ^ 1 : b)));
  const honest = s.signer.sign(simName(2), 'amt-admin', 1);
  publish(s, 2, honest);
  s.run(20 * PUSH_PULL_MS);
  t.is(s.holders(simName(2), 'amt-admin', 1), n, 'the honest record reached every node');
  for (const [i, c] of s.cores.entries()) {
    if (i === 7) continue;
    const held = c.recordDigest();
    t.true(held.filter((d) => d.node === liar).length <= limits.maxPerNode, `${simName(i)} holds ${held.length}`);
    t.false(held.some((d) => d.id === 'huge' || d.id === 'forged'));
  }
  t.true((s.rejections.get('TOO_LARGE') ?? 0) > 0, 'oversized exchanges and records were refused');
  t.true((s.rejections.get('REFUSED') ?? 0) > 0, 'records over the per-node limit were refused');
  t.log(`largest stream frame ${s.maxFrame} bytes; rejections ${JSON.stringify(Object.fromEntries(s.rejections))}`);
});

test("a node that joins after a member died still gets the dead member's records: what healing it needs", (t) => {
  const n = 8;
  const s = build(n, { seed: 7 });
  const who = simName(3);
  publish(s, 3, s.signer.sign(who, 'amt-admin', 1));
  t.not(s.until(() => s.holders(who, 'amt-admin', 1) === n, 60_000), null);
  s.cluster.kill(3);
  t.not(
    s.until(() => s.cores.every((c, i) => i === 3 || c.members().find((m) => m.name === who)?.state === 'dead'), 60_000),
    null,
    'the others buried it',
  );
  const late = s.cluster.add([s.cluster.addr(0)]);
  s.cluster.start(late, 1);
  t.not(
    s.until(() => s.cores[late]?.recordDigest().some((d) => d.node === who && d.id === 'amt-admin') === true, 10 * PUSH_PULL_MS),
    null,
  );
  t.is(s.cores[late]?.members().find((m) => m.name === who)?.state, 'dead');
});
