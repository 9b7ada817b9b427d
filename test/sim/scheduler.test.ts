// The event queue: time order, then scheduling order, whatever the insertion pattern.
import test from 'ava';
import { Rng } from '../../tools/sim/prng.ts';
import { Scheduler, SIM_EPOCH } from '../../tools/sim/scheduler.ts';

test('pops in (time, seq) order and advances the clock to each event', (t) => {
  const s = new Scheduler<string>(1000);
  s.at(1005, 'c');
  s.at(1001, 'a');
  s.at(1005, 'd');
  s.at(1002, 'b');
  const seen: [string, number][] = [];
  for (let e = s.pop(); e !== undefined; e = s.pop()) seen.push([e, s.now()]);
  t.deepEqual(seen, [
    ['a', 1001],
    ['b', 1002],
    ['c', 1005],
    ['d', 1005],
  ]);
  t.is(s.peekTime(), Infinity);
});

test('an event in the past runs now, after what is already queued for now', (t) => {
  const s = new Scheduler<string>(0);
  s.at(10, 'first');
  t.is(s.pop(), 'first');
  s.at(10, 'second');
  s.at(3, 'late');
  t.is(s.pop(), 'second');
  t.is(s.pop(), 'late');
  t.is(s.now(), 10);
});

test('20,000 random insertions come out sorted and stable', (t) => {
  const rng = new Rng(7);
  const s = new Scheduler<number>(0);
  const want: { t: number; i: number }[] = [];
  for (let i = 0; i < 20_000; i++) {
    const at = rng.int(500);
    s.at(at, i);
    want.push({ t: at, i });
  }
  want.sort((a, b) => a.t - b.t || a.i - b.i);
  const got: number[] = [];
  for (let e = s.pop(); e !== undefined; e = s.pop()) got.push(e);
  t.deepEqual(got, want.map((w) => w.i));
});

test('the default epoch is 2026-01-01 and advanceTo never goes back', (t) => {
  const s = new Scheduler<number>();
  t.is(s.now(), Date.UTC(2026, 0, 1));
  t.is(s.now(), SIM_EPOCH);
  s.advanceTo(SIM_EPOCH + 50);
  s.advanceTo(SIM_EPOCH + 20);
  t.is(s.now(), SIM_EPOCH + 50);
});
