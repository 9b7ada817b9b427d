// The seeded PRNG: repeatable, in range, roughly uniform, and forks that do not mirror each other.
import test from 'ava';
import { Rng } from '../../tools/sim/prng.ts';

test('the same seed gives the same stream, another seed another', (t) => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 100 }, () => a.nextU32());
  t.deepEqual(Array.from({ length: 100 }, () => b.nextU32()), xs);
  t.notDeepEqual(Array.from({ length: 100 }, () => c.nextU32()), xs);
});

test('next() is in [0, 1) and its deciles hold about a tenth each', (t) => {
  const r = new Rng(1);
  const bins = new Array<number>(10).fill(0);
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const x = r.next();
    t.true(x >= 0 && x < 1);
    bins[Math.floor(x * 10)]! += 1;
  }
  // Binomial sd at p=0.1, n=1e5 is ~95; 6 sd of slack.
  for (const b of bins) t.true(Math.abs(b - n / 10) < 600, `bin ${b}`);
});

test('int(n) covers 0..n-1 and nothing else', (t) => {
  const r = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(r.int(7));
  t.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6]);
});

test('forks with different labels differ, and a fork is repeatable', (t) => {
  const f1 = new Rng(9).fork(1);
  const f2 = new Rng(9).fork(2);
  const f1again = new Rng(9).fork(1);
  const a = Array.from({ length: 20 }, () => f1.nextU32());
  t.notDeepEqual(Array.from({ length: 20 }, () => f2.nextU32()), a);
  t.deepEqual(Array.from({ length: 20 }, () => f1again.nextU32()), a);
});

test('shuffled is a permutation', (t) => {
  const xs = Array.from({ length: 50 }, (_, i) => i);
  const s = new Rng(5).shuffled(xs);
  t.notDeepEqual(s, xs);
  t.deepEqual([...s].sort((a, b) => a - b), xs);
});
