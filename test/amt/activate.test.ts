import test from 'ava';
import { activateCcm } from '../../agent/amt/activate.ts';
import { adminDigest } from '../../agent/amt/calls.ts';
import { deadlineIn } from '../../agent/channels/types.ts';
import { amtWorld, FAST, PASSWORD, WRONG } from './world.ts';

test('CCM activation over LME: Setup with the realm digest, verified over PTHI', async (t) => {
  const w = await amtWorld();
  try {
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.true(r.ok, JSON.stringify(r.steps));
    t.true(r.changed);
    t.is(w.me.state.controlMode, 1);
    t.is(w.me.state.provisioningState, 2);
    t.is(w.me.state.adminDigest, adminDigest(w.me.state.digestRealm, PASSWORD));
    t.deepEqual(w.me.state.journal.filter((j) => j.startsWith('wsman')), ['wsman: Setup (client control mode)']);
    t.deepEqual(r.steps.map((s) => [s.step, s.outcome]).slice(-2), [['verify control mode (PTHI)', 'done'], ['verify provisioning state (PTHI)', 'done']]);
    // Setup was authenticated as the local system account, not as admin.
    t.deepEqual(w.wsman.calls.map((c) => c.user), ['$$OsAdmin', '$$OsAdmin']);
    t.is(w.lme.live, 0, 'every channel closed');
    t.is(w.me.openConnections('6733a4db-0476-4e7b-b3af-bcfc29bee7a7'), 0);
    t.false(JSON.stringify(r).includes(PASSWORD));
    t.false(w.wsman.seen.join('\n').includes(PASSWORD));
  } finally {
    await w.stop();
  }
});

test('already in CCM: exit ok with the right password, AUTH with another, nothing changed', async (t) => {
  const w = await amtWorld();
  try {
    t.true((await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d())).ok);
    const journal = [...w.me.state.journal];
    const again = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.true(again.ok);
    t.false(again.changed);
    const other = await activateCcm(w.host, { password: WRONG, settle: FAST }, w.d());
    t.false(other.ok);
    t.is(other.error?.code, 'AUTH');
    t.deepEqual(w.me.state.journal, journal);
  } finally {
    await w.stop();
  }
});

test('TLS enforced on local ports: 16993 with a pinned certificate, CommitChanges as admin', async (t) => {
  const w = await amtWorld({ state: { tlsEnforcedOnLocalPorts: true } });
  try {
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.true(r.ok, JSON.stringify(r.steps));
    t.regex(r.steps.find((s) => s.step === 'open LME and the WS-MAN link')?.detail ?? '', /^port 16993 \(TLS, pinned sha256:[0-9a-f]{64}\)$/);
    t.deepEqual(w.me.state.journal.filter((j) => j.startsWith('wsman')), ['wsman: Setup (client control mode)', 'wsman: CommitChanges']);
    t.deepEqual(w.wsman.calls.map((c) => c.user), ['$$OsAdmin', '$$OsAdmin', 'admin']);
    t.is(w.lme.live, 0);
  } finally {
    await w.stop();
  }
});

test('a lost Setup reply is settled by re-reading the control mode over PTHI', async (t) => {
  const w = await amtWorld();
  try {
    w.wsman.dropSetupReply = true;
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.true(r.ok, JSON.stringify(r.steps));
    t.regex(r.steps.find((s) => s.step === 'IPS_HostBasedSetupService.Setup')?.detail ?? '', /^sent; no reply/);
    t.is(r.steps.find((s) => s.step === 're-read control mode (PTHI)')?.outcome, 'done');
    t.is(w.me.state.controlMode, 1);
    t.is(w.lme.live, 0);
  } finally {
    await w.stop();
  }
});

test('a lost Setup reply where Setup did not take effect fails as STATE, never assumed', async (t) => {
  const w = await amtWorld();
  try {
    // The connection drops on Setup before the firmware applies it.
    const orig = w.wsman.soap.bind(w.wsman);
    w.wsman.soap = (st, user, body) => (body.includes('Setup_INPUT') ? 'drop' : orig(st, user, body));
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.false(r.ok);
    t.is(r.error?.code, 'STATE');
    t.is(r.steps.at(-1)?.step, 're-read control mode (PTHI)');
    t.false(r.changed);
    t.is(w.me.state.controlMode, 0);
    t.is(w.lme.live, 0);
  } finally {
    await w.stop();
  }
});

test('AMT disabled at the firmware level (ME 16.1 new interface): enabled through the watchdog client first', async (t) => {
  const w = await amtWorld({ state: { amtEnabled: false } });
  try {
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.true(r.ok, JSON.stringify(r.steps));
    t.true(w.me.state.amtEnabled);
    t.is(r.steps.find((s) => s.step === 'enable AMT (watchdog client)')?.outcome, 'done');
  } finally {
    await w.stop();
  }
});

test('ACM: activate --ccm refuses and changes nothing', async (t) => {
  const w = await amtWorld({ state: { controlMode: 2, provisioningState: 2 } });
  try {
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.false(r.ok);
    t.is(r.error?.code, 'STATE');
    t.deepEqual(w.me.state.journal, []);
    t.is(w.me.connectCount('6733a4db-0476-4e7b-b3af-bcfc29bee7a7'), 0);
  } finally {
    await w.stop();
  }
});

test('the firmware resets LME in the middle of the Setup reply (after applying it): settled over PTHI, CommitChanges on a new LME session', async (t) => {
  const w = await amtWorld({ state: { tlsEnforcedOnLocalPorts: true } });
  try {
    const orig = w.wsman.soap.bind(w.wsman);
    w.wsman.soap = (st, user, body) => {
      if (body.includes('Setup_INPUT')) w.lme.resetAfterBytes = 40;
      return orig(st, user, body);
    };
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.true(r.ok, JSON.stringify(r.steps));
    t.deepEqual(w.lme.disconnects, ['injected reset']);
    t.regex(r.steps.find((s) => s.step === 'IPS_HostBasedSetupService.Setup')?.detail ?? '', /no reply \(UNREACHABLE\)/);
    t.is(w.lme.sessions, 2);
    t.deepEqual(w.me.state.journal.filter((j) => j.startsWith('wsman')), ['wsman: Setup (client control mode)', 'wsman: CommitChanges']);
    t.is(w.me.openConnections('6733a4db-0476-4e7b-b3af-bcfc29bee7a7'), 0);
    t.is(w.lme.live, 0);
  } finally {
    await w.stop();
  }
});

test('the firmware resets LME during the first exchange: a typed error, nothing changed, the device closed', async (t) => {
  const w = await amtWorld();
  try {
    w.lme.resetAfterBytes = 1;
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.false(r.ok);
    t.is(r.error?.code, 'UNREACHABLE');
    t.is(r.steps.at(-1)?.step, 'Get AMT_GeneralSettings');
    t.false(r.changed);
    t.is(w.me.state.controlMode, 0);
    t.is(w.me.openConnections('6733a4db-0476-4e7b-b3af-bcfc29bee7a7'), 0);
  } finally {
    await w.stop();
  }
});

test('AMT that never answers WS-MAN: TIMEOUT within the deadline, nothing changed, LME closed', async (t) => {
  const w = await amtWorld();
  try {
    w.wsman.hang = true;
    const t0 = performance.now();
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, deadlineIn(1500));
    t.false(r.ok);
    t.is(r.error?.code, 'TIMEOUT');
    t.true(performance.now() - t0 < 2500);
    t.is(w.me.state.controlMode, 0);
    t.false(r.changed);
    t.is(w.lme.live, 0);
    t.is(w.me.openConnections('6733a4db-0476-4e7b-b3af-bcfc29bee7a7'), 0);
  } finally {
    await w.stop();
  }
});

test('Setup applied but its reply never comes: the reply wait ends early enough to settle over PTHI within the deadline', async (t) => {
  const w = await amtWorld();
  try {
    const orig = w.wsman.soap.bind(w.wsman);
    w.wsman.soap = (st, user, body) => {
      const r = orig(st, user, body);
      return body.includes('Setup_INPUT') ? 'hang' : r;
    };
    const t0 = performance.now();
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, deadlineIn(3000));
    t.true(r.ok, JSON.stringify(r.steps));
    t.true(performance.now() - t0 < 3500); // the 3 s deadline, and slack for timers on a loaded machine
    t.regex(r.steps.find((s) => s.step === 'IPS_HostBasedSetupService.Setup')?.detail ?? '', /no reply \(TIMEOUT\)/);
    t.is(w.me.state.controlMode, 1);
  } finally {
    await w.stop();
  }
});

test('another program holds LME (as Intel LMS does): BUSY, nothing changed', async (t) => {
  const w = await amtWorld();
  try {
    const lms = await w.me.connect('6733a4db-0476-4e7b-b3af-bcfc29bee7a7', w.d());
    t.true(lms.ok);
    const r = await activateCcm(w.host, { password: PASSWORD, settle: FAST }, w.d());
    t.false(r.ok);
    t.is(r.error?.code, 'BUSY');
    t.is(r.steps.at(-1)?.step, 'open LME and the WS-MAN link');
    t.is(w.me.state.controlMode, 0);
    if (lms.ok) lms.value.close();
  } finally {
    await w.stop();
  }
});
