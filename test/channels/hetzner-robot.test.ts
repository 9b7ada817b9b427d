// The Hetzner Robot channel against the fake Robot webservice: reset and
// Wake-on-LAN sent once and reported unverified (the ladder and the CLI exit
// codes), refused credentials, rate limits, a server without hw reset, dead
// endpoints, garbage and fuzzed replies, and the password in no output.

import test from 'ava';
import fc from 'fast-check';
import { hetznerRobotChannel } from '../../agent/channels/hetzner-robot/index.ts';
import { parseResetAck, parseResetTypes, parseWolAck, robotError } from '../../agent/channels/hetzner-robot/parse.ts';
import { deadlineIn, type ChannelOptions, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { FakeRobot, type FakeRobotOptions } from '../fakes/hetzner-robot/server.ts';
import { checkTransport } from '../fakes/transport-checks.ts';
import { runAgent, secretFile } from '../helpers/run.ts';

const FAST = { pollMs: 30, backoffMs: 20, backoffMaxMs: 80, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
const USER = '#ws+Zq7abc';
const PASSWORD = 'robot-pw-Zq7#sEcret-55';

async function rig(over: Partial<FakeRobotOptions> = {}) {
  const fake = new FakeRobot({ user: USER, password: PASSWORD, server: 321, delayMs: 50, ...over });
  await fake.start();
  const opts = (o: Partial<ChannelOptions> = {}, p: Record<string, string> = {}): ChannelOptions => ({ insecureHttp: true, user: USER, password: PASSWORD, params: { server: '321', endpoint: fake.server.url, ...p }, ...o });
  const open = (o?: Partial<ChannelOptions>, p?: Record<string, string>): PowerDriver => {
    const r = hetznerRobotChannel.open(opts(o, p));
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  return { fake, open };
}

test('reset: hw offered, POST type=hw once, reported unverified; status and off are refused', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const d = open();
  t.like(d.describe(), { channel: 'hetzner-robot', verifiable: false, actions: ['on', 'reset'] });
  const ch = new Channel(d, FAST);
  const r = await ch.reset(deadlineIn(3000));
  t.like(r.ok ? r.value : r.error, { state: 'unknown', verified: false, attempts: 1 });
  t.deepEqual(fake.actions, ['reset hw']);
  t.deepEqual(fake.server.log.map((x) => `${x.method} ${x.path} ${x.body.toString()}`), ['GET /reset/321 ', 'POST /reset/321 type=hw']);
  t.is(fake.server.log[1]?.headers.authorization, `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
  const cyc = await ch.cycle(deadlineIn(3000));
  t.like(cyc.ok ? cyc.value : cyc.error, { verified: false });
  t.deepEqual(fake.actions, ['reset hw', 'reset hw'], 'cycle is the hw reset; the types were read once');
  t.is(fake.server.log.filter((x) => x.method === 'GET').length, 1);
  t.like(await ch.status(deadlineIn(1000)), { ok: false, error: { code: 'UNSUPPORTED' } });
  t.like(await ch.off(deadlineIn(1000)), { ok: false, error: { code: 'UNSUPPORTED' } });
  t.is(fake.server.log.length, 3);
});

test('on: Wake-on-LAN through POST /wol, unverified', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const r = await new Channel(open(), FAST).on(deadlineIn(3000));
  t.like(r.ok ? r.value : r.error, { verified: false });
  t.deepEqual(fake.actions, ['wol']);
  t.deepEqual(fake.server.log.map((x) => `${x.method} ${x.path}`), ['POST /wol/321']);
});

test('a server without hw reset: UNSUPPORTED, nothing posted', async (t) => {
  const { fake, open } = await rig({ types: ['sw', 'man'] });
  t.teardown(() => fake.stop());
  const r = await new Channel(open(), FAST).reset(deadlineIn(3000));
  t.is(r.ok ? null : r.error.code, 'UNSUPPORTED');
  t.regex(r.ok ? '' : r.error.message, /offers no hardware reset \(types: sw, man\)/);
  t.deepEqual(fake.actions, []);
});

test('a wrong password: 401 UNAUTHORIZED -> AUTH, one request (Robot blocks the IP after three)', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const r = await new Channel(open({ password: 'nope' }), FAST).reset(deadlineIn(3000));
  t.is(r.ok ? null : r.error.code, 'AUTH');
  t.is(fake.server.log.length, 1);
});

test('RATE_LIMIT_EXCEEDED (403) and RESET_MANUAL_ACTIVE (409) are BUSY and retried', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  fake.throttle = 2;
  const r = await new Channel(open(), FAST).reset(deadlineIn(3000));
  t.like(r.ok ? r.value : r.error, { verified: false, attempts: 3 });
  t.deepEqual(fake.actions, ['reset hw']);
  fake.manualActive = true;
  const d = open();
  const busy = await new Channel(d, FAST).reset(deadlineIn(300));
  t.is(busy.ok ? null : busy.error.code, 'BUSY');
  t.true(!busy.ok && busy.error.attempts > 1, 'retried until the deadline');
});

test('an unknown server is CONFIG (SERVER_NOT_FOUND)', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const r = await new Channel(open({}, { server: '999' }), FAST).reset(deadlineIn(3000));
  t.is(r.ok ? null : r.error.code, 'CONFIG');
  t.regex(r.ok ? '' : r.error.message, /SERVER_NOT_FOUND/);
});

test('garbage is PROTOCOL; closed and silent endpoints honour the deadline', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  await checkTransport(t, { server: fake.server, run: (endpoint, d) => new Channel(open({}, { endpoint }), FAST).reset(d) });
});

test('the parsers never throw on arbitrary JSON (fuzz)', (t) => {
  const doc = fc.oneof(fc.jsonValue(), fc.record({ reset: fc.oneof(fc.jsonValue(), fc.record({ type: fc.jsonValue() })), wol: fc.jsonValue(), error: fc.oneof(fc.jsonValue(), fc.record({ code: fc.oneof(fc.string(), fc.constantFrom('RATE_LIMIT_EXCEEDED', 'UNAUTHORIZED')), message: fc.jsonValue() })) }));
  fc.assert(
    fc.property(doc, fc.integer({ min: 100, max: 599 }), (v, status) => {
      for (const r of [parseResetTypes(v), parseResetAck(v), parseWolAck(v)]) if (typeof r.ok !== 'boolean') return false;
      return typeof robotError(status, v, 'x').code === 'string';
    }),
    { numRuns: 3000 },
  );
  t.is(robotError(403, { error: { status: 403, code: 'RATE_LIMIT_EXCEEDED', message: 'x' } }, 'x').code, 'BUSY');
  t.is(robotError(403, {}, 'x').code, 'AUTH');
});

test('CLI: verified false, exit 1 without --unverified-ok and 0 with it; the password is in no output', async (t) => {
  const { fake } = await rig();
  t.teardown(() => fake.stop());
  const pw = secretFile(t, PASSWORD);
  const base = ['--server', '321', '--user', USER, '--password-file', pw, '--endpoint', fake.server.url, '--insecure-http', '--timeout', '5'];
  const strict = await runAgent(['oob', 'hetzner-robot', 'reset', '--json', ...base]);
  t.is(strict.code, 1, strict.err);
  t.like(JSON.parse(strict.out), { channel: 'hetzner-robot', action: 'reset', state: 'unknown', verified: false });
  const ok = await runAgent(['oob', 'hetzner-robot', 'reset', '--unverified-ok', ...base]);
  t.is(ok.code, 0, ok.err);
  t.regex(ok.out, /hetzner-robot reset: sent, unverified/);
  const off = await runAgent(['oob', 'hetzner-robot', 'off', ...base]);
  t.is(off.code, 1);
  t.regex(off.err, /UNSUPPORTED/);
  const wrong = secretFile(t, 'not-it');
  const denied = await runAgent(['oob', 'hetzner-robot', 'reset', ...base.slice(0, 4), '--password-file', wrong, ...base.slice(6)]);
  t.is(denied.code, 1);
  t.regex(denied.err, /AUTH/);
  t.deepEqual(fake.actions, ['reset hw', 'reset hw']);
  for (const r of [strict, ok, off, denied]) t.false(`${r.out}${r.err}`.includes(PASSWORD) || `${r.out}${r.err}`.includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')));
});
