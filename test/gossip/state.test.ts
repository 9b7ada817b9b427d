// The membership rules against members that lie: every case here is an update
// a compromised member (holding a valid session of its own) can send.
import test from 'ava';
import { MemberTable, type Member, type Outcome } from '../../agent/gossip/state.ts';
import { DEFAULT_CONFIG, type Trust } from '../../agent/gossip/types.ts';
import { signUpdate, type Signed, type Update } from '../../agent/gossip/wire.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';

const T0 = Date.UTC(2026, 5, 1);
const NAMES = ['a', 'b', 'c', 'd', 'liar'] as const;

function world() {
  const reg = new SimRegistry(new Rng(7));
  const trust = Object.fromEntries(NAMES.map((n) => [n, reg.issue(n)])) as unknown as Record<(typeof NAMES)[number], Trust>;
  const self: Member = { name: 'a', addr: 'a:1', incarnation: 10, state: 'alive', key: null, alive: null, final: null, att: null, updatedAt: T0 };
  const table = new MemberTable({ ...DEFAULT_CONFIG, name: 'a' }, trust.a, self);
  const sign = (who: keyof typeof trust, u: Update): Signed => signUpdate(u, trust[who]);
  for (const n of ['b', 'c', 'd', 'liar'] as const) {
    const o = table.apply(sign(n, { type: 'alive', name: n, incarnation: 5, time: T0, addr: `${n}:1`, creds: trust[n].creds, att: null }), T0);
    if (o.kind !== 'accepted') throw new Error(`setup: ${n} not admitted: ${JSON.stringify(o)}`);
  }
  const suspect = (author: keyof typeof trust, subject: string, incarnation = 5, time = T0 + 1000): Signed =>
    sign(author, { type: 'suspect', author, subject, incarnation, time });
  return { table, trust, sign, suspect, state: (n: string) => table.members.get(n)?.state };
}

const code = (o: Outcome): string => (o.kind === 'rejected' ? o.error.code : o.kind);

test('members join only with their own credentials and signature', (t) => {
  const { table, sign, trust } = world();
  t.is(table.liveCount, 5);
  // The liar signs an alive for b with b's (public) credentials: the signature is not b's.
  const forged = sign('liar', { type: 'alive', name: 'b', incarnation: 99, time: T0, addr: 'evil:1', creds: trust.b.creds, att: null });
  t.is(code(table.apply(forged, T0)), 'BAD_SIGNATURE');
  // With its own credentials under b's name: the credentials do not name b.
  const renamed = sign('liar', { type: 'alive', name: 'b', incarnation: 99, time: T0, addr: 'evil:1', creds: trust.liar.creds, att: null });
  t.is(code(table.apply(renamed, T0)), 'NOT_AUTHOR');
  t.is(table.members.get('b')?.addr, 'b:1');
  t.is(table.members.get('b')?.incarnation, 5);
});

test('one liar cannot get a healthy member declared dead', (t) => {
  const w = world();
  t.is(code(w.table.apply(w.suspect('liar', 'b'), T0 + 1000)), 'accepted');
  t.is(w.state('b'), 'suspect');
  const lone = w.sign('liar', { type: 'dead', author: 'liar', subject: 'b', incarnation: 5, time: T0 + 2000, evidence: [w.suspect('liar', 'b')] });
  t.is(code(w.table.apply(lone, T0 + 2000)), 'NO_QUORUM');
  const twice = w.sign('liar', { type: 'dead', author: 'liar', subject: 'b', incarnation: 5, time: T0 + 2000, evidence: [w.suspect('liar', 'b'), w.suspect('liar', 'b', 5, T0 + 1500)] });
  t.is(code(w.table.apply(twice, T0 + 2000)), 'NO_QUORUM');
  // Two honest accusers' suspicions relayed by the liar: it did not witness, so it cannot sign the death.
  const borrowed = w.sign('liar', { type: 'dead', author: 'liar', subject: 'b', incarnation: 5, time: T0 + 2000, evidence: [w.suspect('c', 'b'), w.suspect('d', 'b')] });
  t.is(code(w.table.apply(borrowed, T0 + 2000)), 'NO_QUORUM');
  // A tampered accusation does not count.
  const c = w.suspect('c', 'b');
  const tampered = { body: c.body, sig: c.sig.map((x, i) => (i === 0 ? x ^ 1 : x)) };
  const withTampered = w.sign('liar', { type: 'dead', author: 'liar', subject: 'b', incarnation: 5, time: T0 + 2000, evidence: [w.suspect('liar', 'b'), tampered] });
  t.is(code(w.table.apply(withTampered, T0 + 2000)), 'NO_QUORUM');
  // A suspicion "by the receiver" it never signed: forged with the liar's key, it must not count as the receiver's own.
  const forgedMine = w.sign('liar', { type: 'suspect', author: 'a', subject: 'b', incarnation: 5, time: T0 + 1000 });
  const withForged = w.sign('liar', { type: 'dead', author: 'liar', subject: 'b', incarnation: 5, time: T0 + 2000, evidence: [w.suspect('liar', 'b'), forgedMine] });
  t.is(code(w.table.apply(withForged, T0 + 2000)), 'NO_QUORUM');
  t.is(w.state('b'), 'suspect');
});

test('a death with K distinct verified witnesses is accepted', (t) => {
  const w = world();
  const dead = w.sign('c', { type: 'dead', author: 'c', subject: 'b', incarnation: 5, time: T0 + 2000, evidence: [w.suspect('c', 'b'), w.suspect('d', 'b')] });
  t.is(code(w.table.apply(dead, T0 + 2000)), 'accepted');
  t.is(w.state('b'), 'dead');
  t.is(w.table.liveCount, 4);
});

test('the quorum is capped by the members left to confirm', (t) => {
  const w = world();
  t.is(w.table.quorum(), 2);
  for (const n of ['c', 'd', 'liar'] as const) w.table.apply(w.sign(n, { type: 'leave', name: n, incarnation: 5, time: T0 }), T0);
  // a and b remain: a alone may bury b.
  t.is(w.table.liveCount, 2);
  t.is(w.table.quorum(), 1);
});

test('a refutation beats the suspicion, and replays of the old one are dropped', (t) => {
  const w = world();
  const old = w.suspect('c', 'b');
  w.table.apply(old, T0 + 1000);
  t.is(w.state('b'), 'suspect');
  t.is(code(w.table.apply(w.sign('b', { type: 'alive', name: 'b', incarnation: 6, time: T0 + 1100, addr: 'b:1', creds: null, att: null }), T0 + 1100)), 'accepted');
  t.is(w.state('b'), 'alive');
  t.is(code(w.table.apply(old, T0 + 1200)), 'ignored');
  const oldDead = w.sign('c', { type: 'dead', author: 'c', subject: 'b', incarnation: 5, time: T0 + 1300, evidence: [old, w.suspect('d', 'b')] });
  t.is(code(w.table.apply(oldDead, T0 + 1300)), 'ignored');
  // An older alive (a replay from before the refutation) changes nothing either.
  t.is(code(w.table.apply(w.sign('b', { type: 'alive', name: 'b', incarnation: 5, time: T0, addr: 'old:1', creds: null, att: null }), T0 + 1400)), 'ignored');
  t.is(w.table.members.get('b')?.addr, 'b:1');
  t.is(w.state('b'), 'alive');
});

test('only a member can retire itself', (t) => {
  const w = world();
  const forged = w.sign('liar', { type: 'leave', name: 'b', incarnation: 5, time: T0 });
  t.is(code(w.table.apply(forged, T0)), 'BAD_SIGNATURE');
  t.is(w.state('b'), 'alive');
  t.is(code(w.table.apply(w.sign('b', { type: 'leave', name: 'b', incarnation: 5, time: T0 }), T0)), 'accepted');
  t.is(w.state('b'), 'left');
});

test('suspicions dated outside the clock window are refused', (t) => {
  const w = world();
  const future = w.suspect('c', 'b', 5, T0 + DEFAULT_CONFIG.maxSkewMs + 60_000);
  t.is(code(w.table.apply(future, T0)), 'TIME');
  const ancient = w.suspect('c', 'b', 5, T0 - DEFAULT_CONFIG.maxSkewMs - 60_000);
  t.is(code(w.table.apply(ancient, T0)), 'TIME');
  t.is(w.state('b'), 'alive');
});

test('accusations of this node ask for a refutation, stale ones for a reminder', (t) => {
  const w = world();
  const o = w.table.apply(w.suspect('c', 'a', 10), T0 + 1000);
  t.deepEqual(o, { kind: 'refute', incarnation: 10, accusers: ['c'] });
  const stale = w.table.apply(w.suspect('d', 'a', 9), T0 + 1000);
  t.deepEqual(stale, { kind: 'remind', accusers: ['d'] });
});

test('tables holding the same signed alive share one record, and a change in one leaves the other alone', (t) => {
  const reg = new SimRegistry(new Rng(9));
  const ta = reg.issue('a');
  const tb = reg.issue('b');
  const tc = reg.issue('c');
  const td = reg.issue('d');
  const table = (name: string, trust: Trust) =>
    new MemberTable({ ...DEFAULT_CONFIG, name }, trust, { name, addr: `${name}:1`, incarnation: 1, state: 'alive', key: null, alive: null, final: null, att: null, updatedAt: T0 });
  const a = table('a', ta);
  const b = table('b', tb);
  const alive = (n: string, tr: Trust) => signUpdate({ type: 'alive', name: n, incarnation: 3, time: T0 - 50, addr: `${n}:1`, creds: tr.creds, att: null }, tr);
  // The simulator interns updates: both tables receive one Signed object, as its cores do.
  for (const [n, tr] of [['c', tc], ['d', td]] as const) {
    const s = reg.intern(alive(n, tr));
    t.is(code(a.apply(s, T0)), 'accepted');
    t.is(code(b.apply(s, T0 + 10)), 'accepted');
  }
  t.is(a.members.get('c'), b.members.get('c'));
  t.is(a.members.get('c')?.updatedAt, T0 - 50, 'an alive is dated by its author, so the shared record is right for both');
  // d suspects c in table a only: b's record of c must not move.
  const s = signUpdate({ type: 'suspect', author: 'd', subject: 'c', incarnation: 3, time: T0 + 100 }, td);
  t.is(code(a.apply(s, T0 + 100)), 'accepted');
  t.is(a.members.get('c')?.state, 'suspect');
  t.is(b.members.get('c')?.state, 'alive');
  t.not(a.members.get('c'), b.members.get('c'));
  t.is(a.liveCount, 3);
  t.is(b.liveCount, 3);
});
