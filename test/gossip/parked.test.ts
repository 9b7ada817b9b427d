// A death that names an accuser this node has not learned yet is refused
// (UNKNOWN_AUTHOR), and every relayed copy may pass before the accuser's alive
// arrives. The node keeps the death and applies it again once it knows the
// accuser, instead of waiting minutes for its next push-pull.
import test from 'ava';
import { SwimNode } from '../../agent/gossip/swim.ts';
import { DEFAULT_CONFIG, type Trust } from '../../agent/gossip/types.ts';
import { encodePacket, signUpdate, type Msg, type Update } from '../../agent/gossip/wire.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';

const T0 = Date.UTC(2026, 10, 24);

function world() {
  const reg = new SimRegistry(new Rng(11));
  const names = ['a', 'b', 'c', 'e', 'v'] as const;
  const tr = Object.fromEntries(names.map((n) => [n, reg.issue(n)])) as unknown as Record<(typeof names)[number], Trust>;
  const rng = new Rng(3);
  const a = new SwimNode({ ...DEFAULT_CONFIG, name: 'a', addr: 'a:1', seeds: [], incarnation: 1 }, tr.a, () => rng.next(), T0);
  a.start(T0);
  const alive = (n: 'b' | 'c' | 'e' | 'v', now: number) => signUpdate({ type: 'alive', name: n, incarnation: 1, time: now, addr: `${n}:1`, creds: tr[n].creds, att: null }, tr[n]);
  const suspect = (n: 'c' | 'e', now: number) => signUpdate({ type: 'suspect', author: n, subject: 'v', incarnation: 1, time: now }, tr[n]);
  const fromB = (msgs: Msg[], now: number) => a.receivePacket('b:1', encodePacket({ sender: 'b', sentAt: now, msgs }, tr.b), now);
  const dead = (now: number) => {
    const u: Update = { type: 'dead', author: 'c', subject: 'v', incarnation: 1, time: now, evidence: [suspect('c', now - 100), suspect('e', now - 100)] };
    return signUpdate(u, tr.c);
  };
  return { a, alive, fromB, dead, state: (n: string) => a.members().find((m) => m.name === n)?.state };
}

test('a death refused for an unknown accuser is applied once the accuser is learned', (t) => {
  const w = world();
  w.fromB(['b', 'c', 'v'].map((n) => ({ type: 'update', update: w.alive(n as 'b' | 'c' | 'v', T0) })), T0);
  t.is(w.state('v'), 'alive');
  const d = w.dead(T0 + 1000);
  w.fromB([{ type: 'update', update: d }], T0 + 1000);
  t.true(w.a.takeRejections().some((r) => r.error.code === 'UNKNOWN_AUTHOR'));
  t.is(w.state('v'), 'alive', 'e is not known: the death cannot be checked yet');
  // e's alive arrives; no copy of the death comes again.
  w.fromB([{ type: 'update', update: w.alive('e', T0 + 1200) }], T0 + 1200);
  t.is(w.state('e'), 'alive');
  w.a.tick(T0 + 2500);
  t.is(w.state('v'), 'dead');
  t.deepEqual(w.a.takeRejections().filter((r) => r.error.code !== 'UNKNOWN_AUTHOR'), []);
});

test('a parked death whose accuser never appears expires with the signed time window, silently', (t) => {
  const w = world();
  w.fromB(['b', 'c', 'v'].map((n) => ({ type: 'update', update: w.alive(n as 'b' | 'c' | 'v', T0) })), T0);
  w.fromB([{ type: 'update', update: w.dead(T0 + 1000) }], T0 + 1000);
  t.is(w.a.takeRejections().length, 1);
  for (let s = 2; s < 20; s++) w.a.tick(T0 + s * 1000);
  t.is(w.a.takeRejections().filter((r) => r.error.code === 'UNKNOWN_AUTHOR' && r.error.message.includes('death')).length, 0, 'retries are not logged again');
  // Nobody answers a's probes in this world, so its own round robin may suspect v; the parked death never buried it.
  t.not(w.state('v'), 'dead');
});
