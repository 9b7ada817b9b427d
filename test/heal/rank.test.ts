import test from 'ava';
import { createHash } from 'node:crypto';
import { encodeCbor } from '../../agent/identity/cbor.ts';
import { rank, weight } from '../../agent/heal/rank.ts';
import { mv } from './helpers.ts';

const all = { means: () => ({ channel: true, recoveryKey: true }), unattestedPeers: false };

test('the weight is SHA-256 over the CBOR tuple (subject, incarnation, actor)', (t) => {
  t.is(weight('x', 7, 'a'), createHash('sha256').update(encodeCbor(['x', 7, 'a'])).digest('hex'));
  t.not(weight('x', 7, 'a'), weight('x', 8, 'a'));
});

test('every node computes the same order whatever order its view lists members in', (t) => {
  const view = ['a', 'b', 'c', 'd', 'e'].map((n) => mv(n));
  const r = rank('x', 3, view, all);
  t.is(r.length, 5);
  t.deepEqual(rank('x', 3, [...view].reverse(), all), r);
  const ws = r.map((n) => weight('x', 3, n));
  t.deepEqual([...ws].sort().reverse(), ws, 'highest weight first');
});

test('the first rank moves between members across incarnations (not always the same healer)', (t) => {
  const view = ['a', 'b', 'c', 'd', 'e'].map((n) => mv(n));
  const firsts = new Set<string>();
  for (let inc = 0; inc < 50; inc++) firsts.add(rank('x', inc, view, all)[0] as string);
  t.true(firsts.size >= 4, `first ranks seen: ${[...firsts].join(',')}`);
});

test('eligible: alive, not the subject, a channel and the recovery key, attested unless allowed', (t) => {
  const view = [mv('x'), mv('dead', 'dead'), mv('noatt', 'alive', 1, false), mv('nochan'), mv('nokey'), mv('ok'), mv('sus', 'suspect')];
  const means = (a: string) => ({ channel: a !== 'nochan', recoveryKey: a !== 'nokey' });
  t.deepEqual(rank('x', 1, view, { means, unattestedPeers: false }).sort(), ['ok', 'sus']);
  t.deepEqual(rank('x', 1, view, { means, unattestedPeers: true }).sort(), ['noatt', 'ok', 'sus']);
});
