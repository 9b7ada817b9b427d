// The Redfish channel end to end over HTTPS with a pinned self-signed
// certificate: discovery, every fencing action through verify.ts's Channel
// while the fake's PowerState really moves through PoweringOn/Off, task
// monitors, busy answers and the session count after each test.

import test from 'ava';
import * as fs from 'node:fs';
import { deadlineIn } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { makeCert, type TestCert } from '../fakes/cert.ts';
import { getJson } from '../../agent/channels/redfish/discover.ts';
import { exchange } from '../../agent/channels/redfish/http.ts';
import { parseFault } from '../../agent/channels/redfish/parse.ts';
import type { Auth } from '../../agent/channels/redfish/session.ts';
import { FAST, PASSWORD, USER, withFake } from '../fakes/redfish/harness.ts';

let cert: TestCert;
test.before(() => {
  cert = makeCert();
});
test.after.always(() => fs.rmSync(cert.dir, { recursive: true, force: true }));

/** Long enough for a loaded machine; the tests that pass end long before it. */
const LONG = 15_000;

const TWO = [
  { id: '1', power: 'On' as const },
  { id: '2', power: 'Off' as const },
];

test('several systems: no selector is a CONFIG error naming them; HOST/ID and HOST/URI pick one', async (t) => {
  await withFake(t, cert, { systems: TWO }, async ({ open, fake }) => {
    const none = await open().status(deadlineIn(LONG));
    t.deepEqual(none.ok ? null : none.error.code, 'CONFIG');
    t.regex(none.ok ? '' : none.error.message, /2 systems \(1, 2\)/);
    t.is(fake.openSessions, 0, 'a failed discovery logs out at once');

    t.deepEqual(await open({ host: '127.0.0.1/2' }).status(deadlineIn(LONG)), { ok: true, value: 'off' });
    t.deepEqual(await open({ host: '127.0.0.1/redfish/v1/Systems/1' }).status(deadlineIn(LONG)), { ok: true, value: 'on' });
    const wrong = await open({ host: '127.0.0.1/7' }).status(deadlineIn(LONG));
    t.is(wrong.ok ? null : wrong.error.code, 'CONFIG');
    t.regex(wrong.ok ? '' : wrong.error.message, /no system "7".*1, 2/);
  });
});

test('off through Channel: ForceOff, PoweringOff seen, verified off', async (t) => {
  await withFake(t, cert, { systems: [{ id: 'S1', power: 'On' }], transitionMs: 1000 }, async ({ open, fake }) => {
    const ch = new Channel(open(), FAST);
    const r = await ch.off(deadlineIn(LONG));
    t.true(r.ok, JSON.stringify(r));
    if (!r.ok) return;
    t.is(r.value.state, 'off');
    t.deepEqual(r.value.steps, ['status on', 'off sent', 'off verified']);
    t.deepEqual(fake.machines.get('S1')?.obeyed, ['ForceOff']);
    // PoweringOff lasts 500 ms: the reads saw it and went on until Off.
    const served = [...new Set(fake.seen.flatMap((s) => (s.power ? [s.power] : [])))];
    t.deepEqual(served, ['On', 'PoweringOff', 'Off']);
    t.true(r.value.elapsedMs >= 480, `elapsed ${r.value.elapsedMs}`);
  });
});

test('on through Channel: On, PoweringOn for 400 ms is not done, verified on', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'Off' }], transitionMs: 400 }, async ({ open, fake }) => {
    const ch = new Channel(open(), FAST);
    const r = await ch.on(deadlineIn(LONG));
    t.true(r.ok, JSON.stringify(r));
    if (!r.ok) return;
    t.deepEqual(r.value.steps, ['status off', 'on sent', 'on verified']);
    t.true(r.value.elapsedMs >= 380, `elapsed ${r.value.elapsedMs}`);
    t.deepEqual([...new Set(fake.seen.flatMap((s) => (s.power ? [s.power] : [])))], ['Off', 'PoweringOn', 'On']);
    t.deepEqual(fake.machines.get('1')?.obeyed, ['On']);
    t.is(fake.machines.get('1')?.state(performance.now()), 'On');
  });
});

test('off when already off sends nothing', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'Off' }] }, async ({ open, fake }) => {
    const r = await new Channel(open(), FAST).off(deadlineIn(LONG));
    t.true(r.ok && r.value.steps.join() === 'status off,already off');
    t.deepEqual(fake.machines.get('1')?.obeyed, []);
    t.false(fake.seen.some((s) => s.method === 'POST' && s.path.endsWith('ComputerSystem.Reset')));
  });
});

test('cycle through Channel: 409 right after off is BUSY and retried until On is taken', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On' }], transitionMs: 200, conflictAfterOffMs: 1500 }, async ({ open, fake }) => {
    const r = await new Channel(open(), FAST).cycle(deadlineIn(LONG));
    t.true(r.ok, JSON.stringify(r));
    if (!r.ok) return;
    t.is(r.value.state, 'on');
    t.deepEqual(fake.machines.get('1')?.obeyed, ['ForceOff', 'On']);
    t.true(r.value.steps.includes('busy, retrying in 30 ms'), r.value.steps.join(' | '));
    t.true(fake.seen.some((s) => s.status === 409), 'the fake answered 409');
  });
});

test('reset through Channel: ForceRestart, verified on after PoweringOff and PoweringOn', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On' }], transitionMs: 300 }, async ({ open, fake }) => {
    const r = await new Channel(open(), FAST).reset(deadlineIn(LONG));
    t.true(r.ok, JSON.stringify(r));
    t.deepEqual(fake.machines.get('1')?.obeyed, ['ForceRestart']);
    t.is(r.ok ? r.value.steps.at(-1) : '', 'on verified');
    t.true(r.ok && r.value.elapsedMs >= 400, 'waited through both transitions');
  });
});

test('202 Accepted: the task monitor is polled until the reset task completes', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'Off' }], taskMs: 300, transitionMs: 100 }, async ({ open, fake }) => {
    const driver = open();
    t.deepEqual(await driver.status(deadlineIn(LONG)), { ok: true, value: 'off' });
    const started = performance.now();
    t.deepEqual(await driver.request('on', deadlineIn(LONG)), { ok: true, value: undefined });
    t.true(performance.now() - started >= 280, 'returned only when the task finished');
    const polls = fake.seen.filter((s) => s.path.startsWith('/redfish/v1/TaskService/TaskMonitors/'));
    t.true(polls.length >= 2 && polls.at(-1)?.status === 200 && polls[0]?.status === 202, JSON.stringify(polls));
    t.deepEqual(fake.machines.get('1')?.obeyed, ['On']);
    const r = await new Channel(driver, FAST).on(deadlineIn(LONG));
    t.true(r.ok && r.value.state === 'on');
  });
});

test('a task that outlives the deadline is TIMEOUT within it', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'Off' }], taskMs: 5000 }, async ({ open }) => {
    const driver = open();
    const started = performance.now();
    const r = await driver.request('on', deadlineIn(700));
    t.is(r.ok ? null : r.error.code, 'TIMEOUT');
    const took = performance.now() - started;
    t.true(took >= 650 && took < 3200, `took ${Math.round(took)} ms`);
  });
});

test('ResetType values from @Redfish.ActionInfo: ForceOn where On is absent', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'Off', allowed: ['ForceOn', 'ForceOff'], actionInfo: true }] }, async ({ open, fake }) => {
    const driver = open();
    t.deepEqual(driver.describe().actions, ['on', 'off', 'cycle', 'reset'], 'before discovery nothing is known yet');
    const r = await new Channel(driver, FAST).on(deadlineIn(LONG));
    t.true(r.ok, JSON.stringify(r));
    t.deepEqual(driver.describe().actions, ['on', 'off']);
    t.deepEqual(fake.machines.get('1')?.obeyed, ['ForceOn']);
    t.true(fake.seen.some((s) => s.path === '/redfish/v1/Systems/1/ResetActionInfo'));
  });
});

test('an action the system does not advertise is UNSUPPORTED naming the allowed values, and nothing is sent', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On', allowed: ['On', 'ForceOff', 'GracefulShutdown'] }] }, async ({ open, fake }) => {
    const driver = open();
    t.deepEqual(await driver.status(deadlineIn(LONG)), { ok: true, value: 'on' });
    const direct = await driver.request('reset', deadlineIn(LONG));
    t.is(direct.ok ? null : direct.error.code, 'UNSUPPORTED');
    t.regex(direct.ok ? '' : direct.error.message, /allows ResetType On, ForceOff, GracefulShutdown/);
    const viaChannel = await new Channel(driver, FAST).reset(deadlineIn(LONG));
    t.is(viaChannel.ok ? null : viaChannel.error.code, 'UNSUPPORTED');
    t.false(fake.seen.some((s) => s.method === 'POST' && s.path.endsWith('ComputerSystem.Reset')));
  });
});

test('a ResetType the service refuses (400 ActionParameterNotSupported) is UNSUPPORTED', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On', allowed: null, accepts: ['On', 'ForceOff'] }] }, async ({ open }) => {
    const r = await new Channel(open(), FAST).reset(deadlineIn(LONG));
    t.is(r.ok ? null : r.error.code, 'UNSUPPORTED');
    t.regex(r.ok ? '' : r.error.message, /HTTP 400 \(Base\.1\.16\.ActionParameterNotSupported/);
  });
});

test('wrong password: AUTH at once, one login attempt, no password in the message', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On' }] }, async ({ open, fake }) => {
    const r = await new Channel(open({ password: 'not-the-password' }), FAST).off(deadlineIn(LONG));
    t.is(r.ok ? null : r.error.code, 'AUTH');
    t.is(r.ok ? 0 : r.error.attempts, 1);
    t.regex(r.ok ? '' : r.error.message, /HTTP 401 \(Base\.1\.16\.NoValidSession/);
    t.false(JSON.stringify(r).includes('not-the-password'));
    t.is(fake.seen.filter((s) => s.method === 'POST').length, 1);
  });
});

test('no session service: basic auth; login refused with 405: basic auth', async (t) => {
  for (const sessions of ['absent', 'refused'] as const) {
    await withFake(t, cert, { systems: [{ id: '1', power: 'On' }], sessions }, async ({ open, fake }) => {
      const r = await new Channel(open(), FAST).off(deadlineIn(LONG));
      t.true(r.ok, `${sessions}: ${JSON.stringify(r)}`);
      t.deepEqual(fake.machines.get('1')?.obeyed, ['ForceOff']);
      t.is(fake.seen.filter((s) => s.path === '/redfish/v1/SessionService/Sessions').length, sessions === 'absent' ? 0 : 1);
      t.true(fake.seen.filter((s) => s.path.startsWith('/redfish/v1/Systems')).every((s) => s.credentialed && s.status < 300));
    });
  }
});

test('a session the BMC dropped is replaced by one fresh login', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On' }] }, async ({ open, fake }) => {
    const driver = open();
    t.deepEqual(await driver.status(deadlineIn(LONG)), { ok: true, value: 'on' });
    fake.expireSessions();
    t.deepEqual(await driver.status(deadlineIn(LONG)), { ok: true, value: 'on' });
    t.is(fake.seen.filter((s) => s.method === 'POST' && s.path === '/redfish/v1/SessionService/Sessions').length, 2);
    t.is(fake.openSessions, 1);
  });
});

test('503 is BUSY and retried with backoff; close logs out', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On' }] }, async ({ open, fake }) => {
    fake.busy = 0;
    const driver = open();
    t.deepEqual(await driver.status(deadlineIn(LONG)), { ok: true, value: 'on' });
    fake.busy = 2;
    const r = await new Channel(driver, FAST).status(deadlineIn(LONG));
    t.true(r.ok && r.value.state === 'on', JSON.stringify(r));
    t.deepEqual(r.ok ? r.value.steps.filter((s) => s.startsWith('busy')) : [], ['busy, retrying in 30 ms', 'busy, retrying in 60 ms']);
    t.is(fake.openSessions, 1);
    await driver.close(deadlineIn(1000));
    t.is(fake.openSessions, 0);
    t.true(fake.seen.some((s) => s.method === 'DELETE' && s.status === 204));
  });
});

test('garbage instead of JSON is PROTOCOL, and the session is already gone', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On' }], garbage: ['/redfish/v1/Systems'] }, async ({ open, fake }) => {
    const r = await new Channel(open(), FAST).status(deadlineIn(LONG));
    t.is(r.ok ? null : r.error.code, 'PROTOCOL');
    t.regex(r.ok ? '' : r.error.message, /GET \/redfish\/v1\/Systems: the reply is not JSON/);
    t.is(fake.openSessions, 0);
  });
});

test('every message stays free of the password', async (t) => {
  await withFake(t, cert, { systems: TWO, garbage: ['/redfish/v1/Systems/2'] }, async ({ open }) => {
    const results = [await open().status(deadlineIn(LONG)), await open({ host: '127.0.0.1/2' }).status(deadlineIn(LONG)), await open({ user: 'nobody' }).request('off', deadlineIn(LONG))];
    t.deepEqual(results.map((r) => (r.ok ? 'ok' : r.error.code)), ['CONFIG', 'PROTOCOL', 'AUTH']);
    t.false(JSON.stringify(results).includes(PASSWORD));
  });
});

test('the fake is strict: unknown path 404, no credentials 401, both with a Redfish error body the client reads', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On' }] }, async ({ port }) => {
    const ep = { host: '127.0.0.1', port, pin: Buffer.from(cert.pin.slice(7), 'hex') };
    const basic: Auth = { kind: 'basic', header: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };
    const missing = await getJson(ep, basic, '/redfish/v1/Systems/1/Bios', deadlineIn(LONG), PASSWORD);
    t.deepEqual(missing, { ok: false, error: { code: 'CONFIG', message: 'GET /redfish/v1/Systems/1/Bios: HTTP 404 (Base.1.16.ResourceMissingAtURI: The resource at the URI /redfish/v1/Systems/1/Bios was not found.)' } });
    const anonymous = await exchange(ep, { method: 'GET', path: '/redfish/v1/Systems' }, deadlineIn(LONG));
    t.is(anonymous.ok ? anonymous.value.status : 0, 401);
    t.is(anonymous.ok ? anonymous.value.headers['www-authenticate'] : '', 'Basic realm="fake-bmc"');
    t.deepEqual(anonymous.ok ? parseFault(anonymous.value.body).messageIds : [], ['Base.1.16.NoValidSession', 'Base.1.16.NoValidSession']);
    const root = await exchange(ep, { method: 'GET', path: '/redfish/v1/' }, deadlineIn(LONG));
    t.is(root.ok ? root.value.status : 0, 200, 'the service root needs no credentials');
  });
});
