import test from 'ava';
import { activateCcm } from '../../agent/amt/activate.ts';
import { adminDigest } from '../../agent/amt/calls.ts';
import { deactivate } from '../../agent/amt/deactivate.ts';
import { amtWorld, FAST, PASSWORD, WRONG } from './world.ts';

const LME = '6733a4db-0476-4e7b-b3af-bcfc29bee7a7';

test('CCM: deactivate through the password-less PTHI Unprovision, verified as pre-provisioning', async (t) => {
  const w = await amtWorld();
  try {
    t.true((await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d())).ok);
    const lmeConnects = w.me.connectCount(LME);
    const r = await deactivate(w.host, { settle: FAST }, w.d());
    t.true(r.ok, JSON.stringify(r.steps));
    t.true(r.changed);
    t.is(w.me.state.controlMode, 0);
    t.is(w.me.state.provisioningState, 0);
    t.is(w.me.connectCount(LME), lmeConnects, 'no WS-MAN for CCM');
    t.deepEqual(r.steps.map((s) => s.step), ['read control mode (PTHI)', 'Unprovision (PTHI)', 'verify control mode (PTHI)', 'verify provisioning state (PTHI)']);
  } finally {
    await w.stop();
  }
});

test('already pre-provisioning: nothing to do, ok', async (t) => {
  const w = await amtWorld();
  try {
    const r = await deactivate(w.host, { settle: FAST }, w.d());
    t.true(r.ok);
    t.false(r.changed);
    t.deepEqual(w.me.state.journal, []);
  } finally {
    await w.stop();
  }
});

const acm = (realm = 'Digest:A3829B3827DE4D33D4449B366831FD01') => ({ controlMode: 2 as const, provisioningState: 2 as const, digestRealm: realm, adminDigest: adminDigest(realm, PASSWORD) });

test('ACM: WS-MAN Unprovision(1) as admin over LME, verified over PTHI', async (t) => {
  const w = await amtWorld({ state: acm() });
  try {
    const r = await deactivate(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.true(r.ok, JSON.stringify(r.steps));
    t.is(w.me.state.controlMode, 0);
    t.is(w.me.state.provisioningState, 0);
    t.deepEqual(w.me.state.journal.filter((j) => j.startsWith('wsman')), ['wsman: Unprovision']);
    t.is(w.lme.live, 0);
  } finally {
    await w.stop();
  }
});

test('ACM with the wrong password: a typed AUTH error and nothing changed', async (t) => {
  const w = await amtWorld({ state: acm() });
  try {
    const r = await deactivate(w.host, { password: WRONG, settle: FAST }, w.d());
    t.false(r.ok);
    t.is(r.error?.code, 'AUTH');
    t.false(r.changed);
    t.is(w.me.state.controlMode, 2);
    t.deepEqual(w.me.state.journal, []);
    t.false(JSON.stringify(r).includes(WRONG));
    t.is(w.lme.live, 0);
    t.is(w.me.openConnections(LME), 0);
  } finally {
    await w.stop();
  }
});

test('ACM without a password: CONFIG before anything is sent', async (t) => {
  const w = await amtWorld({ state: acm() });
  try {
    const r = await deactivate(w.host, { settle: FAST }, w.d());
    t.false(r.ok);
    t.is(r.error?.code, 'CONFIG');
    t.is(w.me.connectCount(LME), 0);
  } finally {
    await w.stop();
  }
});
