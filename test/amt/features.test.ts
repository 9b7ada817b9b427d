import test from 'ava';
import { activateCcm } from '../../agent/amt/activate.ts';
import { setFeatures } from '../../agent/amt/features.ts';
import { amtWorld, FAST, PASSWORD, WRONG } from './world.ts';

test('SOL, IDE-R and KVM on, then all off: each sent once, read back, listener follows', async (t) => {
  const w = await amtWorld();
  try {
    t.true((await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d())).ok);
    const on = await setFeatures(w.host, { password: PASSWORD, sol: true, ider: true, kvm: true }, w.d());
    t.true(on.ok, JSON.stringify(on.steps));
    t.deepEqual(w.me.state.redirection, { sol: true, ider: true, kvm: true, listenerEnabled: true });
    t.deepEqual(w.me.state.journal.filter((j) => j.startsWith('wsman: ') && !j.includes('Setup')), ['wsman: redirection 32771', 'wsman: listener true', 'wsman: kvm 2']);
    const again = await setFeatures(w.host, { password: PASSWORD, sol: true, ider: true, kvm: true }, w.d());
    t.true(again.ok);
    t.false(again.changed);
    const off = await setFeatures(w.host, { password: PASSWORD, sol: false, ider: false, kvm: false }, w.d());
    t.true(off.ok, JSON.stringify(off.steps));
    t.deepEqual(w.me.state.redirection, { sol: false, ider: false, kvm: false, listenerEnabled: false });
    t.is(w.lme.live, 0);
  } finally {
    await w.stop();
  }
});

test('only SOL: IDE-R and KVM keep their state', async (t) => {
  const w = await amtWorld();
  try {
    t.true((await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d())).ok);
    w.me.state.redirection.kvm = true;
    w.me.state.redirection.listenerEnabled = true;
    const r = await setFeatures(w.host, { password: PASSWORD, sol: true }, w.d());
    t.true(r.ok, JSON.stringify(r.steps));
    t.deepEqual(w.me.state.redirection, { sol: true, ider: false, kvm: true, listenerEnabled: true });
  } finally {
    await w.stop();
  }
});

test('wrong password: AUTH, nothing changed; not activated: STATE', async (t) => {
  const w = await amtWorld();
  try {
    const pre = await setFeatures(w.host, { password: PASSWORD, sol: true }, w.d());
    t.is(pre.error?.code, 'STATE');
    t.true((await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d())).ok);
    const journal = [...w.me.state.journal];
    const r = await setFeatures(w.host, { password: WRONG, sol: true }, w.d());
    t.false(r.ok);
    t.is(r.error?.code, 'AUTH');
    t.deepEqual(w.me.state.journal, journal);
  } finally {
    await w.stop();
  }
});

test('a small firmware window: requests cross several WINDOW_ADJUSTs, never past the window', async (t) => {
  const w = await amtWorld({ lme: { window: 300, maxMessageLength: 512 } });
  try {
    t.true((await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d())).ok);
    const r = await setFeatures(w.host, { password: PASSWORD, sol: true, kvm: true }, w.d());
    t.true(r.ok, JSON.stringify(r.steps));
    t.deepEqual(w.lme.disconnects, []);
    t.true(w.lme.hostDataSizes.length > 20);
    t.true(Math.max(...w.lme.hostDataSizes) <= 300);
  } finally {
    await w.stop();
  }
});
