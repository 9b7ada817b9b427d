// The GCE channel against the fake Compute Engine API and token endpoint
// (test/fakes/gce): a static token and the service-account JWT flow (signed
// with a key pair generated here, checked by the fake against its public half),
// zone operations followed to DONE, refused credentials, a hostile token_uri,
// rate limits, failed operations, dead endpoints, garbage and fuzzed replies.

import test from 'ava';
import fc from 'fast-check';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gceChannel } from '../../agent/channels/gce/index.ts';
import { parseServiceAccountKey, tokenUriAllowed } from '../../agent/channels/gce/jwt.ts';
import { googleError, parseInstance, parseOperation, parseToken } from '../../agent/channels/gce/parse.ts';
import { deadlineIn, type ChannelOptions, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { FakeGce, type FakeGceOptions } from '../fakes/gce/server.ts';
import { checkTransport } from '../fakes/transport-checks.ts';
import { runAgent, secretFile } from '../helpers/run.ts';

const FAST = { pollMs: 30, backoffMs: 20, backoffMaxMs: 80, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
const TOKEN = 'ya29.static-Zq7-secret-token';
const EMAIL = 'fencer@proj-1.iam.gserviceaccount.com';
const ID = { project: 'proj-1', zone: 'europe-west1-b', instance: 'node-7' };

let pair: { publicKey: KeyObject; privatePem: string };
let other: string;
let dir: string;
test.before(() => {
  const k = generateKeyPairSync('rsa', { modulusLength: 2048 });
  pair = { publicKey: k.publicKey, privatePem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  dir = mkdtempSync(join(tmpdir(), 'gce-test-'));
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A key file as Google writes them: pretty-printed, several lines. */
function keyFile(tokenUri: string, pem = pair.privatePem): string {
  const f = join(dir, `key-${n++}.json`);
  writeFileSync(f, JSON.stringify({ type: 'service_account', project_id: 'proj-1', private_key_id: 'abc123', private_key: pem, client_email: EMAIL, token_uri: tokenUri }, null, 2), { mode: 0o600 });
  return f;
}

async function rig(over: Partial<FakeGceOptions> = {}) {
  const fake = new FakeGce({ ...ID, initial: 'on', delayMs: 120, staticToken: TOKEN, account: { email: EMAIL, publicKey: pair.publicKey }, ...over });
  await fake.start();
  const opts = (p: Record<string, string> = {}, s: Record<string, string> | null = { 'token-file': TOKEN }): ChannelOptions => ({
    insecureHttp: true,
    params: { ...ID, endpoint: fake.server.url, ...p },
    secrets: s ?? {},
  });
  const open = (p?: Record<string, string>, s?: Record<string, string> | null): PowerDriver => {
    const r = gceChannel.open(opts(p, s));
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  return { fake, opts, open };
}

test('status, off, on, cycle, reset with a token; operations followed to DONE', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const ch = new Channel(open(), FAST);
  t.like(await ch.status(deadlineIn(5000)), { ok: true, value: { state: 'on', verified: true } });
  const off = await ch.off(deadlineIn(5000));
  t.like(off.ok ? off.value : off.error, { state: 'off', verified: true });
  t.is(fake.machine.state(), 'off', 'the stop operation was DONE before request() returned');
  t.true((await ch.on(deadlineIn(5000))).ok);
  const cyc = await ch.cycle(deadlineIn(5000));
  t.like(cyc.ok ? cyc.value : cyc.error, { state: 'on', verified: true });
  const rst = await ch.reset(deadlineIn(5000));
  t.like(rst.ok ? rst.value : rst.error, { state: 'on', verified: true });
  t.deepEqual(fake.actions, ['stop', 'start', 'stop', 'start', 'reset']);
  t.true(fake.server.log.some((r) => r.method === 'POST' && r.path.endsWith('/wait')), 'zoneOperations.wait was used');
  for (const r of fake.server.log) t.is(r.headers.authorization, `Bearer ${TOKEN}`);
});

test('a suspended instance reads off and is resumed, not started', async (t) => {
  const { fake, open } = await rig({ initial: 'off' });
  t.teardown(() => fake.stop());
  fake.suspended = true;
  const ch = new Channel(open(), FAST);
  t.like(await ch.status(deadlineIn(3000)), { ok: true, value: { state: 'off' } });
  const r = await ch.on(deadlineIn(5000));
  t.like(r.ok ? r.value : r.error, { state: 'on', verified: true });
  t.deepEqual(fake.actions, ['resume']);
  t.is(fake.server.log.filter((x) => x.path.endsWith('/start')).length, 0);
});

test('a service-account key: JWT signed, exchanged once, the access token reused', async (t) => {
  const { fake, open } = await rig({ staticToken: undefined });
  t.teardown(() => fake.stop());
  const ch = new Channel(open({ 'credentials-file': keyFile(`${fake.server.url}/token`) }, null), FAST);
  t.like(await ch.status(deadlineIn(5000)), { ok: true, value: { state: 'on' } });
  const off = await ch.off(deadlineIn(5000));
  t.true(off.ok, off.ok ? '' : off.error.message);
  t.is(fake.tokensIssued.length, 1);
  const tokenReqs = fake.server.log.filter((r) => r.path === '/token');
  t.is(tokenReqs.length, 1);
  t.regex(tokenReqs[0]?.body.toString() ?? '', /^grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=[\w-]+\.[\w-]+\.[\w-]+$/);
  for (const r of fake.server.log.filter((x) => x.path !== '/token')) t.is(r.headers.authorization, `Bearer ${fake.tokensIssued[0]}`);
});

test('a key signed with the wrong private key: invalid_grant -> AUTH, one exchange', async (t) => {
  const { fake, open } = await rig({ staticToken: undefined });
  t.teardown(() => fake.stop());
  const r = await new Channel(open({ 'credentials-file': keyFile(`${fake.server.url}/token`, other) }, null), FAST).off(deadlineIn(3000));
  t.is(r.ok ? null : r.error.code, 'AUTH');
  t.regex(r.ok ? '' : r.error.message, /invalid_grant: Invalid JWT Signature/);
  t.is(fake.server.log.length, 1);
  t.false((r.ok ? '' : r.error.message).includes('PRIVATE KEY'));
});

test('a hostile token_uri is refused before anything is signed or sent', async (t) => {
  const { fake, open } = await rig({ staticToken: undefined });
  t.teardown(() => fake.stop());
  for (const uri of ['https://evil.example/token', 'http://127.0.0.2:9/token', `${fake.server.url.replace('127.0.0.1', 'localhost')}/token`, 'https://oauth2.googleapis.com.evil.example/token']) {
    const r = await open({ 'credentials-file': keyFile(uri) }, null).status(deadlineIn(2000));
    t.is(r.ok ? null : r.error.code, 'CONFIG', uri);
    t.regex(r.ok ? '' : r.error.message, /neither Google's token endpoint nor the --endpoint host/);
  }
  t.is(fake.server.log.length, 0);
  const u = (s: string) => new URL(s);
  t.true(tokenUriAllowed(u('https://oauth2.googleapis.com/token'), null).ok);
  t.true(tokenUriAllowed(u('https://oauth2.googleapis.com/token'), u('http://127.0.0.1:1')).ok);
  t.false(tokenUriAllowed(u('http://oauth2.googleapis.com/token'), null).ok, 'plain HTTP to Google is not Google');
  t.false(tokenUriAllowed(u('https://oauth2.googleapis.com:8443/token'), null).ok);
  t.false(tokenUriAllowed(u('http://127.0.0.1:2/token'), u('http://127.0.0.1:1')).ok, 'same host, other port');
});

test('a wrong token: 401 -> AUTH, not retried', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const r = await new Channel(open({}, { 'token-file': 'ya29.wrong' }), FAST).off(deadlineIn(3000));
  t.is(r.ok ? null : r.error.code, 'AUTH');
  t.is(fake.server.log.length, 1);
});

test('403 rateLimitExceeded is BUSY and retried', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  fake.throttle = 2;
  const r = await new Channel(open(), FAST).status(deadlineIn(5000));
  t.like(r, { ok: true, value: { state: 'on', attempts: 3 } });
  t.is(fake.server.log.length, 3);
});

test('an operation that ends with an error is STATE, and start is not sent again', async (t) => {
  const { fake, open } = await rig({ initial: 'off' });
  t.teardown(() => fake.stop());
  fake.failNext = { code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'The zone does not have enough resources available.' };
  const r = await new Channel(open(), FAST).on(deadlineIn(3000));
  t.is(r.ok ? null : r.error.code, 'STATE');
  t.regex(r.ok ? '' : r.error.message, /start operation operation-\S+ failed: ZONE_RESOURCE_POOL_EXHAUSTED/);
  t.is(fake.server.log.filter((x) => x.path.endsWith('/start')).length, 1);
});

test('an operation still running at the deadline is STATE (not retried), within the deadline', async (t) => {
  const { fake, open } = await rig({ delayMs: 5000 });
  t.teardown(() => fake.stop());
  const t0 = performance.now();
  const r = await new Channel(open(), FAST).off(deadlineIn(700));
  const ms = performance.now() - t0;
  t.is(r.ok ? null : r.error.code, 'STATE');
  t.true(ms < 1100, `${ms} ms`);
  t.is(fake.server.log.filter((x) => x.path.endsWith('/stop')).length, 1);
});

test('garbage is PROTOCOL; a closed port and a silent endpoint honour the deadline', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  await checkTransport(t, { server: fake.server, run: (endpoint, d) => new Channel(open({ endpoint }), FAST).status(d) });
});

test('configuration refused before any I/O', (t) => {
  const code = (p: Record<string, string>, s: Record<string, string> = { 'token-file': TOKEN }) => {
    const r = gceChannel.open({ insecureHttp: true, params: { ...ID, endpoint: 'http://127.0.0.1:1', ...p }, secrets: s });
    t.false(!r.ok && r.error.message.includes(TOKEN));
    return r.ok ? 'ok' : r.error.code;
  };
  t.is(code({}), 'ok');
  t.is(code({ instance: 'Node_7' }), 'CONFIG');
  t.is(code({ 'credentials-file': '/x' }), 'CONFIG', 'both token and key');
  t.is(code({}, {}), 'CONFIG', 'neither');
  t.is(code({}, { 'token-file': 'ya29 with space\u00e9' }), 'CONFIG', 'a token that cannot go in a header');
  t.like(parseServiceAccountKey('{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\\nnope\\n-----END PRIVATE KEY-----\\n"}'), { ok: false, error: { code: 'CONFIG' } });
});

test('the parsers never throw on arbitrary JSON (fuzz)', (t) => {
  const doc = fc.oneof(fc.jsonValue(), fc.record({ status: fc.oneof(fc.string(), fc.constantFrom('RUNNING', 'DONE', 'STOPPING')), name: fc.string(), error: fc.jsonValue(), access_token: fc.string(), expires_in: fc.jsonValue() }));
  fc.assert(
    fc.property(doc, fc.integer({ min: 100, max: 599 }), (v, status) => {
      for (const r of [parseInstance(v), parseOperation(v), parseToken(v)]) if (typeof r.ok !== 'boolean') return false;
      return typeof googleError(status, v, 'x').code === 'string';
    }),
    { numRuns: 3000 },
  );
  t.like(parseOperation({ name: 'op-1', status: 'DONE', error: { errors: [{ code: 'X', message: 'y' }] } }), { ok: true, value: { done: true, error: 'X: y' } });
  t.is(googleError(403, { error: { code: 403, errors: [{ reason: 'rateLimitExceeded' }] } }, 'x').code, 'BUSY');
  t.is(googleError(403, { error: { code: 403, errors: [{ reason: 'forbidden' }] } }, 'x').code, 'AUTH');
});

test('CLI: a token file and a key file through main(); exit codes; no secret in any output', async (t) => {
  const { fake } = await rig();
  t.teardown(() => fake.stop());
  const tokenFile = secretFile(t, TOKEN);
  const base = ['--project', ID.project, '--zone', ID.zone, '--instance', ID.instance, '--endpoint', fake.server.url, '--insecure-http', '--timeout', '10'];
  const off = await runAgent(['oob', 'gce', 'off', '--json', '--token-file', tokenFile, ...base]);
  t.is(off.code, 0, off.err);
  t.like(JSON.parse(off.out), { channel: 'gce', action: 'off', state: 'off', verified: true });
  const on = await runAgent(['oob', 'gce', 'on', '--credentials-file', keyFile(`${fake.server.url}/token`), ...base]);
  t.is(on.code, 0, on.err);
  t.regex(on.out, /gce on: on \(verified/);
  const hostile = await runAgent(['oob', 'gce', 'status', '--credentials-file', keyFile('https://evil.example/token'), ...base]);
  t.is(hostile.code, 1);
  t.regex(hostile.err, /CONFIG: .*not sent there/);
  t.deepEqual(fake.actions, ['stop', 'start']);
  const secrets = [TOKEN, ...fake.tokensIssued, pair.privatePem.split('\n')[1] ?? 'x'];
  for (const r of [off, on, hostile]) t.false(secrets.some((s) => `${r.out}${r.err}`.includes(s)));
});
