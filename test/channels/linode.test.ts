// The Linode channel against its strict fake: the shared VPS suite, then what
// is Linode's own: the {} bodies, "Linode busy." as BUSY, the statuses (stopped
// for host maintenance is not an off), and an off that is a shutdown: it takes
// as long as the guest does, and a deadline shorter than that is STATE.

import test from 'ava';
import { linodeChannel } from '../../agent/channels/linode/index.ts';
import { linodeError, parseLinode } from '../../agent/channels/linode/parse.ts';
import { deadlineIn } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { cliSuite } from '../fakes/cloud/cli.ts';
import { fuzzSuite } from '../fakes/cloud/fuzz.ts';
import { cloudSuite, FAST, withRig, type ProviderRig } from '../fakes/cloud/suite.ts';
import { LINODE_ID, linodeFake } from '../fakes/linode/fake.ts';

const rig: ProviderRig = {
  name: 'linode',
  module: linodeChannel,
  fake: linodeFake,
  basePath: '/v4',
  idParams: { linode: LINODE_ID },
  powerPath: `/v4/linode/instances/${LINODE_ID}/`,
  statusPath: `/v4/linode/instances/${LINODE_ID}`,
  busy: true,
  actionObjects: false,
};

cloudSuite(rig);
cliSuite(rig);
fuzzSuite('linode', { status: parseLinode, envelope: (status, extra) => ({ id: 123, ...extra, status }), error: linodeError });

test('linode: the exact requests: boot, shutdown, reboot with a {} body', async (t) => {
  await withRig(rig, { initial: 'on', delayMs: 150 }, async (f, open) => {
    t.true((await new Channel(open(), FAST).cycle(deadlineIn(15_000))).ok);
    t.true((await new Channel(open(), FAST).reset(deadlineIn(15_000))).ok);
    const posts = f.server.log.filter((r) => r.method === 'POST');
    t.deepEqual(posts.map((r) => r.path), ['shutdown', 'boot', 'reboot'].map((v) => `/v4/linode/instances/${LINODE_ID}/${v}`));
    t.true(posts.every((r) => r.body.toString('utf8') === '{}' && r.headers['content-type'] === 'application/json'));
  });
});

test('linode: off is a shutdown: shutting_down is waited out; a deadline shorter than it ends in STATE, not off', async (t) => {
  await withRig(rig, { initial: 'on', delayMs: 3000 }, async (f, open) => {
    const started = performance.now();
    const r = await new Channel(open(), FAST).off(deadlineIn(500));
    t.is(r.ok ? null : r.error.code, 'STATE');
    t.regex(r.ok ? '' : r.error.message, /asked for off; the device still reported transitioning/);
    t.true(performance.now() - started < 900);
    t.is(f.machine.state(), 'stopping');
    f.machine.delayMs = 0;
  });
});

test('linode: "Linode busy." while another job runs is BUSY, other 400s are not', (t) => {
  const reply = (status: number, reasons: string[]) => ({ status, headers: {}, json: { errors: reasons.map((reason) => ({ reason })) } });
  t.is(linodeError(reply(400, ['Linode busy.']), 'x').code, 'BUSY');
  t.is(linodeError(reply(400, ['Linode is not running']), 'x').code, 'CONFIG');
  t.is(linodeError(reply(401, ['Invalid Token']), 'x').code, 'AUTH');
  t.is(linodeError(reply(400, ['a', 'b']), 'POST /x').message, 'POST /x: HTTP 400: a; b');
});

test('linode: statuses: running and offline are end states; stopped and the jobs are moving; billing_suspension is STATE', (t) => {
  const read = (status: string) => parseLinode({ id: 1, status });
  t.deepEqual(read('running'), { ok: true, value: 'on' });
  t.deepEqual(read('offline'), { ok: true, value: 'off' });
  for (const s of ['booting', 'rebooting', 'shutting_down', 'provisioning', 'deleting', 'migrating', 'rebuilding', 'cloning', 'restoring', 'stopped']) t.deepEqual(read(s), { ok: true, value: 'transitioning' }, s);
  const susp = read('billing_suspension');
  t.is(susp.ok ? null : susp.error.code, 'STATE');
});

test('linode: the fake refuses a wrong body with the reference\'s errors list', async (t) => {
  await withRig(rig, { initial: 'on' }, async (f) => {
    const post = (verb: string, body: string) => fetch(`${f.server.url}/v4/linode/instances/${LINODE_ID}/${verb}`, { method: 'POST', headers: { Authorization: `Bearer ${f.token}` }, body });
    const bad = await post('shutdown', '{"config_id":1}');
    t.is(bad.status, 400);
    t.deepEqual(await bad.json(), { errors: [{ reason: 'Unexpected field', field: 'config_id' }] });
    t.is((await post('shutdown', '[]')).status, 400);
    t.deepEqual(f.machine.requests, []);
    t.is((await post('shutdown', '{}')).status, 200);
    t.deepEqual(f.machine.requests, ['off']);
  });
});
