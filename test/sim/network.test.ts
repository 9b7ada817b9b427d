// The network model: loss at the asked rate, latency in its bounds, one-way cuts and timed partitions.
import test from 'ava';
import { DEFAULT_NETWORK, Network } from '../../tools/sim/network.ts';
import { Rng } from '../../tools/sim/prng.ts';

const net = (over: Partial<typeof DEFAULT_NETWORK>, seed = 1): Network => new Network({ ...DEFAULT_NETWORK, ...over }, new Rng(seed));

for (const loss of [0.05, 0.2, 0.5]) {
  test(`a loss of ${loss} drops that share of datagrams`, (t) => {
    const n = net({ loss });
    const count = 200_000;
    let lost = 0;
    for (let i = 0; i < count; i++) if (n.packet(0, 1, 0) === null) lost++;
    const sd = Math.sqrt(count * loss * (1 - loss));
    t.true(Math.abs(lost - count * loss) < 5 * sd, `lost ${lost} of ${count}`);
    t.is(n.stats.lost, lost);
    t.is(n.stats.sent, count);
  });
}

test('no loss loses nothing; latency stays in [base, base + jitter) and uses the jitter', (t) => {
  const n = net({ loss: 0, latencyMs: 5, jitterMs: 3 });
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < 10_000; i++) {
    const at = n.packet(0, 1, 1000);
    if (at === null) return t.fail('a packet was lost with loss 0');
    min = Math.min(min, at - 1000);
    max = Math.max(max, at - 1000);
  }
  t.true(min >= 5 && min < 5.1, `min ${min}`);
  t.true(max < 8 && max > 7.9, `max ${max}`);
});

test('a one-way cut drops A->B and leaves B->A alone', (t) => {
  const n = net({});
  n.cutOneWay(3, 4);
  t.is(n.packet(3, 4, 0), null);
  t.not(n.packet(4, 3, 0), null);
  t.false(n.reachable(3, 4, 0));
  t.true(n.reachable(4, 3, 0));
  t.is(n.stats.cut, 1);
});

test('a partition holds only during [from, until) and only across sides', (t) => {
  const n = net({});
  n.addPartition({ side: (i) => (i < 5 ? 0 : 1), from: 100, until: 200 });
  t.true(n.reachable(1, 7, 99));
  t.false(n.reachable(1, 7, 100));
  t.false(n.reachable(7, 1, 199));
  t.true(n.reachable(1, 2, 150));
  t.true(n.reachable(6, 7, 150));
  t.true(n.reachable(1, 7, 200));
  t.false(n.partitionedWithin(99, 60));
  t.true(n.partitionedWithin(150, 60));
  t.true(n.partitionedWithin(260, 60));
  t.false(n.partitionedWithin(261, 60));
});

test('the same seed draws the same fates', (t) => {
  const run = (): (number | null)[] => {
    const n = net({ loss: 0.3, jitterMs: 10 }, 11);
    return Array.from({ length: 500 }, () => n.packet(0, 1, 0));
  };
  t.deepEqual(run(), run());
});

test('a loss outside [0, 1] is refused', (t) => {
  t.throws(() => net({ loss: 1.5 }), { instanceOf: RangeError });
});
