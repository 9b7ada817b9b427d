// Who confirmed a death: the gossip core names, on each suspect and dead
// event and on request, the distinct verified members whose signed
// suspicions or death of the subject it holds at the incarnation accused.
// The heal loop counts them as its K confirmations, so a liar must count once
// at most and a rejoin must start the count over.
import test from 'ava';
import { Liar } from '../../tools/sim/liar.ts';
import { DEFAULT_CONFIG, type MemberEvent } from '../../agent/gossip/types.ts';
import { MemberTable, type Member } from '../../agent/gossip/state.ts';
import { signUpdate, type Signed } from '../../agent/gossip/wire.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';
import { startCluster, type Seen } from './confirmers-sim.ts';

const N = 8;
const K = 2;

const deathsOf = (events: Seen[], name: string, incarnation: number) => events.filter((s) => s.e.name === name && s.e.to === 'dead' && s.e.incarnation === incarnation);

test('a killed member: every live node buries it naming at least K distinct confirmers, none of them the dead', (t) => {
  const s = startCluster(N, 11);
  const x = 7;
  const name = s.c.name(x);
  const killedAt = s.c.now();
  s.c.kill(x);
  s.run(15_000);
  const names = new Set(Array.from({ length: N }, (_, i) => s.c.name(i)));
  for (let i = 0; i < N - 1; i++) {
    const dead = deathsOf(s.events, name, 1).filter((d) => d.observer === i);
    t.is(dead.length, 1, `node ${i} buried ${name} once`);
    const d = dead[0] as Seen;
    const confirmers = d.e.confirmers ?? [];
    t.true(confirmers.length >= K, `node ${i}: ${confirmers.join(', ')}`);
    t.is(new Set(confirmers).size, confirmers.length, 'each confirmer once');
    t.false(confirmers.includes(name), 'the subject never confirms itself');
    for (const c of confirmers) t.true(names.has(c), `${c} is a member`);
    t.true(d.e.at - killedAt <= 15_000, `buried ${d.e.at - killedAt} ms after the kill`);
    t.deepEqual(s.node(i).confirmers(name), confirmers, 'the accessor agrees with the event');
  }
});

test('a liar alone confirms a live member at most once, and the member refutes', (t) => {
  const s = startCluster(N, 12);
  const liar = 0;
  const victim = 3;
  const vname = s.c.name(victim);
  const lname = s.c.name(liar);
  const from = s.c.now();
  new Liar(s.c, liar, victim, DEFAULT_CONFIG.maxPacketBytes).run(from, from + 10_000);
  let most = 0;
  const heard = new Set<string>();
  for (let ms = 0; ms < 10_000; ms += 50) {
    s.run(50);
    for (let i = 0; i < N; i++) {
      if (i === victim) continue;
      const c = s.node(i).confirmers(vname);
      most = Math.max(most, c.length);
      for (const n of c) heard.add(n);
    }
  }
  s.run(5_000);
  t.true(most <= 1, `at most one confirmer at any node, saw ${most}`);
  t.deepEqual([...heard], [lname], 'the liar was heard, and only the liar');
  t.is(s.events.filter((e) => e.e.name === vname && e.e.to === 'dead').length, 0, 'nobody buried the victim');
  for (const e of s.events.filter((e) => e.e.name === vname && e.e.to === 'suspect')) t.deepEqual(e.e.confirmers, [lname]);
  for (let i = 0; i < N; i++) {
    if (i === victim) continue;
    const v = s.node(i).members().find((m) => m.name === vname);
    t.is(v?.state, 'alive', `node ${i} holds the victim alive`);
    t.true((v?.incarnation ?? 0) > 1, `node ${i}: the victim refuted (incarnation ${v?.incarnation})`);
    t.deepEqual(s.node(i).confirmers(vname), [], 'its refutation cleared the accusation');
  }
});

test('confirmers start over when the dead member rejoins with a higher incarnation', (t) => {
  const s = startCluster(N, 13);
  const x = 5;
  const name = s.c.name(x);
  s.c.kill(x);
  s.run(15_000);
  t.is(deathsOf(s.events, name, 1).length, N - 1);
  s.c.start(x, 2);
  s.run(10_000);
  for (let i = 0; i < N; i++) {
    if (i === x) continue;
    const v = s.node(i).members().find((m) => m.name === name);
    t.is(v?.state, 'alive', `node ${i} saw ${name} rejoin`);
    t.is(v?.incarnation, 2);
    t.deepEqual(s.node(i).confirmers(name), [], `node ${i} dropped the old death's confirmers`);
  }
  s.c.kill(x);
  s.run(15_000);
  const again = deathsOf(s.events, name, 2);
  t.is(again.length, N - 1, 'buried again, at the new incarnation');
  for (const d of again) t.true((d.e.confirmers ?? []).length >= K);
});

test('the member table: each author once, never the subject, the death adds its evidence, a higher incarnation clears', (t) => {
  const T0 = Date.UTC(2026, 5, 1);
  const reg = new SimRegistry(new Rng(7));
  const trust = Object.fromEntries(['a', 'b', 'c', 'd', 'liar'].map((n) => [n, reg.issue(n)]));
  const tr = (n: string) => trust[n] as NonNullable<(typeof trust)[string]>;
  const self: Member = { name: 'a', addr: 'a:1', incarnation: 10, state: 'alive', key: null, alive: null, final: null, att: null, updatedAt: T0 };
  const table = new MemberTable({ ...DEFAULT_CONFIG, name: 'a' }, tr('a'), self);
  const alive = (n: string, incarnation: number): Signed => signUpdate({ type: 'alive', name: n, incarnation, time: T0, addr: `${n}:1`, creds: tr(n).creds, att: null }, tr(n));
  for (const n of ['b', 'c', 'd', 'liar']) table.apply(alive(n, 5), T0);
  const suspect = (author: string, subject: string, time = T0 + 1000): Signed => signUpdate({ type: 'suspect', author, subject, incarnation: 5, time }, tr(author));
  const event = (o: ReturnType<MemberTable['apply']>): MemberEvent | null => (o.kind === 'accepted' ? o.event : null);

  t.deepEqual(event(table.apply(suspect('liar', 'liar'), T0 + 1000))?.confirmers, [], 'a member suspecting itself confirms nothing');
  t.deepEqual(table.confirmers('liar'), []);
  t.deepEqual(event(table.apply(suspect('liar', 'b'), T0 + 1000))?.confirmers, ['liar']);
  table.apply(suspect('liar', 'b', T0 + 1500), T0 + 1500);
  t.deepEqual(table.confirmers('b'), ['liar'], 'the liar again is still one confirmer');
  table.apply(suspect('c', 'b'), T0 + 1600);
  t.deepEqual(table.confirmers('b'), ['c', 'liar']);
  const death = signUpdate({ type: 'dead', author: 'd', subject: 'b', incarnation: 5, time: T0 + 2000, evidence: [suspect('d', 'b'), suspect('c', 'b')] }, tr('d'));
  const dead = event(table.apply(death, T0 + 2000));
  t.is(dead?.to, 'dead');
  t.deepEqual(dead?.confirmers, ['c', 'd', 'liar'], 'its evidence and the suspicions held here at that incarnation');
  t.deepEqual(table.confirmers('b'), ['c', 'd', 'liar']);
  t.deepEqual(table.confirmers('c'), [], 'a live member has none');
  const back = event(table.apply(alive('b', 6), T0 + 3000));
  t.is(back?.to, 'alive');
  t.is(back?.confirmers, undefined);
  t.deepEqual(table.confirmers('b'), [], 'the rejoin cleared them');
});
