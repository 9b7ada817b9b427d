// The Proxmox VE channel against the FAKE pveproxy over pinned HTTPS: the
// ladder's actions with a token and with a ticket (CSRF on every POST), node
// discovery and a VM that moves between calls, UPID tasks that fail, locks
// and busy answers, a ticket that expires mid-run, and wrong credentials.

import test from 'ava';
import { proxmoxChannel } from '../../agent/channels/proxmox/index.ts';
import { deadlineIn, type ChannelOptions, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import type { FakeRequest } from '../fakes/api-server.ts';
import { FAST, PASSWORD, TOKEN_SECRET, startPve, type PveRig } from '../fakes/proxmox/harness.ts';

function open(o: ChannelOptions): PowerDriver {
  const r = proxmoxChannel.open(o);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function withPve(nodes: string[], body: (rig: PveRig) => Promise<void>, o: Parameters<typeof startPve>[1] = {}): Promise<void> {
  const rig = await startPve(nodes, o);
  try {
    await body(rig);
  } finally {
    await rig.close();
  }
}

const paths = (log: FakeRequest[]) => log.map((r) => `${r.method} ${r.path}`);
const text = (r: unknown) => JSON.stringify(r);

test('token: status, off, on, reset, cycle through the ladder; node looked up once; the token header as documented', async (t) => {
  await withPve(['pve1', 'pve2'], async ({ fake, token }) => {
    const vm = fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve2', power: 'on', delayMs: 120 });
    const ch = new Channel(open(token()), FAST);
    const d = () => deadlineIn(10_000);
    t.like(await ch.status(d()), { ok: true, value: { state: 'on', verified: true } });
    t.like(await ch.off(d()), { ok: true, value: { state: 'off', verified: true } });
    t.is(vm.machine.state(), 'off');
    t.like(await ch.on(d()), { ok: true, value: { state: 'on' } });
    t.like(await ch.reset(d()), { ok: true, value: { state: 'on' } });
    t.like(await ch.cycle(d()), { ok: true, value: { state: 'on' } });
    t.deepEqual(vm.machine.requests, ['off', 'on', 'reset', 'off', 'on']);
    const log = fake.server.log;
    t.is(log.filter((r) => r.path === '/api2/json/cluster/resources').length, 1, 'the placement is remembered');
    t.is(log[0]?.query.get('type'), 'vm');
    for (const r of log) {
      t.is(r.headers['authorization'], `PVEAPIToken=fence@pve!agent=${TOKEN_SECRET}`);
      t.is(r.headers['cookie'], undefined);
    }
    t.true(paths(log).includes('POST /api2/json/nodes/pve2/qemu/100/status/reset'));
    t.true(log.some((r) => /^\/api2\/json\/nodes\/pve2\/tasks\/UPID%3Apve2%3A[0-9A-F]{8}%3A/.test(r.path)), 'the task is polled on its node');
    t.true(log.every((r) => r.headers['transfer-encoding'] === undefined));
    t.is(ch.describe().target, `${fake.url} node pve2 qemu/100`);
  });
});

test('ticket: one login, the cookie on every call and the CSRF token on every POST; the fake refuses a POST without it', async (t) => {
  await withPve(['pve1'], async ({ fake, ticket }) => {
    const vm = fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'off' });
    const ch = new Channel(open(ticket({ node: 'pve1', kind: 'qemu' })), FAST);
    t.like(await ch.cycle(deadlineIn(10_000)), { ok: true, value: { state: 'on' } });
    t.is(fake.logins, 1);
    const [login, ...rest] = fake.server.log;
    t.is(login?.path, '/api2/json/access/ticket');
    t.deepEqual(JSON.parse(login?.body.toString() ?? '{}'), { username: 'fence@pve', password: PASSWORD });
    t.regex(String(login?.headers['content-type']), /^application\/json/);
    t.false(paths(rest).includes('GET /api2/json/cluster/resources'), 'node and kind given: no lookup');
    for (const r of rest) {
      t.regex(String(r.headers['cookie']), /^PVEAuthCookie=PVE%3Afence%40pve%3A/);
      if (r.method === 'POST') t.regex(String(r.headers['csrfpreventiontoken']), /^[0-9A-F]{8}:/);
    }
    t.deepEqual(vm.machine.requests, ['on']);
    // The same cookie without the header: pveproxy's CSRF check answers 401.
    const post = rest.find((r) => r.method === 'POST');
    const res = await fetchInsecure(fake.url, '/api2/json/nodes/pve1/qemu/100/status/stop', String(post?.headers['cookie']));
    t.is(res, 401);
    t.deepEqual(vm.machine.requests, ['on'], 'refused before anything happened');
  });
});

/** A POST with only the cookie, through node:https with the fake's self-signed certificate accepted for this one request. */
async function fetchInsecure(base: string, path: string, cookie: string): Promise<number> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = https.request(`${base}${path}`, { method: 'POST', rejectUnauthorized: false, headers: { Cookie: cookie, 'Content-Length': '0' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('a VM that moved to another node between calls is found again, once per call', async (t) => {
  await withPve(['pve1', 'pve2', 'pve3'], async ({ fake, token }) => {
    const vm = fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'on', delayMs: 50 });
    const ch = new Channel(open(token({ node: 'pve1' })), FAST);
    t.like(await ch.status(deadlineIn(5000)), { ok: true, value: { state: 'on' } });
    fake.cluster.migrate(100, 'pve3');
    const before = fake.server.log.length;
    t.like(await ch.off(deadlineIn(5000)), { ok: true, value: { state: 'off' } });
    t.deepEqual(paths(fake.server.log.slice(before, before + 3)), [
      'GET /api2/json/nodes/pve1/qemu/100/status/current',
      'GET /api2/json/cluster/resources',
      'GET /api2/json/nodes/pve3/qemu/100/status/current',
    ]);
    t.deepEqual(vm.machine.requests, ['off']);
    t.regex(ch.describe().target, /node pve3 qemu\/100$/);
    // Gone from the cluster altogether: CONFIG, not retried.
    fake.cluster.guests.delete(100);
    const r = await ch.status(deadlineIn(5000));
    t.like(r, { ok: false, error: { code: 'CONFIG', attempts: 1 } });
  });
});

test('a node that is down (595) is looked up again, then UNREACHABLE, retried by the ladder until its deadline', async (t) => {
  await withPve(['pve1', 'pve2'], async ({ fake, token }) => {
    fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'on' });
    fake.cluster.offline.add('pve1');
    const r1 = await open(token()).status(deadlineIn(2000));
    t.like(r1, { ok: false, error: { code: 'UNREACHABLE' } });
    t.regex(r1.ok ? '' : r1.error.message, /HTTP 595 \(VM 100 is listed on node pve1\)/);
    t.deepEqual(paths(fake.server.log), ['GET /api2/json/cluster/resources', 'GET /api2/json/nodes/pve1/qemu/100/status/current', 'GET /api2/json/cluster/resources', 'GET /api2/json/nodes/pve1/qemu/100/status/current']);
    const t0 = performance.now();
    const r2 = await new Channel(open(token()), FAST).status(deadlineIn(600));
    const took = performance.now() - t0;
    t.true(!r2.ok && ['UNREACHABLE', 'TIMEOUT'].includes(r2.error.code));
    t.true(took < 900, `deadline 600 ms, took ${Math.round(took)} ms`);
    t.true(r2.ok ? false : r2.error.attempts >= 2, 'retried within the deadline');
  });
});

test('LXC: described without reset, reset refused before any request; "already running" to a start is success', async (t) => {
  await withPve(['pve1'], async ({ fake, token }) => {
    const ct = fake.cluster.add({ vmid: 100, kind: 'lxc', node: 'pve1', power: 'on' });
    const drv = open(token({ kind: 'lxc', node: 'pve1' }));
    t.deepEqual(drv.describe().actions, ['on', 'off']);
    const n = fake.server.log.length;
    t.like(await drv.request('reset', deadlineIn(2000)), { ok: false, error: { code: 'UNSUPPORTED' } });
    t.is(fake.server.log.length, n);
    t.like(await new Channel(drv, FAST).reset(deadlineIn(2000)), { ok: false, error: { code: 'UNSUPPORTED' } });
    t.deepEqual(await drv.request('on', deadlineIn(2000)), { ok: true, value: undefined });
    t.deepEqual(ct.machine.requests, []);
    t.like(await new Channel(drv, FAST).off(deadlineIn(5000)), { ok: true, value: { state: 'off' } });
  });
});

test('a task that ends with an error exitstatus is an error (STATE, not retried); a lock is BUSY and retried', async (t) => {
  await withPve(['pve1'], async ({ fake, token }) => {
    const vm = fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'off' });
    fake.cluster.failTasks.push('start failed: QEMU exited with code 1');
    const ch = new Channel(open(token()), FAST);
    const r = await ch.on(deadlineIn(5000));
    t.like(r, { ok: false, error: { code: 'STATE' } });
    t.regex(r.ok ? '' : r.error.message, /task UPID:pve1:.*failed: start failed: QEMU exited with code 1/);
    t.is(fake.server.log.filter((x) => x.method === 'POST').length, 1);
    fake.cluster.failTasks.push('VM is locked (backup)');
    t.like(await ch.on(deadlineIn(5000)), { ok: true, value: { state: 'on' } });
    t.is(fake.server.log.filter((x) => x.method === 'POST').length, 3, 'the locked start was sent again');
    t.is(vm.machine.state(), 'on');
  });
});

test('busy answers (a lock file held) are retried with backoff', async (t) => {
  await withPve(['pve1'], async ({ fake, token }) => {
    fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'on' });
    fake.busyPosts = 2;
    const r = await new Channel(open(token()), FAST).off(deadlineIn(5000));
    t.like(r, { ok: true, value: { state: 'off' } });
    t.is(fake.server.log.filter((x) => x.method === 'POST').length, 3);
    t.true(r.ok && r.value.steps.filter((s) => s.startsWith('busy, retrying')).length === 2);
  });
});

test('a locked or launching VM is transitioning, never taken as done; the stop waits for the lock to clear', async (t) => {
  await withPve(['pve1'], async ({ fake, token }) => {
    const vm = fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'on', lock: 'migrate' });
    const drv = open(token());
    t.deepEqual(await drv.status(deadlineIn(2000)), { ok: true, value: 'transitioning' });
    setTimeout(() => delete vm.lock, 300);
    const t0 = performance.now();
    const r = await new Channel(drv, FAST).off(deadlineIn(5000));
    t.like(r, { ok: true, value: { state: 'off' } });
    const stop = fake.server.log.find((x) => x.method === 'POST');
    t.truthy(stop);
    t.true(performance.now() - t0 >= 290);
    t.true(r.ok && r.value.steps.includes('status transitioning'));
    // A hibernated VM (stopped, lock 'suspended') is off; a start resumes it.
    vm.lock = 'suspended';
    t.deepEqual(await drv.status(deadlineIn(2000)), { ok: true, value: 'off' });
    vm.machine.delayMs = 200;
    t.like(await new Channel(drv, FAST).on(deadlineIn(5000)), { ok: true, value: { state: 'on' } });
    t.false('lock' in vm, 'the resume cleared the lock');
  });
});

test('a ticket expired mid-run: one fresh login and the call repeated; refused again after it: AUTH', async (t) => {
  await withPve(['pve1'], async ({ fake, ticket }) => {
    fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'on' });
    const drv = open(ticket({ node: 'pve1', kind: 'qemu' }));
    for (let i = 0; i < 3; i++) t.deepEqual(await drv.status(deadlineIn(2000)), { ok: true, value: 'on' });
    const get = 'GET /api2/json/nodes/pve1/qemu/100/status/current';
    const login = 'POST /api2/json/access/ticket';
    t.deepEqual(paths(fake.server.log), [login, get, get, get, login, get], 'the third use found the ticket expired');
    t.like(await new Channel(drv, FAST).off(deadlineIn(5000)), { ok: true, value: { state: 'off' } });
  }, { ticketUses: 2 });
  await withPve(['pve1'], async ({ fake, ticket }) => {
    fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'on' });
    const drv = open(ticket({ node: 'pve1', kind: 'qemu' }));
    t.like(await drv.status(deadlineIn(2000)), { ok: true });
    fake.refuseTickets = true;
    const r = await new Channel(drv, FAST).off(deadlineIn(5000));
    t.like(r, { ok: false, error: { code: 'AUTH', attempts: 1 } });
    // status (expired) -> login -> status (refused again): AUTH, no third login.
    t.is(fake.logins, 2);
    t.deepEqual(paths(fake.server.log).slice(-3), ['GET /api2/json/nodes/pve1/qemu/100/status/current', 'POST /api2/json/access/ticket', 'GET /api2/json/nodes/pve1/qemu/100/status/current']);
    t.is(fake.server.log.length, 5);
  });
});

test('wrong password or token: AUTH at once, one request, and the secret in no message', async (t) => {
  await withPve(['pve1'], async ({ fake, ticket, token }) => {
    fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'on' });
    const wrongPw = 'not-the-Pw-8812';
    const r1 = await new Channel(open({ ...ticket(), password: wrongPw }), FAST).off(deadlineIn(5000));
    t.like(r1, { ok: false, error: { code: 'AUTH', attempts: 1 } });
    t.is(fake.server.log.length, 1);
    t.regex(r1.ok ? '' : r1.error.message, /authentication failure/);
    const wrongToken = '00000000-dead-beef-0000-000000000000';
    const r2 = await new Channel(open({ ...token(), secrets: { 'token-file': wrongToken } }), FAST).off(deadlineIn(5000));
    t.like(r2, { ok: false, error: { code: 'AUTH', attempts: 1 } });
    t.is(fake.server.log.length, 2);
    for (const s of [wrongPw, wrongToken, PASSWORD, TOKEN_SECRET]) t.false(text(r1).includes(s) || text(r2).includes(s));
    t.deepEqual(fake.cluster.guests.get(100)?.machine.requests, []);
  });
});
