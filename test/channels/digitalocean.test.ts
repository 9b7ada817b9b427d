// The DigitalOcean channel against its strict fake: the shared VPS suite, then
// what is DigitalOcean's own: the action body, the droplet lock (a locked
// droplet reads as moving; a new action on it is refused with 422, which is
// BUSY), and the {"id", "message"} error bodies.

import test from 'ava';
import { digitaloceanChannel } from '../../agent/channels/digitalocean/index.ts';
import { digitaloceanError, parseAction, parseDroplet } from '../../agent/channels/digitalocean/parse.ts';
import { followAction } from '../../agent/channels/cloud/follow.ts';
import type { ActionState } from '../../agent/channels/cloud/provider.ts';
import { cerr, cok, deadlineIn, type ChannelResult } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { cliSuite } from '../fakes/cloud/cli.ts';
import { fuzzSuite } from '../fakes/cloud/fuzz.ts';
import { cloudSuite, FAST, withRig, type ProviderRig } from '../fakes/cloud/suite.ts';
import { DO_DROPLET, digitaloceanFake } from '../fakes/digitalocean/fake.ts';

const rig: ProviderRig = {
  name: 'digitalocean',
  module: digitaloceanChannel,
  fake: digitaloceanFake,
  basePath: '',
  idParams: { droplet: DO_DROPLET },
  powerPath: `/v2/droplets/${DO_DROPLET}/actions`,
  statusPath: `/v2/droplets/${DO_DROPLET}`,
  busy: true,
  actionObjects: true,
};

cloudSuite(rig);
cliSuite(rig);
fuzzSuite('digitalocean', {
  status: parseDroplet,
  envelope: (status, extra) => ({ droplet: { locked: false, ...extra, status } }),
  action: parseAction,
  error: digitaloceanError,
});

test('digitalocean: the exact requests: one JSON body per action, the action read at /v2/actions/{id}', async (t) => {
  await withRig(rig, { initial: 'on', delayMs: 120 }, async (f, open) => {
    t.true((await new Channel(open(), FAST).cycle(deadlineIn(15_000))).ok);
    t.true((await new Channel(open(), FAST).reset(deadlineIn(15_000))).ok);
    const posts = f.server.log.filter((r) => r.method === 'POST');
    t.true(posts.every((r) => r.path === `/v2/droplets/${DO_DROPLET}/actions` && r.headers['content-type'] === 'application/json'));
    t.deepEqual(posts.map((r) => JSON.parse(r.body.toString('utf8')) as unknown), [{ type: 'power_off' }, { type: 'power_on' }, { type: 'power_cycle' }]);
    const reads = f.server.log.filter((r) => r.path.startsWith('/v2/actions/')).map((r) => r.path);
    t.deepEqual([...new Set(reads)], ['/v2/actions/7001', '/v2/actions/7002', '/v2/actions/7003']);
  });
});

test('digitalocean: a locked droplet reads as moving, and a new action on it is 422, BUSY', async (t) => {
  await withRig(rig, { initial: 'on', delayMs: 3000 }, async (f, open) => {
    f.machine.off();
    const driver = open();
    t.deepEqual(await driver.status(deadlineIn(5000)), { ok: true, value: 'transitioning' });
    const r = await driver.request('on', deadlineIn(5000));
    t.is(r.ok ? null : r.error.code, 'BUSY');
    t.regex(r.ok ? '' : r.error.message, /HTTP 422: unprocessable_entity: Droplet already has a pending event\./);
    t.deepEqual(f.machine.requests, ['off']);
    f.machine.delayMs = 0;
  });
});

test('digitalocean: the fake refuses what the reference refuses', async (t) => {
  await withRig(rig, { initial: 'on' }, async (f) => {
    const post = (body: string, auth = `Bearer ${f.token}`) => fetch(`${f.server.url}/v2/droplets/${DO_DROPLET}/actions`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body });
    const noAuth = await post('{"type":"power_off"}', 'Bearer nope');
    t.is(noAuth.status, 401);
    t.deepEqual(await noAuth.json(), { id: 'unauthorized', message: 'Unable to authenticate you.' });
    const broken = await post('{"type":');
    t.is(broken.status, 400);
    t.like(await broken.json(), { id: 'bad_request' });
    for (const body of ['{"type":"reboot"}', '{"type":"power_off","force":true}', '[]']) t.is((await post(body)).status, 422, body);
    t.deepEqual(f.machine.requests, []);
  });
});

test('digitalocean: droplet states: locked or new is moving, archive cannot come back', (t) => {
  const read = (status: string, locked: unknown) => parseDroplet({ droplet: { status, locked } });
  t.deepEqual(read('active', false), { ok: true, value: 'on' });
  t.deepEqual(read('off', false), { ok: true, value: 'off' });
  t.deepEqual(read('active', true), { ok: true, value: 'transitioning' });
  t.deepEqual(read('off', true), { ok: true, value: 'transitioning' });
  t.deepEqual(read('new', false), { ok: true, value: 'transitioning' });
  const archived = read('archive', false);
  t.is(archived.ok ? null : archived.error.code, 'STATE');
  const noLock = read('active', 'no');
  t.is(noLock.ok ? null : noLock.error.code, 'PROTOCOL');
});

test('digitalocean: error bodies: 401 AUTH, 404 CONFIG, 422 BUSY, 429 BUSY with its Retry-After', (t) => {
  const reply = (status: number, id: string, headers = {}) => ({ status, headers, json: { id, message: 'msg' } });
  t.is(digitaloceanError(reply(401, 'unauthorized'), 'x').code, 'AUTH');
  t.is(digitaloceanError(reply(404, 'not_found'), 'x').code, 'CONFIG');
  t.is(digitaloceanError(reply(422, 'unprocessable_entity'), 'x').code, 'BUSY');
  const limited = digitaloceanError(reply(429, 'too_many_requests', { 'retry-after': '7' }), 'GET /v2/droplets/1');
  t.is(limited.code, 'BUSY');
  t.is(limited.message, 'GET /v2/droplets/1: HTTP 429: too_many_requests: msg; retry after 7 s');
});

test('following an action: busy and unreachable reads are polled through, AUTH ends it, another action id is PROTOCOL', async (t) => {
  const scripted = (answers: ChannelResult<ActionState>[]) => {
    const seen: string[] = [];
    return { seen, read: async (id: string) => (seen.push(id), answers.shift() ?? cerr('PROTOCOL', 'script ran out')) };
  };
  const start = { id: '9', done: false };
  const a = scripted([cerr('BUSY', 'HTTP 429'), cok({ id: '9', done: false }), cerr('UNREACHABLE', 'reset'), cok({ id: '9', done: true })]);
  t.deepEqual(await followAction(start, a.read, 'off', deadlineIn(10_000)), { ok: true, value: undefined });
  t.deepEqual(a.seen, ['9', '9', '9', '9']);
  const b = scripted([cok({ id: '9', done: false }), cerr('AUTH', 'HTTP 401')]);
  const rb = await followAction(start, b.read, 'off', deadlineIn(10_000));
  t.is(rb.ok ? null : rb.error.code, 'AUTH');
  const c = scripted([cok({ id: '10', done: true })]);
  const rc = await followAction(start, c.read, 'off', deadlineIn(10_000));
  t.is(rc.ok ? null : rc.error.code, 'PROTOCOL');
});
