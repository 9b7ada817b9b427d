// The cluster driver, run with a tiny echo core (defined here, for these tests
// only): wakes at the core's deadline, packets through the network model,
// streams round by round, kills, restarts and slow nodes.
import test from 'ava';
import type { Addr, MemberEvent, MemberView, Outbound, Rejection } from '../../agent/gossip/types.ts';
import { Cluster, MAX_STREAM_ROUNDS, simAddr, type ClusterObserver } from '../../tools/sim/cluster.ts';
import type { CoreSpec, SimCore } from '../../tools/sim/core.ts';
import { DEFAULT_NETWORK, Network, type NetworkConfig } from '../../tools/sim/network.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SIM_EPOCH } from '../../tools/sim/scheduler.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Pings node 0 every `period` ms (node 0 pongs back); opens one stream to node 0 on start when asked. */
class Echo implements SimCore {
  readonly log: string[] = [];
  ticks: number[] = [];
  private out: Outbound[] = [];
  private next: number;
  constructor(
    private readonly spec: CoreSpec,
    private readonly opts: { period: number; streamRounds: number },
  ) {
    this.next = spec.now + opts.period;
  }
  start(now: number): void {
    this.log.push(`start ${now - SIM_EPOCH}`);
    if (this.opts.streamRounds > 0 && this.spec.index !== 0) this.out.push({ kind: 'stream', to: simAddr(0), bytes: enc.encode('r0') });
  }
  receivePacket(from: Addr, bytes: Uint8Array, now: number): void {
    const text = dec.decode(bytes);
    this.log.push(`recv ${text} from ${from} at ${now - SIM_EPOCH}`);
    if (text.startsWith('ping')) this.out.push({ kind: 'packet', to: from, bytes: enc.encode(`pong ${this.spec.name}`) });
  }
  receiveStream(_from: Addr, bytes: Uint8Array): Uint8Array | null {
    const n = Number(dec.decode(bytes).slice(1));
    return enc.encode(`a${n}`);
  }
  receiveStreamReply(_to: Addr, bytes: Uint8Array): Uint8Array | null {
    const n = Number(dec.decode(bytes).slice(1));
    this.log.push(`reply ${n}`);
    return n + 1 < this.opts.streamRounds ? enc.encode(`r${n + 1}`) : null;
  }
  streamFailed(to: Addr, now: number): void {
    this.log.push(`failed ${to} at ${now - SIM_EPOCH}`);
  }
  tick(now: number): void {
    this.ticks.push(now - SIM_EPOCH);
    if (now >= this.next) {
      if (this.spec.index !== 0) this.out.push({ kind: 'packet', to: simAddr(0), bytes: enc.encode(`ping ${this.spec.name}`) });
      this.next = now + this.opts.period;
    }
  }
  takeOutbound(): Outbound[] {
    const o = this.out;
    this.out = [];
    return o;
  }
  takeEvents(): MemberEvent[] {
    return [];
  }
  takeRejections(): Rejection[] {
    return [];
  }
  nextWake(): number {
    return this.next;
  }
  members(): MemberView[] {
    return [];
  }
  self(): MemberView {
    return { name: this.spec.name, addr: this.spec.addr, state: 'alive', incarnation: this.spec.incarnation, attested: false, updatedAt: 0, self: true };
  }
}

function counting(): ClusterObserver & { sent: number[]; received: number[]; frames: number[]; starts: string[] } {
  const o = {
    sent: [] as number[],
    received: [] as number[],
    frames: [] as number[],
    starts: [] as string[],
    event: () => undefined,
    rejection: () => undefined,
    started: (n: number, inc: number) => void o.starts.push(`${n}@${inc}`),
    killed: () => undefined,
    packetSent: (n: number) => void (o.sent[n] = (o.sent[n] ?? 0) + 1),
    packetReceived: (n: number) => void (o.received[n] = (o.received[n] ?? 0) + 1),
    frameSent: (n: number) => void (o.frames[n] = (o.frames[n] ?? 0) + 1),
    frameReceived: () => undefined,
  };
  return o;
}

function build(n: number, opts: { period?: number; streamRounds?: number; net?: Partial<NetworkConfig> } = {}) {
  const cores: Echo[] = [];
  const observer = counting();
  const cluster = new Cluster({
    start: SIM_EPOCH,
    net: new Network({ ...DEFAULT_NETWORK, latencyMs: 10, jitterMs: 0, ...opts.net }, new Rng(1)),
    registry: new SimRegistry(new Rng(2)),
    rng: new Rng(3),
    observer,
    factory: (spec) => {
      const c = new Echo(spec, { period: opts.period ?? 100, streamRounds: opts.streamRounds ?? 0 });
      cores[spec.index] = c;
      return c;
    },
  });
  for (let i = 0; i < n; i++) cluster.add([simAddr(0)]);
  return { cluster, cores, observer };
}

test('a core is ticked at its deadline and its packets arrive one latency later', (t) => {
  const { cluster, cores, observer } = build(2);
  cluster.start(0, 1);
  cluster.start(1, 1);
  cluster.runUntil(SIM_EPOCH + 350);
  t.deepEqual(cores[1]?.ticks, [100, 200, 300]);
  t.deepEqual(cores[0]?.log.filter((l) => l.startsWith('recv')), ['recv ping n00001 from 127.0.0.2:7946 at 110', 'recv ping n00001 from 127.0.0.2:7946 at 210', 'recv ping n00001 from 127.0.0.2:7946 at 310']);
  t.deepEqual(cores[1]?.log.filter((l) => l.startsWith('recv')), ['recv pong n00000 from 127.0.0.1:7946 at 120', 'recv pong n00000 from 127.0.0.1:7946 at 220', 'recv pong n00000 from 127.0.0.1:7946 at 320']);
  t.is(observer.sent[1], 3);
  t.is(observer.received[0], 3);
});

test('a killed node gets nothing, and a restart is a fresh core at the asked incarnation', (t) => {
  const { cluster, cores, observer } = build(2);
  cluster.start(0, 1);
  cluster.start(1, 1);
  cluster.runUntil(SIM_EPOCH + 150);
  cluster.kill(0);
  t.false(cluster.isAlive(0));
  cluster.runUntil(SIM_EPOCH + 450);
  t.is(observer.received[0], 1, 'only the ping before the kill');
  t.is(cluster.stats.vanished, 3);
  const before = cores[0];
  cluster.start(0, 5);
  t.not(cores[0], before);
  t.deepEqual(observer.starts, ['0@1', '1@1', '0@5']);
  t.is(cluster.core(0)?.self().incarnation, 5);
  cluster.runUntil(SIM_EPOCH + 520);
  t.true(cores[0]?.log.some((l) => l.startsWith('recv ping')));
});

test('a stream runs request/reply rounds until the client closes', (t) => {
  const { cluster, cores, observer } = build(2, { period: 10_000, streamRounds: 3 });
  cluster.start(0, 1);
  cluster.start(1, 1);
  cluster.runUntil(SIM_EPOCH + 1000);
  t.deepEqual(cores[1]?.log.filter((l) => !l.startsWith('start')), ['reply 0', 'reply 1', 'reply 2']);
  t.is(observer.frames[1], 3);
  t.is(observer.frames[0], 3);
  t.is(cluster.stats.streamFailures, 0);
});

test(`a stream that wants more than ${MAX_STREAM_ROUNDS} rounds fails, as the daemon's transport fails it`, (t) => {
  const { cluster, cores } = build(2, { period: 10_000, streamRounds: 100 });
  cluster.start(0, 1);
  cluster.start(1, 1);
  cluster.runUntil(SIM_EPOCH + 2000);
  const log = cores[1]?.log ?? [];
  t.is(log.filter((l) => l.startsWith('reply')).length, MAX_STREAM_ROUNDS);
  t.true(log.at(-1)?.startsWith('failed 127.0.0.1:7946'));
  t.is(cluster.stats.streamsCutAtRoundLimit, 1);
});

test('a stream to a dead node fails within a round trip, to a partitioned one at the connect timeout', (t) => {
  const dead = build(2, { period: 10_000, streamRounds: 1 });
  dead.cluster.start(1, 1);
  dead.cluster.runUntil(SIM_EPOCH + 5000);
  t.deepEqual(dead.cores[1]?.log.slice(1), ['failed 127.0.0.1:7946 at 20']);

  const cut = build(2, { period: 10_000, streamRounds: 1 });
  cut.cluster.net.addPartition({ side: (i) => i, from: SIM_EPOCH, until: SIM_EPOCH + 10_000 });
  cut.cluster.start(0, 1);
  cut.cluster.start(1, 1);
  cut.cluster.runUntil(SIM_EPOCH + 5000);
  t.deepEqual(cut.cores[1]?.log.slice(1), [`failed 127.0.0.1:7946 at ${DEFAULT_NETWORK.streamConnectTimeoutMs}`]);
});

test('a slow node processes its packets and its ticks late by its delay', (t) => {
  const { cluster, cores } = build(2);
  cluster.setSlow(0, 500);
  cluster.setSlow(1, 40);
  cluster.start(0, 1);
  cluster.start(1, 1);
  cluster.runUntil(SIM_EPOCH + 1000);
  t.deepEqual(cores[1]?.ticks.slice(0, 2), [140, 280]);
  t.is(cores[0]?.log.find((l) => l.startsWith('recv')), 'recv ping n00001 from 127.0.0.2:7946 at 650');
});

test('one-way loss: A->B is cut, B still reaches A', (t) => {
  const { cluster, cores, observer } = build(2);
  cluster.net.cutOneWay(0, 1);
  cluster.start(0, 1);
  cluster.start(1, 1);
  cluster.runUntil(SIM_EPOCH + 350);
  t.is(observer.received[0], 3, 'pings arrive');
  t.is(observer.received[1] ?? 0, 0, 'pongs do not');
  t.is(cores[1]?.log.filter((l) => l.startsWith('recv')).length, 0);
});
