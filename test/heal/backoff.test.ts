import test from 'ava';
import { Backoff, DEFAULT_BACKOFF } from '../../agent/heal/backoff.ts';
import { T0 } from './helpers.ts';

test('delays grow with each attempt, then the subject is left for a human with the reason', (t) => {
  const b = new Backoff(DEFAULT_BACKOFF);
  const delays: number[] = [];
  let now = T0;
  for (let k = 0; k < 4; k++) {
    const n = b.next('x', now);
    if (!('at' in n)) return t.fail(`gave up at attempt ${k}`);
    delays.push(n.at - now);
    b.attempted('x', k, n.at);
    now = n.at + 1000;
  }
  t.deepEqual(delays, [0, 60_000, 300_000, 1_800_000]);
  const last = b.next('x', now);
  if (!('giveUp' in last)) return t.fail('no give-up');
  t.regex(last.giveUp, /x died again after 4 recovery attempts .* left for a human/);
});

test('a subject alive for resetAfterMs starts over; a shorter life does not', (t) => {
  const b = new Backoff({ ...DEFAULT_BACKOFF, resetAfterMs: 10_000 });
  b.attempted('x', 1, T0);
  b.attempted('x', 1, T0 + 500);
  t.is(b.attempts('x'), 1, 'one attempt per incarnation, however many leases tell of it');
  b.alive('x', T0 + 1000);
  const soon = b.next('x', T0 + 5_000);
  t.deepEqual(soon, { at: T0 + 5_000 + 60_000 });
  b.alive('x', T0 + 6_000);
  const later = b.next('x', T0 + 20_000);
  t.deepEqual(later, { at: T0 + 20_000 });
  t.is(b.attempts('x'), 0);
});
