// Wake-on-LAN through gossip peers: a member takes a wake request only from a
// member it holds live, only for a member it holds dead itself, once per
// request id; and a node asks only for a member it holds dead.
import test from 'ava';
import { SwimNode } from '../../agent/gossip/swim.ts';
import { DEFAULT_CONFIG, type Trust } from '../../agent/gossip/types.ts';
import { decodePacket, encodePacket, signUpdate, type Msg, type Update } from '../../agent/gossip/wire.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';

const T0 = Date.UTC(2026, 10, 24);
const MAC = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);

function world() {
  const reg = new SimRegistry(new Rng(21));
  const names = ['a', 'b', 'c', 'e', 'v', 'x'] as const;
  type Name = (typeof names)[number];
  const tr = Object.fromEntries(names.map((n) => [n, reg.issue(n)])) as unknown as Record<Name, Trust>;
  const rng = new Rng(4);
  const a = new SwimNode({ ...DEFAULT_CONFIG, name: 'a', addr: 'a:1', seeds: [], incarnation: 1 }, tr.a, () => rng.next(), T0);
  a.start(T0);
  const alive = (n: Name, now: number) => signUpdate({ type: 'alive', name: n, incarnation: 1, time: now, addr: `${n}:1`, creds: tr[n].creds, att: null }, tr[n]);
  const send = (from: Name, msgs: Msg[], now: number) => a.receivePacket(`${from}:1`, encodePacket({ sender: from, sentAt: now, msgs }, tr[from]), now);
  const suspect = (n: 'c' | 'e', now: number) => signUpdate({ type: 'suspect', author: n, subject: 'v', incarnation: 1, time: now }, tr[n]);
  const bury = (now: number) => {
    const u: Update = { type: 'dead', author: 'c', subject: 'v', incarnation: 1, time: now, evidence: [suspect('c', now - 100), suspect('e', now - 100)] };
    send('b', [{ type: 'update', update: signUpdate(u, tr.c) }], now);
  };
  send('b', (['b', 'c', 'e', 'v'] as const).map((n) => ({ type: 'update', update: alive(n, T0) })), T0);
  a.takeOutbound();
  a.takeRejections();
  return { a, send, bury, state: (n: string) => a.members().find((m) => m.name === n)?.state };
}

const wake = (nonce: number, subject = 'v'): Msg => ({ type: 'wake', nonce, subject, mac: MAC });

test('a wake for a member this node holds dead, from a live member, is passed to the daemon once', (t) => {
  const w = world();
  w.bury(T0 + 1000);
  t.is(w.state('v'), 'dead');
  w.send('b', [wake(7)], T0 + 2000);
  const got = w.a.takeWakes();
  t.is(got.length, 1);
  t.like(got[0], { from: 'b', subject: 'v', at: T0 + 2000 });
  t.deepEqual(got[0]?.mac, MAC);
  // The same request again (a replayed packet): nothing; a new request id: once more.
  w.send('b', [wake(7)], T0 + 2100);
  t.is(w.a.takeWakes().length, 0);
  w.send('b', [wake(8)], T0 + 2200);
  t.is(w.a.takeWakes().length, 1);
});

test('a wake for a member this node holds alive is refused: a liar cannot get a running machine poked', (t) => {
  const w = world();
  w.send('b', [wake(1)], T0 + 1000);
  t.deepEqual(w.a.takeWakes(), []);
  const r = w.a.takeRejections();
  t.is(r.length, 1);
  t.is(r[0]?.error.code, 'REFUSED');
  w.send('b', [wake(2, 'nobody')], T0 + 1100);
  t.deepEqual(w.a.takeWakes(), []);
});

test('a wake from a node that is not a member goes nowhere', (t) => {
  const w = world();
  w.bury(T0 + 1000);
  w.send('x', [wake(3)], T0 + 2000);
  t.deepEqual(w.a.takeWakes(), []);
  t.true(w.a.takeRejections().length >= 1);
});

test('askWake: only for a member held dead; asks live members other than the subject, with a wake message', (t) => {
  const w = world();
  const early = w.a.askWake('v', MAC, T0 + 500);
  t.false(early.ok);
  if (!early.ok) t.is(early.error.code, 'REFUSED');
  t.deepEqual(w.a.takeOutbound(), []);
  w.bury(T0 + 1000);
  w.a.takeOutbound();
  const asked = w.a.askWake('v', MAC, T0 + 2000);
  t.true(asked.ok && asked.value >= 1 && asked.value <= 3, JSON.stringify(asked));
  const out = w.a.takeOutbound().filter((o) => o.kind === 'packet');
  const wakes = out.flatMap((o) => {
    if (o.kind !== 'packet') return [];
    const d = decodePacket(o.bytes);
    return d.ok ? d.value.body.msgs.filter((m) => m.type === 'wake').map((m) => ({ to: o.to, m })) : [];
  });
  t.is(wakes.length, asked.ok ? asked.value : -1);
  t.true(wakes.every(({ to, m }) => to !== 'v:1' && m.type === 'wake' && m.subject === 'v'));
  t.false(w.a.askWake('v', MAC.subarray(0, 5), T0 + 2100).ok);
});

test('a lease from a live member reaches the daemon once; from a stranger, never; sendLease skips the subject', (t) => {
  const w = world();
  const lease = Uint8Array.from([1, 2, 3, 4]);
  w.send('b', [{ type: 'lease', lease }], T0 + 1000);
  t.deepEqual(w.a.takeLeases(), [{ from: 'b', bytes: lease }]);
  // Another member relaying the same lease: already seen.
  w.send('c', [{ type: 'lease', lease }], T0 + 1100);
  t.deepEqual(w.a.takeLeases(), []);
  // A member this node does not know: refused before anything is kept.
  w.send('x', [{ type: 'lease', lease: Uint8Array.from([9]) }], T0 + 1200);
  t.deepEqual(w.a.takeLeases(), []);
  t.true(w.a.takeRejections().length >= 1);
  // Its own lease: sent to live members other than the subject, and not handed back when a copy returns.
  const own = Uint8Array.from([7, 7]);
  const n = w.a.sendLease(own, 'v', T0 + 1300);
  t.true(n.ok && n.value >= 1 && n.value <= 4, JSON.stringify(n));
  const to = w.a.takeOutbound().map((o) => o.to);
  t.false(to.includes('v:1'), 'the subject is not told of its own fencing');
  w.send('b', [{ type: 'lease', lease: own }], T0 + 1400);
  t.deepEqual(w.a.takeLeases(), []);
  t.is(w.a.sendLease(new Uint8Array(2000), 'v', T0 + 1500).ok, false);
});
