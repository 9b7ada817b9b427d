// Gossip's member events as the decision core's confirmations: a death gossip
// buried on K signed accusers opens a case in a real DecisionCore; a suspicion,
// a liar's lone word or a dead event without confirmers opens none; a rejoin closes it.
import test from 'ava';
import { DEFAULT_CONFIG, type MemberEvent } from '../../agent/gossip/types.ts';
import { confirmedDead, healEvents } from '../../agent/heal/from-gossip.ts';
import type { HealOutput } from '../../agent/heal/types.ts';
import { Liar } from '../../tools/sim/liar.ts';
import { startCluster } from '../gossip/confirmers-sim.ts';
import { core, mv, T0 } from './helpers.ts';

const ev = (to: MemberEvent['to'], confirmers?: string[], incarnation = 3): MemberEvent => ({ name: 'x', from: 'suspect', to, incarnation, at: T0, ...(confirmers ? { confirmers } : {}) });
const confirmedAudits = (out: HealOutput[]) => out.flatMap((o) => (o.type === 'audit' && o.entry.kind === 'confirmed' ? [o.entry] : []));

test('a dead event becomes one confirmation per distinct confirmer, never the subject', (t) => {
  t.deepEqual(healEvents(ev('dead', ['a', 'b', 'a', 'x'])), [
    { type: 'confirmed-dead', subject: 'x', incarnation: 3, by: 'a' },
    { type: 'confirmed-dead', subject: 'x', incarnation: 3, by: 'b' },
  ]);
  t.deepEqual(healEvents(ev('dead')), [], 'no confirmers, no confirmations');
  t.deepEqual(healEvents(ev('suspect', ['a', 'b'])), [], 'a suspicion is not a death');
  t.deepEqual(healEvents(ev('left')), []);
  t.deepEqual(healEvents(ev('alive', undefined, 4)), [{ type: 'alive', subject: 'x', incarnation: 4 }]);
  t.deepEqual(confirmedDead('x', 3, ['x']), []);
});

test('a killed member in the simulator: each survivor feeds its dead event to a DecisionCore, which reaches K and opens a case', (t) => {
  const s = startCluster(8, 21);
  const x = 6;
  const name = s.c.name(x);
  s.c.kill(x);
  s.run(15_000);
  for (let i = 0; i < 8; i++) {
    if (i === x) continue;
    const self = s.c.name(i);
    const d = core(self);
    d.handle({ type: 'tick', now: s.c.now() });
    d.handle({ type: 'view', members: s.node(i).members() });
    const dead = s.events.filter((e) => e.observer === i && e.e.name === name && e.e.to === 'dead');
    t.is(dead.length, 1);
    const out = dead.flatMap((e) => healEvents(e.e)).flatMap((h) => d.handle(h));
    const confirmed = confirmedAudits(out);
    t.is(confirmed.length, 1, `${self} opened one case`);
    t.regex(confirmed[0]?.why ?? '', /^\d+ distinct confirmations .*, 2 needed$/);
    t.true(Number(/^(\d+)/.exec(confirmed[0]?.why ?? '')?.[1]) >= 2);
    t.not(d.phase(name), null);
    // The same death restored from the accessor (a decision core started late) adds nothing new.
    const again = confirmedDead(name, 1, s.node(i).confirmers(name)).flatMap((h) => d.handle(h));
    t.is(confirmedAudits(again).length, 0);
  }
});

test('one confirmer is not K: the case opens only when a second member confirms, and a rejoin closes it', (t) => {
  const d = core('a');
  d.handle({ type: 'tick', now: T0 });
  d.handle({ type: 'view', members: [mv('a', 'alive', 1, true, true), mv('b'), mv('c'), mv('x', 'dead', 3)] });
  t.deepEqual(confirmedAudits(healEvents(ev('dead', ['b'])).flatMap((h) => d.handle(h))), []);
  t.is(d.phase('x'), null, 'a lone confirmer (a liar) opens nothing');
  t.is(confirmedAudits(healEvents(ev('dead', ['b', 'c'])).flatMap((h) => d.handle(h))).length, 1);
  t.not(d.phase('x'), null);
  d.handle({ type: 'view', members: [mv('a', 'alive', 1, true, true), mv('b'), mv('c'), mv('x', 'alive', 4)] });
  healEvents({ name: 'x', from: 'dead', to: 'alive', incarnation: 4, at: T0 }).forEach((h) => d.handle(h));
  t.is(d.phase('x'), null, 'the rejoin at a higher incarnation closed the case');
});

test('a liar in the simulator: a DecisionCore fed every event about its victim opens no case', (t) => {
  const s = startCluster(8, 22);
  const victim = 3;
  const vname = s.c.name(victim);
  const from = s.c.now();
  new Liar(s.c, 0, victim, DEFAULT_CONFIG.maxPacketBytes).run(from, from + 10_000);
  s.run(15_000);
  const about = s.events.filter((e) => e.e.at >= from && e.e.name === vname);
  t.true(about.some((e) => e.e.to === 'suspect'), 'the lies reached the cores');
  for (let i = 1; i < 8; i++) {
    if (i === victim) continue;
    const d = core(s.c.name(i));
    d.handle({ type: 'tick', now: s.c.now() });
    d.handle({ type: 'view', members: s.node(i).members() });
    const feed = about.filter((e) => e.observer === i).flatMap((e) => healEvents(e.e));
    t.false(feed.some((h) => h.type === 'confirmed-dead'));
    t.deepEqual(confirmedAudits(feed.flatMap((h) => d.handle(h))), []);
    t.is(d.phase(vname), null);
  }
});
