// The Hetzner Cloud channel against its strict fake: the shared VPS suite,
// then what is Hetzner's own: the exact requests (paths, no body, the action
// read at /v1/actions/{id}), the error codes read from {"error": {...}}, and
// a pinned HTTPS endpoint.

import test from 'ava';
import * as fs from 'node:fs';
import { hetznerCloudChannel } from '../../agent/channels/hetzner-cloud/index.ts';
import { hetznerError, parseAction, parseServer } from '../../agent/channels/hetzner-cloud/parse.ts';
import { deadlineIn } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { cliSuite } from '../fakes/cloud/cli.ts';
import { fuzzSuite } from '../fakes/cloud/fuzz.ts';
import { cloudSuite, FAST, rigOpts, withRig, type ProviderRig } from '../fakes/cloud/suite.ts';
import { HETZNER_SERVER, hetznerFake } from '../fakes/hetzner-cloud/fake.ts';
import { makeCert } from '../fakes/cert.ts';

const rig: ProviderRig = {
  name: 'hetzner-cloud',
  module: hetznerCloudChannel,
  fake: hetznerFake,
  basePath: '/v1',
  idParams: { server: HETZNER_SERVER },
  powerPath: `/v1/servers/${HETZNER_SERVER}/actions/`,
  statusPath: `/v1/servers/${HETZNER_SERVER}`,
  busy: true,
  actionObjects: true,
};

cloudSuite(rig);
cliSuite(rig);
fuzzSuite('hetzner-cloud', {
  status: parseServer,
  envelope: (status, extra) => ({ server: { ...extra, status } }),
  action: parseAction,
  error: hetznerError,
});

test('hetzner-cloud: the exact requests: poweroff without a body, the action read by id, reset for reset', async (t) => {
  await withRig(rig, { initial: 'on', delayMs: 150 }, async (f, open) => {
    t.true((await new Channel(open(), FAST).reset(deadlineIn(15_000))).ok);
    const posts = f.server.log.filter((r) => r.method === 'POST');
    t.deepEqual(posts.map((r) => r.path), [`/v1/servers/${HETZNER_SERVER}/actions/reset`]);
    t.is(posts[0]?.body.length, 0);
    t.is(posts[0]?.headers['content-type'], undefined);
    const reads = f.server.log.filter((r) => r.path.startsWith('/v1/actions/'));
    t.true(reads.length >= 1 && reads.every((r) => r.path === '/v1/actions/7001'), JSON.stringify(reads.map((r) => r.path)));
    t.true(f.server.log.every((r) => r.headers.authorization === `Bearer ${f.token}`));
  });
});

test('hetzner-cloud: the fake refuses a body, an unknown server and a wrong method as the reference does', async (t) => {
  await withRig(rig, { initial: 'on' }, async (f) => {
    const post = (path: string, body?: string, method = 'POST') => fetch(`${f.server.url}${path}`, { method, headers: { Authorization: `Bearer ${f.token}` }, ...(body ? { body } : {}) });
    const withBody = await post(`/v1/servers/${HETZNER_SERVER}/actions/poweroff`, '{"x":1}');
    t.is(withBody.status, 400);
    t.like(await withBody.json(), { error: { code: 'invalid_input' } });
    t.is((await post('/v1/servers/1/actions/poweroff')).status, 404);
    t.is((await post(`/v1/servers/${HETZNER_SERVER}`)).status, 405);
    t.deepEqual(f.machine.requests, []);
  });
});

test('hetzner-cloud: an unknown server is CONFIG (404 not_found), not retried', async (t) => {
  await withRig(rig, { initial: 'on' }, async (f, open) => {
    const r = await new Channel(open({ params: { endpoint: `${f.server.url}/v1`, server: '99' } }), FAST).status(deadlineIn(15_000));
    t.is(r.ok ? null : r.error.code, 'CONFIG');
    t.regex(r.ok ? '' : r.error.message, /not_found: server with ID '99' not found/);
    t.is(f.server.log.length, 1);
  });
});

test('hetzner-cloud: error codes win over the HTTP status, and a 429 says when the limit resets', (t) => {
  const reply = (status: number, code: string, headers = {}) => ({ status, headers, json: { error: { code, message: 'm' } } });
  t.is(hetznerError(reply(403, 'token_readonly'), 'x').code, 'AUTH');
  t.is(hetznerError(reply(423, 'locked'), 'x').code, 'BUSY');
  t.is(hetznerError(reply(409, 'conflict'), 'x').code, 'BUSY');
  t.is(hetznerError(reply(422, 'unsupported_error'), 'x').code, 'UNSUPPORTED');
  t.is(hetznerError(reply(503, 'maintenance'), 'x').code, 'BUSY');
  const limited = hetznerError(reply(429, 'rate_limit_exceeded', { 'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 30) }), 'GET /servers/1');
  t.is(limited.code, 'BUSY');
  t.regex(limited.message, /rate_limit_exceeded: m; the rate limit resets in (29|30|31) s/);
});

test('hetzner-cloud: server statuses: only running and off are end states', (t) => {
  const read = (status: string) => parseServer({ server: { status } });
  t.deepEqual(read('running'), { ok: true, value: 'on' });
  t.deepEqual(read('off'), { ok: true, value: 'off' });
  for (const s of ['initializing', 'starting', 'stopping', 'deleting', 'migrating', 'rebuilding']) t.deepEqual(read(s), { ok: true, value: 'transitioning' }, s);
  t.deepEqual(read('unknown'), { ok: true, value: 'unknown' });
  const paused = read('paused');
  t.is(paused.ok ? null : paused.error.code, 'PROTOCOL');
});

test('hetzner-cloud: over HTTPS with a pinned certificate; a wrong pin sends no token', async (t) => {
  const cert = makeCert();
  t.teardown(() => fs.rmSync(cert.dir, { recursive: true, force: true }));
  const f = hetznerFake({ initial: 'off' }, { key: cert.key, cert: cert.cert });
  await f.start();
  t.teardown(() => f.stop());
  const opts = { ...rigOpts(rig, `${f.server.url}/v1`), insecureHttp: false };
  const good = hetznerCloudChannel.open({ ...opts, tlsFingerprint: cert.pin });
  if (!good.ok) return t.fail(good.error.message);
  t.deepEqual(await good.value.status(deadlineIn(5000)), { ok: true, value: 'off' });
  t.regex(good.value.describe().target, /^https:\/\/127\.0\.0\.1:\d+\/v1 server 4711$/);
  const bad = hetznerCloudChannel.open({ ...opts, tlsFingerprint: `sha256:${'ab'.repeat(32)}` });
  if (!bad.ok) return t.fail(bad.error.message);
  const r = await bad.value.status(deadlineIn(5000));
  t.is(r.ok ? null : r.error.code, 'TLS');
  t.is(f.server.log.length, 1, 'only the pinned request reached the service');
});
