// The heal decision over the real gossip core in tools/sim: one death gives
// exactly one actor, partitions never let a minority act, a liar is one
// confirmation, and a node that keeps dying is backed off and given up on.
import test from 'ava';
import { rank } from '../../agent/heal/rank.ts';
import { HealSim } from './sim-harness.ts';

const SETTLE = 20_000;
const everyone = { means: () => ({ channel: true, recoveryKey: true }), unattestedPeers: true };

test('one death: exactly one node acts, over 200 seeds; it is the first in rank unless rank 1 died too', (t) => {
  let rankOneActed = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const s = new HealSim({ nodes: 4, seed });
    s.run(SETTLE);
    const x = 1 + (seed % 3);
    const inc = s.cluster.core(x)?.self().incarnation ?? 1;
    s.kill(x);
    s.run(40_000);
    const acts = s.acts.filter((a) => a.subject === s.name(x));
    if (acts.length !== 1) return t.fail(`seed ${seed}: ${acts.length} actors on ${s.name(x)}: ${JSON.stringify(acts)}`);
    const order = rank(s.name(x), inc, [0, 1, 2, 3].filter((i) => i !== x).map((i) => s.cluster.core(i)?.self()).filter((m) => m !== undefined), everyone);
    if (acts[0]?.node === s.cluster.indexOfName(order[0] as string)) rankOneActed++;
    t.true(s.cluster.isAlive(x), `seed ${seed}: ${s.name(x)} was power-cycled and rejoined`);
  }
  t.is(rankOneActed, 200, 'with rank 1 alive, it is always rank 1 that acts');
});

test('rank 2 acts only when rank 1 is dead or silent, and then after the actor delay', (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    for (const how of ['dead', 'silent'] as const) {
      // Five nodes: with x and rank 1 both dead, three of five still make a majority.
      const s = new HealSim({ nodes: 5, seed });
      s.run(SETTLE);
      const x = 4;
      const inc = s.cluster.core(x)?.self().incarnation ?? 1;
      const order = rank(s.name(x), inc, [0, 1, 2, 3].map((i) => s.cluster.core(i)?.self()).filter((m) => m !== undefined), everyone);
      const first = s.cluster.indexOfName(order[0] as string) as number;
      const second = s.cluster.indexOfName(order[1] as string) as number;
      if (how === 'dead') s.kill(first);
      else s.silent.add(first);
      const killedAt = s.cluster.now();
      s.kill(x);
      s.run(60_000);
      const acts = s.acts.filter((a) => a.subject === s.name(x));
      t.is(acts.length, 1, `seed ${seed} ${how}: ${JSON.stringify(acts)}`);
      t.is(acts[0]?.node, second, `seed ${seed} ${how}: the second in rank acts`);
      if (how === 'silent') t.true((acts[0]?.at ?? 0) - killedAt >= 10_000, 'only after the actor delay');
    }
  }
});

test('partition {Y} | {X, Z}: the lone node never acts; the pair acts once on Y', (t) => {
  for (let seed = 1; seed <= 30; seed++) {
    const s = new HealSim({ nodes: 3, seed });
    s.run(SETTLE);
    s.partition((i) => (i === 0 ? 0 : 1), 60_000);
    s.run(60_000);
    t.deepEqual(s.acts.filter((a) => a.node === 0), [], `seed ${seed}: the minority acted`);
    const onY = s.acts.filter((a) => a.subject === s.name(0));
    t.is(onY.length, 1, `seed ${seed}: ${JSON.stringify(s.acts)}`);
    t.deepEqual(s.audits.filter((a) => a.node === 0 && a.entry.kind === 'confirmed'), [], `seed ${seed}: Y alone is one confirmation, not K`);
  }
});

test('5|4 split: the four never act, the five act once on each of the four, never both sides on each other', (t) => {
  let gated = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const s = new HealSim({ nodes: 9, seed });
    s.run(SETTLE);
    s.partition((i) => (i < 5 ? 0 : 1), 60_000);
    s.run(60_000);
    t.deepEqual(s.acts.filter((a) => a.node >= 5), [], `seed ${seed}: the minority acted`);
    // Often the five power-cycle the four before these are due; when not, the gate held.
    if (s.audits.some((a) => a.node >= 5 && (a.entry.kind === 'no-quorum' || a.entry.kind === 'self-check-failed'))) gated++;
    for (let v = 5; v < 9; v++) t.is(s.acts.filter((a) => a.subject === s.name(v)).length, 1, `seed ${seed}: one actor on ${s.name(v)}`);
    t.is(s.acts.length, 4);
  }
  t.true(gated > 0, 'in some runs the minority was due and found no quorum (in its view or by pinging)');
});

test('2|2 split: neither side has a majority, nobody acts', (t) => {
  const s = new HealSim({ nodes: 4, seed: 9 });
  s.run(SETTLE);
  s.partition((i) => (i < 2 ? 0 : 1), 60_000);
  s.run(60_000);
  t.deepEqual(s.acts, []);
  t.true(s.audits.filter((a) => a.entry.kind === 'no-quorum').length >= 4);
});

test('a liar claiming a live node dead is one confirmation: no case opens, nobody acts', (t) => {
  const s = new HealSim({ nodes: 5, seed: 11 });
  s.run(SETTLE);
  s.lie(1, 3, 60_000);
  s.run(60_000);
  t.deepEqual(s.acts, []);
  t.deepEqual(s.audits.filter((a) => a.entry.kind === 'confirmed'), []);
  t.true(s.cluster.isAlive(3));
});

test('the node rejoins inside the backoff delay: the pending action is cancelled', (t) => {
  const s = new HealSim({ nodes: 4, seed: 12, backoffDelaysMs: [0, 60_000, 300_000] });
  s.run(SETTLE);
  const x = 2;
  s.kill(x);
  s.run(40_000);
  t.is(s.acts.length, 1, 'the first death is acted on at once');
  t.true(s.cluster.isAlive(x));
  s.run(20_000);
  // Dies again; comes back by itself (its watchdog) 20 s later, inside the 60 s delay.
  const inc = s.cluster.core(x)?.self().incarnation ?? 1;
  s.kill(x);
  s.cluster.at(s.cluster.now() + 20_000, () => s.cluster.start(x, inc + 1));
  s.run(120_000);
  t.is(s.acts.length, 1, 'no second action');
  t.true(s.audits.some((a) => a.entry.kind === 'cancelled' && a.entry.subject === s.name(x)));
});

test('a node that keeps dying: delays grow, then every peer gives up with the reason', (t) => {
  const s = new HealSim({ nodes: 4, seed: 13, backoffDelaysMs: [0, 30_000, 90_000], maxAttempts: 3 });
  s.run(SETTLE);
  const x = 3;
  const deaths: number[] = [];
  for (let k = 0; k < 4; k++) {
    deaths.push(s.cluster.now());
    s.kill(x);
    s.run(150_000);
    if (k < 3) t.true(s.cluster.isAlive(x), `death ${k} was healed`);
  }
  const acts = s.acts.filter((a) => a.subject === s.name(x));
  t.is(acts.length, 3);
  const delays = acts.map((a, k) => a.at - (deaths[k] as number));
  t.true((delays[1] as number) >= 30_000 && (delays[2] as number) >= 90_000 && (delays[0] as number) < 30_000, `delays ${delays.join(', ')}`);
  t.true(s.giveUps.length >= 1);
  t.regex(s.giveUps[0]?.why ?? '', /after 3 recovery attempts .* left for a human/);
  t.false(s.cluster.isAlive(x));
});

test('decision adds little to detection: median kill->act within 1.5x of kill->confirmed, over 50 seeds', (t) => {
  const confirmed: number[] = [];
  const acted: number[] = [];
  for (let seed = 1; seed <= 50; seed++) {
    const s = new HealSim({ nodes: 5, seed });
    s.run(SETTLE);
    const k = s.cluster.now();
    s.kill(4);
    s.run(40_000);
    const c = s.audits.filter((a) => a.entry.kind === 'confirmed').map((a) => a.entry.at - k);
    const a = s.acts[0];
    if (c.length === 0 || a === undefined) return t.fail(`seed ${seed}: no confirmation or no act`);
    confirmed.push(Math.min(...c));
    acted.push(a.at - k);
  }
  const median = (v: number[]): number => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] as number;
  t.log(`median kill->confirmed ${median(confirmed)} ms, kill->act ${median(acted)} ms`);
  t.true(median(acted) >= median(confirmed));
  t.true(median(acted) <= 1.5 * median(confirmed), `act ${median(acted)} ms vs confirmed ${median(confirmed)} ms`);
});
