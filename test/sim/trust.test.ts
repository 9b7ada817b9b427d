// The simulated Trust: real sizes, signatures only its owner can make, credentials bound to a name.
import test from 'ava';
import { Rng } from '../../tools/sim/prng.ts';
import { CREDS_BYTES, SIG_BYTES, SimRegistry } from '../../tools/sim/trust.ts';

const msg = new TextEncoder().encode('suspect n00003 at 7');

test('credentials and signatures have the daemon sizes', (t) => {
  const a = new SimRegistry(new Rng(1)).issue('n00001');
  t.is(a.creds.length, CREDS_BYTES);
  t.true(CREDS_BYTES >= 300 && CREDS_BYTES <= 400);
  t.is(a.sign(msg).length, SIG_BYTES);
  t.is(SIG_BYTES, 64);
});

test('admit returns a key that verifies its owner and nobody else', (t) => {
  const reg = new SimRegistry(new Rng(2));
  const a = reg.issue('a');
  const b = reg.issue('b');
  const key = b.admit('a', a.creds, 1, 0);
  if (!key.ok) return t.fail(key.error.message);
  t.true(key.value.verify(msg, a.sign(msg)));
  t.false(key.value.verify(msg, b.sign(msg)), 'b signing as a');
  const tampered = new Uint8Array(msg);
  tampered[0] = (tampered[0] ?? 0) ^ 1;
  t.false(key.value.verify(tampered, a.sign(msg)));
  t.false(key.value.verify(msg, a.sign(msg).subarray(0, 32)));
});

test('credentials presented under another name are refused', (t) => {
  const reg = new SimRegistry(new Rng(3));
  const a = reg.issue('a');
  reg.issue('b');
  const r = a.admit('b', a.creds, 1, 0);
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'NOT_AUTHOR');
  const junk = new Uint8Array(CREDS_BYTES);
  const j = a.admit('a', junk, 1, 0);
  t.false(j.ok);
  if (!j.ok) t.is(j.error.code, 'UNTRUSTED');
});

test('a restart is a new session: the old session key no longer verifies the new one', (t) => {
  const reg = new SimRegistry(new Rng(4));
  const first = reg.issue('a');
  const second = reg.issue('a');
  const k1 = second.admit('a', first.creds, 1, 0);
  const k2 = second.admit('a', second.creds, 2, 0);
  if (!k1.ok || !k2.ok) return t.fail('admit failed');
  t.not(k1.value.id, k2.value.id);
  t.false(k1.value.verify(msg, second.sign(msg)));
  t.true(k2.value.verify(msg, second.sign(msg)));
});
