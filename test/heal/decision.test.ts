// The decision core scripted event by event: three members a, b, x, and the
// order rank() gives a and b for x, so each test knows who is first.
import test from 'ava';
import type { DecisionCore } from '../../agent/heal/decision.ts';
import { rank } from '../../agent/heal/rank.ts';
import type { HealEvent, HealOutput } from '../../agent/heal/types.ts';
import { core, mv, T0 } from './helpers.ts';

const INC = 7;
const all = { means: () => ({ channel: true, recoveryKey: true }), unattestedPeers: false };
const [FIRST, SECOND] = rank('x', INC, [mv('a'), mv('b'), mv('c')], all) as [string, string, string];

/** A core whose view of a, b, c, x has settled (settleMs), then x down and settled again (stableMs). */
function settled(self: string, over = {}): { c: DecisionCore; feed: (ev: HealEvent, now?: number) => HealOutput[] } {
  const c = core(self, over);
  let now = T0;
  const feed = (ev: HealEvent, at?: number): HealOutput[] => {
    if (at !== undefined && at > now) {
      now = at;
      const o = c.handle({ type: 'tick', now });
      return [...o, ...c.handle(ev)];
    }
    return c.handle(ev);
  };
  feed({ type: 'view', members: [mv('a'), mv('b'), mv('c'), mv('x', 'alive', INC)] });
  feed({ type: 'view', members: [mv('a'), mv('b'), mv('c'), mv('x', 'dead', INC)] }, T0 + 5_000);
  // Five seconds later the view has settled around x's death (stableMs).
  feed({ type: 'tick', now: T0 + 10_000 }, T0 + 10_000);
  return { c, feed };
}
const kinds = (o: HealOutput[]) => o.map((x) => (x.type === 'audit' ? `audit:${x.entry.kind}` : x.type));

test('rank 1: K confirmations, quorum, self-check passed -> lease announced, then act', (t) => {
  const { feed } = settled(FIRST);
  t.deepEqual(kinds(feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' })), [], 'one confirmation is not K');
  const o = feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: SECOND });
  t.deepEqual(kinds(o), ['audit:confirmed', 'audit:decided', 'check-self']);
  const act = feed({ type: 'self-check', subject: 'x', ok: true, why: 'gateway answered' });
  t.deepEqual(kinds(act), ['announce-lease', 'audit:act', 'act']);
  const lease = act[0];
  if (lease?.type !== 'announce-lease') return t.fail();
  t.like(lease.lease, { subject: 'x', incarnation: INC, actor: FIRST, issued: T0 + 10_000, expires: T0 + 10_000 + 35_000 });
  t.like(act[2], { type: 'act', subject: 'x', incarnation: INC, deadline: T0 + 40_000 });
});

test('rank 2 waits actorDelayS and stands down on the first actor lease', (t) => {
  const { feed } = settled(SECOND);
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  const o = feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: FIRST });
  t.deepEqual(kinds(o), ['audit:confirmed', 'audit:decided']);
  t.deepEqual(kinds(feed({ type: 'tick', now: T0 + 19_999 }, T0 + 19_999)), [], 'not before 10 s');
  const s = feed({ type: 'lease', lease: { subject: 'x', incarnation: INC, actor: FIRST, issued: T0 + 10_000, expires: T0 + 45_000 } });
  t.deepEqual(kinds(s), ['audit:stood-down']);
  t.deepEqual(kinds(feed({ type: 'tick', now: T0 + 30_000 }, T0 + 30_000)), []);
});

test('rank 2 acts after the delay when rank 1 stays silent; again when a lease runs out', (t) => {
  const a = settled(SECOND);
  a.feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  a.feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: FIRST });
  t.deepEqual(kinds(a.feed({ type: 'tick', now: T0 + 20_000 }, T0 + 20_000)), ['check-self']);
  t.deepEqual(kinds(a.feed({ type: 'self-check', subject: 'x', ok: true, why: '' })), ['announce-lease', 'audit:act', 'act']);

  const b = settled(SECOND);
  b.feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  b.feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: FIRST });
  b.feed({ type: 'lease', lease: { subject: 'x', incarnation: INC, actor: FIRST, issued: T0 + 10_000, expires: T0 + 45_000 } });
  const o = b.feed({ type: 'tick', now: T0 + 45_000 }, T0 + 45_000);
  t.deepEqual(kinds(o), ['audit:lease-expired', 'audit:decided']);
  // The silent actor's lease counts as an attempt: the next waits the second backoff delay plus its rank stagger.
  t.deepEqual(kinds(b.feed({ type: 'tick', now: T0 + 114_999 }, T0 + 114_999)), []);
  t.deepEqual(kinds(b.feed({ type: 'tick', now: T0 + 115_000 }, T0 + 115_000)), ['check-self']);
});

test('no quorum: due but never acts, says so once; a failed self-check does not act', (t) => {
  const c = core(FIRST);
  c.handle({ type: 'view', members: [mv('a'), mv('b'), mv('c'), mv('x', 'alive', INC)] });
  c.handle({ type: 'tick', now: T0 + 10_000 });
  // This node's side of a partition: only itself and one other alive of four.
  c.handle({ type: 'view', members: [mv('a', FIRST === 'a' ? 'alive' : 'dead'), mv('b', FIRST === 'b' ? 'alive' : 'dead'), mv('c'), mv('x', 'dead', INC)] });
  c.handle({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  const o = c.handle({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: FIRST });
  t.deepEqual(kinds(o), ['audit:confirmed', 'audit:decided', 'audit:no-quorum']);
  t.deepEqual(kinds(c.handle({ type: 'tick', now: T0 + 60_000 })), []);

  const f = settled(FIRST);
  f.feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  f.feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: SECOND });
  t.deepEqual(kinds(f.feed({ type: 'self-check', subject: 'x', ok: false, why: 'gateway 10.0.0.1 unreachable' })), ['audit:self-check-failed']);
});

test('a liar alone is one confirmation: nothing happens', (t) => {
  const { feed } = settled(FIRST);
  for (let i = 0; i < 20; i++) t.deepEqual(feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' }, T0 + 10_000 + i * 1000), []);
});

test('a rejoin inside the backoff delay cancels the pending action', (t) => {
  const { feed } = settled(FIRST);
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: SECOND });
  feed({ type: 'self-check', subject: 'x', ok: true, why: '' });
  feed({ type: 'action-done', subject: 'x', ok: true, detail: 'ipmi: off verified, on verified' }, T0 + 20_000);
  t.deepEqual(kinds(feed({ type: 'alive', subject: 'x', incarnation: INC + 1 }, T0 + 60_000)), ['audit:rejoined']);
  // It dies again: the second attempt waits 60 s; it comes back inside them.
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC + 1, by: 'c' }, T0 + 70_000);
  const d = feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC + 1, by: SECOND });
  t.deepEqual(kinds(d).slice(0, 2), ['audit:confirmed', 'audit:decided']);
  t.deepEqual(kinds(feed({ type: 'tick', now: T0 + 100_000 }, T0 + 100_000)), []);
  t.deepEqual(kinds(feed({ type: 'alive', subject: 'x', incarnation: INC + 2 }, T0 + 110_000)), ['audit:cancelled']);
  t.deepEqual(kinds(feed({ type: 'tick', now: T0 + 200_000 }, T0 + 200_000)), [], 'nothing left to do');
});

test('a subject that keeps dying: delays grow, then give-up with the reason', (t) => {
  const self = FIRST;
  const { feed, c } = settled(self, { backoff: { delaysMs: [0, 60_000, 300_000], maxAttempts: 3, resetAfterMs: 7_200_000 } });
  let now = T0 + 10_000;
  const waits: number[] = [];
  for (let k = 0; k < 3; k++) {
    const inc = INC + k;
    const mine = rank('x', inc, [mv('a'), mv('b'), mv('c')], all).indexOf(self);
    const [p, q] = ['a', 'b', 'c'].filter((n) => n !== self) as [string, string];
    feed({ type: 'confirmed-dead', subject: 'x', incarnation: inc, by: p }, now);
    const o = feed({ type: 'confirmed-dead', subject: 'x', incarnation: inc, by: q });
    const decided = o.find((x) => x.type === 'audit' && x.entry.kind === 'decided');
    if (decided?.type !== 'audit') return t.fail(`attempt ${k}: ${kinds(o).join(',')}`);
    const m = /acts in (\d+) ms/.exec(decided.entry.why);
    const wait = Number(m?.[1]);
    waits.push(wait - mine * 10_000);
    now += wait;
    const due = [...o, ...feed({ type: 'tick', now }, now)];
    t.true(kinds(due).includes('check-self'), `attempt ${k}: ${kinds(due).join(',')}`);
    feed({ type: 'self-check', subject: 'x', ok: true, why: '' });
    now += 5_000;
    feed({ type: 'action-done', subject: 'x', ok: true, detail: 'done' }, now);
    now += 30_000;
    feed({ type: 'alive', subject: 'x', incarnation: inc + 1 }, now);
    now += 10_000;
  }
  t.deepEqual(waits, [0, 60_000, 300_000], 'the backoff delays, with the rank stagger on top');
  const [p, q] = ['a', 'b', 'c'].filter((n) => n !== self) as [string, string];
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC + 3, by: p }, now);
  const last = feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC + 3, by: q });
  const give = last.find((o) => o.type === 'give-up');
  if (give?.type !== 'give-up') return t.fail(kinds(last).join(','));
  t.regex(give.why, /after 3 recovery attempts .* left for a human/);
  t.is(c.phase('x'), 'given-up');
});

test('not eligible: no channel or no key -> records why, never acts', (t) => {
  const { feed } = settled(FIRST, { means: (a: string) => ({ channel: a !== FIRST, recoveryKey: true }) });
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  const o = feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: SECOND });
  t.deepEqual(kinds(o), ['audit:confirmed', 'audit:not-eligible']);
  t.deepEqual(kinds(feed({ type: 'tick', now: T0 + 100_000 }, T0 + 100_000)), []);
});

test('a failed action is retried after the backoff delay; the ladder silent past its deadline is a failure', (t) => {
  const { feed } = settled(FIRST);
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: SECOND });
  feed({ type: 'self-check', subject: 'x', ok: true, why: '' });
  const f = feed({ type: 'action-done', subject: 'x', ok: false, detail: 'ipmi: off sent, status still on at deadline' }, T0 + 20_000);
  t.deepEqual(kinds(f), ['audit:action-failed', 'audit:decided']);
  t.deepEqual(kinds(feed({ type: 'tick', now: T0 + 80_000 }, T0 + 80_000)), ['check-self']);
  feed({ type: 'self-check', subject: 'x', ok: true, why: '' });
  const silent = feed({ type: 'tick', now: T0 + 80_000 + 35_000 }, T0 + 80_000 + 35_000);
  t.deepEqual(kinds(silent).slice(0, 1), ['audit:action-failed']);
});

test('nextWake names the next moment anything is due, never one already past', (t) => {
  const { c, feed } = settled(SECOND);
  t.is(c.nextWake(), Infinity, 'nothing open');
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: FIRST });
  t.is(c.nextWake(), T0 + 20_000, 'rank 2: the actor delay');
  feed({ type: 'tick', now: T0 + 20_000 }, T0 + 20_000);
  t.is(c.nextWake(), T0 + 22_000, 'the self-check deadline');
  feed({ type: 'self-check', subject: 'x', ok: true, why: '' });
  t.is(c.nextWake(), T0 + 20_000 + 30_000 + 5_000, 'acting: the ladder deadline plus the lease margin');
});

test('watchdog grace: a subject with an armed watchdog gets graceMs to reset itself; a rejoin inside it cancels, none acts', (t) => {
  const g = settled(FIRST, { graceMs: (s: string) => (s === 'x' ? 30_000 : 0) });
  g.feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  const o = g.feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: SECOND });
  t.deepEqual(kinds(o), ['audit:confirmed', 'audit:decided']);
  const decided = o[1];
  t.true(decided?.type === 'audit' && decided.entry.why.includes('its own watchdog gets 30000 ms first'), JSON.stringify(decided));
  t.deepEqual(kinds(g.feed({ type: 'tick', now: T0 + 39_999 }, T0 + 39_999)), [], 'nothing inside the grace');
  t.deepEqual(kinds(g.feed({ type: 'alive', subject: 'x', incarnation: INC + 1 })), ['audit:cancelled'], 'the watchdog reset it and it rejoined');
  t.is(g.c.phase('x'), null);
  t.deepEqual(kinds(g.feed({ type: 'tick', now: T0 + 60_000 }, T0 + 60_000)), []);

  // No rejoin: rank 1 acts when the grace is over.
  const h = settled(FIRST, { graceMs: () => 30_000 });
  h.feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  h.feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: SECOND });
  t.deepEqual(kinds(h.feed({ type: 'tick', now: T0 + 40_000 }, T0 + 40_000)), ['check-self']);
});

test('a lease from a member that cannot act is ignored (once audited): a liar cannot make the healers stand down', (t) => {
  const means = (actor: string) => ({ channel: true, recoveryKey: actor !== 'c' });
  const { feed } = settled(FIRST, { means });
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  const o = feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: SECOND });
  t.deepEqual(kinds(o), ['audit:confirmed', 'audit:decided', 'check-self']);
  const liar = { subject: 'x', incarnation: INC, actor: 'c', issued: T0 + 10_000, expires: T0 + 60_000 };
  t.deepEqual(kinds(feed({ type: 'lease', lease: liar })), ['audit:lease-ignored']);
  t.deepEqual(kinds(feed({ type: 'lease', lease: { ...liar, expires: T0 + 61_000 } })), [], 'audited once');
  t.deepEqual(kinds(feed({ type: 'lease', lease: { ...liar, incarnation: INC + 3 } })), [], 'once per actor and subject, whatever the incarnation');
  t.deepEqual(kinds(feed({ type: 'lease', lease: { ...liar, actor: 'stranger' } })), ['audit:lease-ignored'], 'a name not in the view');
  t.deepEqual(kinds(feed({ type: 'self-check', subject: 'x', ok: true, why: '' })), ['announce-lease', 'audit:act', 'act'], 'rank 1 acts regardless');
});

test('openCases lists what is open and where it stands, for agent status', (t) => {
  const { c, feed } = settled(SECOND);
  t.deepEqual(c.openCases(), []);
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: 'c' });
  feed({ type: 'confirmed-dead', subject: 'x', incarnation: INC, by: FIRST });
  t.deepEqual(c.openCases(), [{ subject: 'x', incarnation: INC, phase: 'waiting', rank: 2, until: T0 + 20_000 }]);
  feed({ type: 'alive', subject: 'x', incarnation: INC + 1 });
  t.deepEqual(c.openCases(), []);
});
