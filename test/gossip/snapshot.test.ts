// snapshot()/restore(): a node takes a saved membership as if a push-pull had
// brought it. Every record is checked as one from the network is, so a
// snapshot cannot smuggle in a member under a forged signature, and nothing
// restored is passed on as news.
import test from 'ava';
import { SwimNode } from '../../agent/gossip/swim.ts';
import { DEFAULT_CONFIG } from '../../agent/gossip/types.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';

const T0 = Date.UTC(2026, 10, 24);

function node(reg: SimRegistry, name: string): SwimNode {
  const rng = new Rng(name.charCodeAt(0));
  const n = new SwimNode({ ...DEFAULT_CONFIG, name, addr: `${name}:1`, seeds: [], incarnation: 1 }, reg.issue(name), () => rng.next(), T0);
  n.start(T0);
  return n;
}

test('restore learns every member of the snapshots, alive, without sending anything', (t) => {
  const reg = new SimRegistry(new Rng(5));
  const [a, b, c] = ['a', 'b', 'c'].map((n) => node(reg, n)) as [SwimNode, SwimNode, SwimNode];
  a.takeOutbound();
  a.restore([...b.snapshot(), ...c.snapshot()], T0 + 10);
  t.deepEqual(a.members().map((m) => `${m.name}:${m.state}`).sort(), ['a:alive', 'b:alive', 'c:alive']);
  t.deepEqual(a.takeRejections(), []);
  // a's own snapshot now vouches for all three, so a fourth node learns them all from it.
  const d = node(reg, 'd');
  d.restore(a.snapshot(), T0 + 20);
  t.is(d.members().filter((m) => m.state === 'alive').length, 4);
});

test('a record with a tampered signature is refused and the member stays unknown', (t) => {
  const reg = new SimRegistry(new Rng(6));
  const a = node(reg, 'a');
  const b = node(reg, 'b');
  const [rec] = b.snapshot();
  if (!rec) return t.fail('no record');
  const sig = Uint8Array.from(rec.alive.sig);
  sig[0] = (sig[0] as number) ^ 1;
  a.restore([{ ...rec, alive: { body: rec.alive.body, sig } }], T0 + 10);
  t.deepEqual(a.members().map((m) => m.name), ['a']);
  t.true(a.takeRejections().length >= 1);
});
