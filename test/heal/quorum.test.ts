import test from 'ava';
import { StableMembership } from '../../agent/heal/quorum.ts';
import { mv, T0 } from './helpers.ts';

const cfg = { settleMs: 5_000, forgetMs: 60_000, stableMs: 3_000 };

test('members count only after the settle period', (t) => {
  const s = new StableMembership(cfg);
  s.observe([mv('a'), mv('b'), mv('c')], T0);
  t.deepEqual(s.stable(), []);
  t.false(s.hasQuorum('c', 'majority').ok, 'no stable membership yet: nobody may fence');
  s.settle(T0 + 4_999);
  t.deepEqual(s.stable(), []);
  s.settle(T0 + 5_000);
  t.deepEqual(s.stable(), ['a', 'b', 'c']);
});

test('a minority partition never has quorum, even after its view settles without the others', (t) => {
  const s = new StableMembership(cfg);
  s.observe([mv('y'), mv('x'), mv('z')], T0);
  s.settle(T0 + 5_000);
  // Y alone: X and Z dead in its view, for longer than the settle period.
  s.observe([mv('y'), mv('x', 'dead'), mv('z', 'dead')], T0 + 6_000);
  s.settle(T0 + 50_000);
  t.deepEqual(s.stable(), ['x', 'y', 'z']);
  t.deepEqual(s.hasQuorum('x', 'majority'), { ok: false, alive: 1, of: 3 });
  // The majority side {X, Z} sees Y dead: 2 of 3.
  const m = new StableMembership(cfg);
  m.observe([mv('y'), mv('x'), mv('z')], T0);
  m.settle(T0 + 5_000);
  m.observe([mv('y', 'dead'), mv('x'), mv('z')], T0 + 6_000);
  t.deepEqual(m.hasQuorum('y', 'majority'), { ok: true, alive: 2, of: 3 });
});

test("5|4 split: the five have quorum, the four do not; 2|2 neither; 'all' needs everyone but the subject", (t) => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
  const s = new StableMembership(cfg);
  s.observe(names.map((n) => mv(n)), T0);
  s.settle(T0 + 5_000);
  const side = (alive: string[]) => names.map((n) => mv(n, alive.includes(n) ? 'alive' : 'dead'));
  s.observe(side(['a', 'b', 'c', 'd', 'e']), T0 + 6_000);
  t.true(s.hasQuorum('f', 'majority').ok);
  t.false(s.hasQuorum('f', 'all').ok);
  s.observe(side(['f', 'g', 'h', 'i']), T0 + 7_000);
  t.false(s.hasQuorum('a', 'majority').ok);
  const four = new StableMembership(cfg);
  four.observe([mv('a'), mv('b'), mv('c'), mv('d')], T0);
  four.settle(T0 + 5_000);
  four.observe([mv('a'), mv('b'), mv('c', 'dead'), mv('d', 'dead')], T0 + 6_000);
  t.false(four.hasQuorum('c', 'majority').ok, '2 of 4 is not a majority');
  four.observe([mv('a'), mv('b'), mv('c', 'dead'), mv('d')], T0 + 7_000);
  t.true(four.hasQuorum('c', 'all').ok, 'all but the subject');
});

test('a member gone longer than forgetMs, or one that left, stops counting', (t) => {
  const s = new StableMembership(cfg);
  s.observe([mv('a'), mv('b'), mv('c')], T0);
  s.settle(T0 + 5_000);
  s.observe([mv('a'), mv('b', 'left'), mv('c', 'dead')], T0 + 6_000);
  t.deepEqual(s.stable(), ['a', 'c']);
  s.settle(T0 + 66_000);
  t.deepEqual(s.stable(), ['a']);
  t.true(s.hasQuorum('c', 'majority').ok);
});

test('a suspect member does not count as alive (a partition turns the far side suspect first); a name missing from the view is dead', (t) => {
  const s = new StableMembership(cfg);
  s.observe([mv('a'), mv('b'), mv('c')], T0);
  s.settle(T0 + 5_000);
  s.observe([mv('a'), mv('b', 'suspect')], T0 + 6_000);
  t.false(s.isAlive('b'));
  t.false(s.isAlive('c'));
  t.deepEqual(s.hasQuorum('c', 'majority'), { ok: false, alive: 1, of: 3 });
});

test('settled around a death: the subject down and everyone else unchanged for stableMs', (t) => {
  const s = new StableMembership(cfg);
  s.observe([mv('a'), mv('b'), mv('c'), mv('x')], T0);
  s.observe([mv('a'), mv('b'), mv('c'), mv('x', 'suspect')], T0 + 10_000);
  t.like(s.settledAround('x', T0 + 11_000), { ok: false, wait: 2_000 });
  s.observe([mv('a'), mv('b'), mv('c'), mv('x', 'dead')], T0 + 12_000);
  t.like(s.settledAround('x', T0 + 13_000), { ok: true, wait: 0 }, 'down since its suspicion');
  s.observe([mv('a'), mv('b', 'suspect'), mv('c'), mv('x', 'dead')], T0 + 13_500);
  t.like(s.settledAround('x', T0 + 14_000), { ok: false, wait: 2_500 }, 'another member changed: wait again');
});

test('quorumPeers: whom a self-check pings and how many must answer, besides this node', (t) => {
  const s = new StableMembership(cfg);
  s.observe(['a', 'b', 'c', 'd', 'e'].map((n) => mv(n)), T0);
  s.settle(T0 + 5_000);
  t.deepEqual(s.quorumPeers('e', 'a', 'majority'), { peers: ['b', 'c', 'd'], need: 2 }, '3 of 5 with this node');
  t.deepEqual(s.quorumPeers('e', 'a', 'all'), { peers: ['b', 'c', 'd'], need: 3 }, 'everyone but the subject');
  s.restore(['f', 'g'], T0 + 6_000);
  t.deepEqual(s.stable(), ['a', 'b', 'c', 'd', 'e', 'f', 'g'], 'a persisted membership counts at once');
  t.false(s.isAlive('f'), 'as dead until seen');
  t.deepEqual(s.quorumPeers('e', 'a', 'majority').need, 3);
});
