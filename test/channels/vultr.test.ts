// The Vultr channel against its strict fake: the shared VPS suite, then what is
// Vultr's own: bodiless POSTs answered 204 (no action object, so the ladder's
// reads are the verification), and the three status fields read together.

import test from 'ava';
import { vultrChannel } from '../../agent/channels/vultr/index.ts';
import { parseInstance, vultrError } from '../../agent/channels/vultr/parse.ts';
import { deadlineIn } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { cliSuite } from '../fakes/cloud/cli.ts';
import { fuzzSuite } from '../fakes/cloud/fuzz.ts';
import { cloudSuite, FAST, withRig, type ProviderRig } from '../fakes/cloud/suite.ts';
import { VULTR_INSTANCE, vultrFake } from '../fakes/vultr/fake.ts';
import { ApiServer } from '../fakes/api-server.ts';
import { FAKE_TOKEN } from '../fakes/cloud/fake.ts';
import { rigOpts } from '../fakes/cloud/suite.ts';

const rig: ProviderRig = {
  name: 'vultr',
  module: vultrChannel,
  fake: vultrFake,
  basePath: '/v2',
  idParams: { instance: VULTR_INSTANCE },
  powerPath: `/v2/instances/${VULTR_INSTANCE}/`,
  statusPath: `/v2/instances/${VULTR_INSTANCE}`,
  busy: false,
  actionObjects: false,
};

cloudSuite(rig);
cliSuite(rig);
fuzzSuite('vultr', {
  status: parseInstance,
  envelope: (word, extra) => ({ instance: { status: 'active', power_status: 'running', server_status: 'ok', ...extra, [['status', 'power_status', 'server_status'][word.length % 3] ?? 'status']: word } }),
  error: vultrError,
});

test('vultr: the exact requests: start, halt, reboot without a body; status reads carry the verification', async (t) => {
  await withRig(rig, { initial: 'on', delayMs: 150 }, async (f, open) => {
    t.true((await new Channel(open(), FAST).cycle(deadlineIn(15_000))).ok);
    const reset = await new Channel(open(), FAST).reset(deadlineIn(15_000));
    t.true(reset.ok, JSON.stringify(reset));
    const posts = f.server.log.filter((r) => r.method === 'POST');
    t.deepEqual(posts.map((r) => r.path), ['halt', 'start', 'reboot'].map((v) => `/v2/instances/${VULTR_INSTANCE}/${v}`));
    t.true(posts.every((r) => r.body.length === 0 && r.headers['content-type'] === undefined));
    t.true(f.count('GET', rig.statusPath) >= 6, 'the ladder read the state before and after each request');
  });
});

test('vultr: the three fields: only an active, settled instance has a power state', (t) => {
  const read = (status: string, power_status: string, server_status: string) => parseInstance({ instance: { status, power_status, server_status } });
  t.deepEqual(read('active', 'running', 'ok'), { ok: true, value: 'on' });
  t.deepEqual(read('active', 'running', 'none'), { ok: true, value: 'on' });
  t.deepEqual(read('active', 'stopped', 'none'), { ok: true, value: 'off' });
  t.deepEqual(read('active', 'stopped', 'ok'), { ok: true, value: 'off' });
  t.deepEqual(read('active', 'running', 'installingbooting'), { ok: true, value: 'transitioning' });
  t.deepEqual(read('active', 'running', 'locked'), { ok: true, value: 'transitioning' });
  t.deepEqual(read('active', 'stopped', 'locked'), { ok: true, value: 'transitioning' });
  t.deepEqual(read('pending', 'stopped', 'none'), { ok: true, value: 'transitioning' });
  t.deepEqual(read('resizing', 'running', 'ok'), { ok: true, value: 'transitioning' });
  const suspended = read('suspended', 'stopped', 'none');
  t.is(suspended.ok ? null : suspended.error.code, 'STATE');
  const odd = read('active', 'paused', 'ok');
  t.is(odd.ok ? null : odd.error.code, 'PROTOCOL');
});

test('vultr: the fake refuses a body and a wrong token with the reference\'s error attribute', async (t) => {
  await withRig(rig, { initial: 'on' }, async (f) => {
    const post = (auth: string, body?: string) => fetch(`${f.server.url}/v2/instances/${VULTR_INSTANCE}/halt`, { method: 'POST', headers: { Authorization: auth }, ...(body ? { body } : {}) });
    const bad = await post('Bearer x');
    t.is(bad.status, 401);
    t.deepEqual(await bad.json(), { error: 'Invalid API token.', status: 401 });
    t.is((await post(`Bearer ${f.token}`, '{"instance_ids":[]}')).status, 400);
    t.deepEqual(f.machine.requests, []);
    t.is((await post(`Bearer ${f.token}`)).status, 204);
    t.deepEqual(f.machine.requests, ['off']);
  });
});

test('vultr: error bodies: the error attribute is the detail', (t) => {
  const e = vultrError({ status: 404, headers: {}, json: { error: 'Invalid instance-id.', status: 404 } }, 'GET /instances/x');
  t.deepEqual(e, { code: 'CONFIG', message: 'GET /instances/x: HTTP 404, no such resource: Invalid instance-id.' });
  t.is(vultrError({ status: 429, headers: {}, json: undefined }, 'x').code, 'BUSY');
});

test('vultr: a provider message that echoes the token is scrubbed before anyone sees it', async (t) => {
  const echo = new ApiServer((req) => ({ status: 403, json: { error: `key ${String(req.headers.authorization).slice(7)} lacks access`, status: 403 } }));
  await echo.start();
  t.teardown(() => echo.stop());
  const d = vultrChannel.open(rigOpts(rig, `${echo.url}/v2`));
  if (!d.ok) return t.fail(d.error.message);
  const r = await d.value.status(deadlineIn(5000));
  t.is(r.ok ? null : r.error.code, 'AUTH');
  t.regex(r.ok ? '' : r.error.message, /key \[token\] lacks access/);
  t.false(JSON.stringify(r).includes(FAKE_TOKEN));
});
