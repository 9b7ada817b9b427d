// The vSphere channel against the FAKE vCenter over pinned HTTPS: the ladder's
// actions on /api and on the legacy /rest (chosen or detected), SUSPENDED taken
// as not off, ALREADY_IN_DESIRED_STATE as success, RESOURCE_BUSY retried, an
// expired session replaced once, wrong credentials; every test ends with the
// session count at zero.

import test, { type ExecutionContext } from 'ava';
import { vsphereChannel } from '../../agent/channels/vsphere/index.ts';
import { deadlineIn, type ChannelOptions, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { FAST, PASSWORD, startVcenter, type VcRig } from '../fakes/vsphere/harness.ts';
import type { VsphereFakeOptions } from '../fakes/vsphere/server.ts';

/** Runs `body`; every driver it opened is closed, and the fake must then hold no session. */
async function withVc(t: ExecutionContext, o: Omit<VsphereFakeOptions, 'tls' | 'user' | 'password'>, body: (rig: VcRig, open: (x?: Partial<ChannelOptions>) => PowerDriver) => Promise<void>): Promise<void> {
  const rig = await startVcenter(o);
  const drivers: PowerDriver[] = [];
  const open = (x: Partial<ChannelOptions> = {}) => {
    const r = vsphereChannel.open({ ...rig.opts(), ...x });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    drivers.push(r.value);
    return r.value;
  };
  try {
    await body(rig, open);
  } finally {
    for (const d of drivers) await d.close(deadlineIn(2000));
    const left = rig.fake.openSessions;
    await rig.close();
    t.is(left, 0, 'sessions left open on vCenter');
  }
}

const calls = (rig: VcRig) => rig.fake.answered.map((a) => `${a.method} ${a.path} ${a.status}${a.error ? ` ${a.error}` : ''}`);

test('/api: status, off, on, reset, cycle; one session, its id in every call, deleted at close', async (t) => {
  await withVc(t, {}, async (rig, open) => {
    const vm = rig.fake.add('vm-42', 'on', 80);
    const drv = open();
    const ch = new Channel(drv, FAST);
    const d = () => deadlineIn(10_000);
    t.like(await ch.status(d()), { ok: true, value: { state: 'on', verified: true } });
    t.like(await ch.off(d()), { ok: true, value: { state: 'off' } });
    t.like(await ch.on(d()), { ok: true, value: { state: 'on' } });
    t.like(await ch.reset(d()), { ok: true, value: { state: 'on' } });
    t.like(await ch.cycle(d()), { ok: true, value: { state: 'on' } });
    t.deepEqual(vm.machine.requests, ['off', 'on', 'reset', 'off', 'on']);
    t.is(rig.fake.sessionsCreated, 1);
    const [login, ...rest] = rig.fake.server.log;
    t.is(`${login?.method} ${login?.path}`, 'POST /api/session');
    t.is(login?.headers['authorization'], `Basic ${Buffer.from(`fence@vsphere.local:${PASSWORD}`).toString('base64')}`);
    const sid = rest[0]?.headers['vmware-api-session-id'];
    t.regex(String(sid), /^[0-9a-f]{32}$/);
    for (const r of rest) {
      t.is(r.headers['vmware-api-session-id'], sid);
      t.is(r.headers['authorization'], undefined, 'the password goes only to the login');
    }
    t.true(calls(rig).includes('POST /api/vcenter/vm/vm-42/power 204'));
    t.deepEqual(rest.filter((r) => r.method === 'POST').map((r) => r.query.get('action')), ['stop', 'start', 'reset', 'stop', 'start']);
    await drv.close(deadlineIn(2000));
    t.is(calls(rig).at(-1), 'DELETE /api/session 204');
  });
});

test('/rest chosen with --api rest, and detected when vCenter has no /api', async (t) => {
  await withVc(t, { dialects: 'rest-only' }, async (rig, open) => {
    const vm = rig.fake.add('vm-42', 'off');
    t.like(await new Channel(open({ params: { endpoint: rig.url, vm: 'vm-42', api: 'rest' } }), FAST).on(deadlineIn(5000)), { ok: true, value: { state: 'on' } });
    t.false(rig.fake.server.log.some((r) => r.path.startsWith('/api/')), '--api rest never tries /api');
    const n = rig.fake.answered.length;
    t.like(await new Channel(open(), FAST).off(deadlineIn(5000)), { ok: true, value: { state: 'off' } });
    t.deepEqual(calls(rig).slice(n, n + 4), [
      'POST /api/session 404',
      'POST /rest/com/vmware/cis/session 200',
      'GET /rest/vcenter/vm/vm-42/power 200',
      'POST /rest/vcenter/vm/vm-42/power/stop 200',
    ]);
    t.deepEqual(vm.machine.requests, ['on', 'off']);
  });
});

test('SUSPENDED reads as on: off sends stop and verifies POWERED_OFF; cycle brings it back fresh', async (t) => {
  await withVc(t, {}, async (rig, open) => {
    const vm = rig.fake.add('vm-42', 'suspended');
    const drv = open();
    t.deepEqual(await drv.status(deadlineIn(2000)), { ok: true, value: 'on' });
    t.like(await new Channel(drv, FAST).off(deadlineIn(5000)), { ok: true, value: { state: 'off' } });
    t.false(vm.suspended, 'the suspended image was discarded');
    vm.suspended = true;
    t.like(await new Channel(drv, FAST).cycle(deadlineIn(5000)), { ok: true, value: { state: 'on' } });
    t.deepEqual(vm.machine.requests, ['off', 'off', 'on']);
  });
});

test('ALREADY_IN_DESIRED_STATE is success; RESOURCE_BUSY during another client\'s power-on is retried', async (t) => {
  await withVc(t, {}, async (rig, open) => {
    const vm = rig.fake.add('vm-42', 'on', 250);
    t.deepEqual(await open().request('on', deadlineIn(2000)), { ok: true, value: undefined });
    t.true(calls(rig).includes('POST /api/vcenter/vm/vm-42/power 400 ALREADY_IN_DESIRED_STATE'));
    vm.machine.off();
    await new Promise((r) => setTimeout(r, 260));
    // Another client starts it; ours asks for on meanwhile: busy, then already on, then verified.
    const other = open().request('on', deadlineIn(3000));
    await new Promise((r) => setTimeout(r, 60));
    const r = await new Channel(open(), FAST).on(deadlineIn(3000));
    t.like(r, { ok: true, value: { state: 'on' } });
    t.deepEqual(await other, { ok: true, value: undefined });
    t.true(calls(rig).includes('POST /api/vcenter/vm/vm-42/power 500 RESOURCE_BUSY'));
    t.true(r.ok && r.value.steps.some((s) => s.startsWith('busy, retrying')));
    rig.fake.busyPosts = 2;
    t.like(await new Channel(open(), FAST).off(deadlineIn(3000)), { ok: true, value: { state: 'off' } });
  });
});

test('reset of a powered-off VM through the driver is STATE (NOT_ALLOWED_IN_CURRENT_STATE); an unknown VM is CONFIG', async (t) => {
  await withVc(t, {}, async (rig, open) => {
    rig.fake.add('vm-42', 'off');
    t.like(await open().request('reset', deadlineIn(2000)), { ok: false, error: { code: 'STATE' } });
    const r = await new Channel(open({ params: { endpoint: rig.url, vm: 'vm-404' } }), FAST).off(deadlineIn(2000));
    t.like(r, { ok: false, error: { code: 'CONFIG', attempts: 1 } });
    t.regex(r.ok ? '' : r.error.message, /NOT_FOUND/);
  });
});

test('a session that expired mid-run is replaced once; a session refused at once is AUTH', async (t) => {
  await withVc(t, { sessionUses: 2 }, async (rig, open) => {
    rig.fake.add('vm-42', 'on');
    const drv = open();
    for (let i = 0; i < 3; i++) t.deepEqual(await drv.status(deadlineIn(2000)), { ok: true, value: 'on' });
    t.deepEqual(calls(rig), [
      'POST /api/session 201',
      'GET /api/vcenter/vm/vm-42/power 200',
      'GET /api/vcenter/vm/vm-42/power 200',
      'GET /api/vcenter/vm/vm-42/power 401 UNAUTHENTICATED',
      'POST /api/session 201',
      'GET /api/vcenter/vm/vm-42/power 200',
    ]);
    // The expired session is gone on vCenter's side; only the live one is deleted at close.
    t.is(rig.fake.sessionsCreated, 2);
  });
  await withVc(t, { sessionUses: 0 }, async (rig, open) => {
    rig.fake.add('vm-42', 'on');
    const r = await new Channel(open(), FAST).off(deadlineIn(2000));
    t.like(r, { ok: false, error: { code: 'AUTH', attempts: 1 } });
    t.deepEqual(calls(rig), ['POST /api/session 201', 'GET /api/vcenter/vm/vm-42/power 401 UNAUTHENTICATED']);
  });
});

test('a session refused after a fresh login too: one re-login, then AUTH', async (t) => {
  await withVc(t, {}, async (rig, open) => {
    rig.fake.add('vm-42', 'on');
    const drv = open();
    t.deepEqual(await drv.status(deadlineIn(2000)), { ok: true, value: 'on' });
    rig.fake.refuseSessions = true;
    const r = await new Channel(drv, FAST).off(deadlineIn(3000));
    t.like(r, { ok: false, error: { code: 'AUTH', attempts: 1 } });
    t.deepEqual(calls(rig).slice(2), ['GET /api/vcenter/vm/vm-42/power 401 UNAUTHENTICATED', 'POST /api/session 201', 'GET /api/vcenter/vm/vm-42/power 401 UNAUTHENTICATED']);
  });
});

test('a wrong password: AUTH at once, one login attempt, no /rest fallback, the password in no message', async (t) => {
  await withVc(t, {}, async (rig, open) => {
    rig.fake.add('vm-42', 'on');
    const wrong = 'wr0ng-VC-pass-3310';
    const r = await new Channel(open({ password: wrong }), FAST).off(deadlineIn(5000));
    t.like(r, { ok: false, error: { code: 'AUTH', attempts: 1 } });
    t.deepEqual(calls(rig), ['POST /api/session 401 UNAUTHENTICATED']);
    t.false(JSON.stringify(r).includes(wrong));
    t.false(JSON.stringify(r).includes(PASSWORD));
    t.is(rig.fake.sessionsCreated, 0);
  });
});
