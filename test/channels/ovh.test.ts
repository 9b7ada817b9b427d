// The OVH channel against the fake OVH API: the documented signature (a value
// computed outside the code under test), the server clock, the reboot task
// followed to done and reported unverified, refused credentials, rate limits,
// failed tasks, dead endpoints, garbage and fuzzed replies, and the CLI.

import test from 'ava';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { ovhChannel } from '../../agent/channels/ovh/index.ts';
import { ovhError, parseTask, parseTime } from '../../agent/channels/ovh/parse.ts';
import { ovhSignature } from '../../agent/channels/ovh/sign.ts';
import { deadlineIn, type ChannelOptions, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { FakeOvh, type FakeOvhOptions } from '../fakes/ovh/server.ts';
import { checkTransport } from '../fakes/transport-checks.ts';
import { runAgent, secretFile } from '../helpers/run.ts';

const FAST = { pollMs: 30, backoffMs: 20, backoffMaxMs: 80, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
const APP_KEY = '7kbG7Bk7S9Nt7ZSV';
const APP_SECRET = 'ovh-app-Zq7-secret-EXEg';
const CONSUMER = 'ovh-consumer-Zq7-secret-MtSw';
const SERVER = 'ns1234.ip-1-2-3.eu';

async function rig(over: Partial<FakeOvhOptions> = {}) {
  const fake = new FakeOvh({ appKey: APP_KEY, appSecret: APP_SECRET, consumerKey: CONSUMER, server: SERVER, delayMs: 100, ...over });
  await fake.start();
  const opts = (p: Record<string, string> = {}, s: Record<string, string> = {}): ChannelOptions => ({
    insecureHttp: true,
    params: { server: SERVER, 'app-key': APP_KEY, endpoint: fake.endpoint, ...p },
    secrets: { 'app-secret-file': APP_SECRET, 'consumer-key-file': CONSUMER, ...s },
  });
  const open = (p?: Record<string, string>, s?: Record<string, string>): PowerDriver => {
    const r = ovhChannel.open(opts(p, s));
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  return { fake, open };
}

test('KAT: the signature of the documented formula, with the guide example keys (sha1 computed by coreutils sha1sum)', (t) => {
  // AS and CK are the example keys of "First steps with the OVH API" (g934); the expected
  // values are `printf '%s' 'AS+CK+METHOD+URL+BODY+TSTAMP' | sha1sum`, not this code's output.
  const AS = 'EXEgWIz07P0HYwtQDs7cNIqCiQaWSuHF';
  const CK = 'MtSwSrPpNjqfVSmJhLbPyr2i45lSwPU1';
  t.is(ovhSignature({ appSecret: AS, consumerKey: CK, method: 'GET', url: 'https://eu.api.ovh.com/1.0/me', body: '', timestamp: 1366560945 }), '$1$90ddc743b64ca94decae09ed1244bd6a1536ec77');
  t.is(ovhSignature({ appSecret: AS, consumerKey: CK, method: 'POST', url: `https://eu.api.ovh.com/1.0/dedicated/server/${SERVER}/reboot`, body: '', timestamp: 1700000000 }), '$1$686e8ffa3e94a91174dd6302a8a310463e06200c');
});

test('reset: signed reboot, task followed to done, reported unverified; on/off refused', async (t) => {
  const { fake, open } = await rig({ skewS: 4000 });
  t.teardown(() => fake.stop());
  const d = open();
  t.like(d.describe(), { channel: 'ovh', verifiable: false, actions: ['reset'] });
  const ch = new Channel(d, FAST);
  const r = await ch.reset(deadlineIn(5000));
  t.like(r.ok ? r.value : r.error, { state: 'unknown', verified: false, attempts: 1 });
  t.deepEqual(fake.actions, ['hardReboot']);
  t.is(fake.machine.state(), 'on', 'the task was done (the machine back up) before request() returned');
  const paths = fake.server.log.map((x) => `${x.method} ${x.path}`);
  t.deepEqual(paths.slice(0, 2), ['GET /1.0/auth/time', `POST /1.0/dedicated/server/${SERVER}/reboot`]);
  t.true(paths.slice(2).every((p) => /^GET \/1\.0\/dedicated\/server\/ns1234\.ip-1-2-3\.eu\/task\/\d+$/.test(p)) && paths.length >= 3);
  const post = fake.server.log[1];
  t.is(post?.headers['x-ovh-application'], APP_KEY);
  t.true(Math.abs(Number(post?.headers['x-ovh-timestamp']) - (Math.floor(Date.now() / 1000) + 4000)) < 5, 'signed with the server clock, not ours');
  const cyc = await ch.cycle(deadlineIn(5000));
  t.like(cyc.ok ? cyc.value : cyc.error, { verified: false });
  t.is(fake.server.log.filter((x) => x.path === '/1.0/auth/time').length, 1, 'the clock is read once per driver');
  t.like(await ch.on(deadlineIn(1000)), { ok: false, error: { code: 'UNSUPPORTED' } });
  t.like(await ch.off(deadlineIn(1000)), { ok: false, error: { code: 'UNSUPPORTED' } });
  t.like(await ch.status(deadlineIn(1000)), { ok: false, error: { code: 'UNSUPPORTED' } });
});

test('a wrong application secret: INVALID_SIGNATURE -> AUTH; a wrong consumer key: INVALID_CREDENTIAL -> AUTH; each sent once', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const a = await new Channel(open({}, { 'app-secret-file': 'wrong' }), FAST).reset(deadlineIn(3000));
  t.is(a.ok ? null : a.error.code, 'AUTH');
  t.regex(a.ok ? '' : a.error.message, /INVALID_SIGNATURE/);
  const b = await new Channel(open({}, { 'consumer-key-file': 'wrong' }), FAST).reset(deadlineIn(3000));
  t.is(b.ok ? null : b.error.code, 'AUTH');
  t.regex(b.ok ? '' : b.error.message, /INVALID_CREDENTIAL/);
  t.is(fake.server.log.filter((x) => x.method === 'POST').length, 2);
  t.deepEqual(fake.actions, []);
});

test('429 is retried; a task ending in ovhError is STATE and the reboot is not sent again', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  fake.throttle = 2;
  const r = await new Channel(open(), FAST).reset(deadlineIn(5000));
  t.like(r.ok ? r.value : r.error, { verified: false, attempts: 3 });
  fake.failNext = true;
  const f = await new Channel(open(), FAST).reset(deadlineIn(5000));
  t.is(f.ok ? null : f.error.code, 'STATE');
  t.regex(f.ok ? '' : f.error.message, /reboot task \d+ ended ovhError: Reboot failed/);
  t.is(fake.server.log.filter((x) => x.method === 'POST').length, 4, '2 throttled + 1 + the failed one');
});

test('a task still running at the deadline is STATE, within the deadline, reboot sent once', async (t) => {
  const { fake, open } = await rig({ delayMs: 10_000 });
  t.teardown(() => fake.stop());
  const t0 = performance.now();
  const r = await new Channel(open(), FAST).reset(deadlineIn(900));
  const ms = performance.now() - t0;
  t.is(r.ok ? null : r.error.code, 'STATE');
  t.true(ms < 1300, `${ms}`);
  t.is(fake.server.log.filter((x) => x.method === 'POST').length, 1);
});

test('an unknown server is CONFIG; garbage is PROTOCOL; closed and silent endpoints honour the deadline', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const nf = await new Channel(open({ server: 'ns9.ip-9-9-9.eu' }), FAST).reset(deadlineIn(2000));
  t.is(nf.ok ? null : nf.error.code, 'CONFIG');
  await checkTransport(t, { server: fake.server, basePath: '/1.0', run: (endpoint, d) => new Channel(open({ endpoint }), FAST).reset(d) });
});

test('the parsers never throw on arbitrary JSON (fuzz)', (t) => {
  const doc = fc.oneof(fc.jsonValue(), fc.record({ taskId: fc.oneof(fc.integer(), fc.jsonValue()), status: fc.oneof(fc.string(), fc.constantFrom('todo', 'done', 'ovhError', 'valueOf')), comment: fc.jsonValue(), errorCode: fc.oneof(fc.string(), fc.constantFrom('INVALID_SIGNATURE', 'toString')), message: fc.jsonValue() }));
  fc.assert(
    fc.property(doc, fc.integer({ min: 100, max: 599 }), (v, status) => {
      for (const r of [parseTask(v), parseTime(v)]) if (typeof r.ok !== 'boolean') return false;
      return typeof ovhError(status, v, 'x').code === 'string';
    }),
    { numRuns: 3000 },
  );
  t.like(parseTask({ taskId: 1, status: 'valueOf' }), { ok: false, error: { code: 'PROTOCOL' } });
  t.like(parseTask({ taskId: 1, status: 'doing' }), { ok: true, value: { state: 'pending' } });
});

test('CLI: verified false, exit 1 without --unverified-ok and 0 with it; no secret in any output', async (t) => {
  const { fake } = await rig();
  t.teardown(() => fake.stop());
  const as = secretFile(t, APP_SECRET);
  const ck = secretFile(t, CONSUMER);
  const base = ['--server', SERVER, '--app-key', APP_KEY, '--app-secret-file', as, '--consumer-key-file', ck, '--endpoint', fake.endpoint, '--insecure-http', '--timeout', '5'];
  const strict = await runAgent(['oob', 'ovh', 'reset', '--json', ...base]);
  t.is(strict.code, 1, strict.err);
  t.like(JSON.parse(strict.out), { channel: 'ovh', action: 'reset', state: 'unknown', verified: false });
  const ok = await runAgent(['oob', 'ovh', 'cycle', '--unverified-ok', ...base]);
  t.is(ok.code, 0, ok.err);
  t.regex(ok.out, /ovh cycle: sent, unverified/);
  writeFileSync(ck, 'wrong-consumer\n', { mode: 0o600 });
  const denied = await runAgent(['oob', 'ovh', 'reset', '--unverified-ok', ...base]);
  t.is(denied.code, 1);
  t.regex(denied.err, /AUTH/);
  t.deepEqual(fake.actions, ['hardReboot', 'hardReboot']);
  for (const r of [strict, ok, denied]) t.false([APP_SECRET, CONSUMER].some((s) => `${r.out}${r.err}`.includes(s)));
});
