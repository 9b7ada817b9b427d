import test from 'ava';
import fc from 'fast-check';
import { Awareness } from '../../agent/gossip/awareness.ts';
import { ProbeOrder } from '../../agent/gossip/probe-order.ts';
import { BroadcastQueue, FINAL_WEIGHT, MIN_TRANSMITS, retransmitLimit } from '../../agent/gossip/queue.ts';
import type { Signed } from '../../agent/gossip/wire.ts';
import { Rng } from '../../tools/sim/prng.ts';

test('local health multiplier saturates at S and stretches the probe interval', (t) => {
  const a = new Awareness(8);
  t.is(a.scale(500), 500);
  a.apply(3);
  t.is(a.scale(500), 2000);
  a.apply(100);
  t.is(a.health, 7);
  t.is(a.scale(500), 4000);
  a.apply(-100);
  t.is(a.health, 0);
});

test('round-robin probing visits every member once per pass, and urgent ones first', (t) => {
  const rng = new Rng(5);
  const order = new ProbeOrder(() => rng.next());
  const names = Array.from({ length: 20 }, (_, i) => `m${i}`);
  for (const n of names) order.add(n);
  for (let pass = 0; pass < 3; pass++) {
    const seen = Array.from({ length: 20 }, () => order.next(() => true));
    t.deepEqual([...seen].sort(), [...names].sort(), `pass ${pass}`);
  }
  order.prioritize('m7');
  t.is(order.next(() => true), 'm7');
  // Ineligible members are skipped, and with none eligible the answer is null rather than a loop.
  t.is(order.next(() => false), null);
  const only = order.next((n) => n === 'm3');
  t.is(only, 'm3');
});

test('an urgent member never starves the round robin: a node cut off from all re-probes its suspect every other period and still reaches the rest', (t) => {
  const rng = new Rng(9);
  const order = new ProbeOrder(() => rng.next());
  for (const n of ['a', 'b', 'c', 'd']) order.add(n);
  const picks: string[] = [];
  for (let i = 0; i < 12; i++) {
    // The accuser puts its suspect back after every probe of it (swim.ts runProbe).
    order.prioritize('a');
    picks.push(order.next(() => true) as string);
  }
  t.deepEqual(picks.filter((_, i) => i % 2 === 0), Array(6).fill('a'), 'the suspect every other period');
  t.deepEqual([...new Set(picks.filter((_, i) => i % 2 === 1))].sort(), ['a', 'b', 'c', 'd'], 'and every member in between');
  // With nobody else eligible, the suspect every period.
  order.prioritize('a');
  t.is(order.next((n) => n === 'a'), 'a');
  order.prioritize('a');
  t.is(order.next((n) => n === 'a'), 'a');
});

const upd = (n: number, size = 100): Signed => ({ body: new Uint8Array(size - 64).fill(n), sig: new Uint8Array(64) });

test('dissemination: least-sent first, the suspect first, retired after the limit', (t) => {
  const q = new BroadcastQueue();
  q.push('x', 'x', upd(1), 100, true);
  q.push('y', 'y', upd(2), 100, true);
  q.push('z', 's:z:a', upd(3), 100, false);
  // Budget for two: the buddy system puts the update about the probed member first.
  const first = q.take(250, 3, 'z');
  t.is(first.length, 2);
  t.is(first[0]?.body[0], 3);
  // Among equals the newest goes first.
  t.is(first[1]?.body[0], 2);
  // Next time the one not yet sent leads.
  t.is(q.take(150, 3, null)[0]?.body[0], 1);
  for (let i = 0; i < 5; i++) q.take(1000, 3, null);
  t.is(q.length, 0);
  // A newer update about a member retires the queued ones about it.
  q.push('x', 's:x:a', upd(4), 100, false);
  q.push('x', 's:x:b', upd(5), 100, false);
  q.push('x', 'x', upd(6), 100, true);
  t.is(q.length, 1);
  t.is(q.take(1000, 3, null)[0]?.body[0], 6);
});

test('dissemination: a death rides FINAL_WEIGHT times as many packets as other news', (t) => {
  const q = new BroadcastQueue();
  q.push('x', 'x', upd(1), 100, true);
  q.push('y', 'y', upd(2), 100, true, FINAL_WEIGHT);
  const sent = new Map<number, number>();
  for (let i = 0; i < 100 && q.length > 0; i++) for (const u of q.take(1000, 4, null)) sent.set(u.body[0] as number, (sent.get(u.body[0] as number) ?? 0) + 1);
  t.is(sent.get(1), 4);
  t.is(sent.get(2), 4 * FINAL_WEIGHT);
  t.true(FINAL_WEIGHT > 1);
});

test('retransmit limit: SWIM scaling with a floor for small clusters', (t) => {
  t.is(retransmitLimit(3, 8), MIN_TRANSMITS);
  t.is(retransmitLimit(3, 1000), 12);
  t.is(retransmitLimit(3, 10_000), 15);
});

test('dissemination picks exactly what walking the fully sorted queue would (model check)', (t) => {
  interface M { subject: string; key: string; id: number; size: number; sent: number; order: number }
  const op = fc.oneof(
    fc.record({ kind: fc.constant('push' as const), subject: fc.constantFrom('a', 'b', 'c', 'd'), author: fc.constantFrom('x', 'y', ''), size: fc.integer({ min: 70, max: 700 }) }),
    fc.record({ kind: fc.constant('take' as const), budget: fc.integer({ min: 0, max: 1400 }), limit: fc.integer({ min: 1, max: 4 }), prefer: fc.constantFrom('a', 'b', null) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const q = new BroadcastQueue();
      let model: M[] = [];
      let order = 0;
      let id = 0;
      for (const o of ops) {
        if (o.kind === 'push') {
          const key = o.author ? `s:${o.subject}:${o.author}` : o.subject;
          const replaces = o.author === '';
          const n = id++;
          q.push(o.subject, key, { body: Uint8Array.of(n & 0xff, n >> 8), sig: new Uint8Array(0) }, o.size, replaces);
          if (replaces) model = model.filter((m) => m.subject !== o.subject);
          model = model.filter((m) => m.key !== key);
          model.push({ subject: o.subject, key, id: n, size: o.size, sent: 0, order: order++ });
          continue;
        }
        const got = q.take(o.budget, o.limit, o.prefer).map((s) => (s.body[0] as number) | ((s.body[1] as number) << 8));
        // The reference: sort everything, walk it, skip what does not fit, stop under 40 bytes left.
        const sorted = [...model].sort((a, b) => Number(b.subject === o.prefer) - Number(a.subject === o.prefer) || a.sent - b.sent || b.order - a.order);
        const want: number[] = [];
        let left = o.budget;
        for (const m of sorted) {
          if (left < 40) break;
          if (m.size > left) continue;
          left -= m.size;
          want.push(m.id);
          if (++m.sent >= o.limit) model = model.filter((x) => x !== m);
        }
        if (JSON.stringify(got) !== JSON.stringify(want)) return false;
      }
      return q.length === model.length;
    }),
    { numRuns: 500 },
  );
  t.pass();
});
