import test from 'ava';
import { Confirmations } from '../../agent/heal/confirmations.ts';

const members = new Set(['a', 'b', 'c', 'x']);
const verified = (n: string): boolean => members.has(n);

test('distinct verified confirmers count; duplicates, strangers and the subject do not', (t) => {
  const c = new Confirmations();
  t.is(c.add('x', 5, 'a', verified), 1);
  t.is(c.add('x', 5, 'a', verified), 1, 'the same confirmer twice is one');
  t.is(c.add('x', 5, 'x', verified), 1, 'the subject cannot confirm its own death');
  t.is(c.add('x', 5, 'mallory', verified), 1, 'not a verified member');
  t.is(c.add('x', 5, 'b', verified), 2);
  t.deepEqual(c.confirmers('x'), ['a', 'b']);
});

test('confirmations are per incarnation: older ones are replays, a newer one starts over', (t) => {
  const c = new Confirmations();
  c.add('x', 5, 'a', verified);
  c.add('x', 5, 'b', verified);
  t.is(c.add('x', 4, 'c', verified), 0, 'a confirmation of an older incarnation counts for nothing');
  t.is(c.count('x', 5), 2);
  t.is(c.add('x', 6, 'c', verified), 1);
  t.is(c.count('x', 5), 0);
});

test('the subject alive at a newer incarnation clears its confirmations', (t) => {
  const c = new Confirmations();
  c.add('x', 5, 'a', verified);
  c.alive('x', 5);
  t.is(c.count('x', 5), 1, 'alive at the same incarnation is stale');
  c.alive('x', 6);
  t.is(c.count('x', 5), 0);
});
