// The EC2 channel against the fake EC2 endpoint (test/fakes/aws), whose SigV4
// verifier is written apart from the client's: the published AWS example
// vectors, the ladder through verify.ts, refused credentials, throttling,
// terminated instances, dead endpoints, garbage and fuzzed replies.

import test from 'ava';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { awsChannel } from '../../agent/channels/aws/index.ts';
import { ec2Error, parseAck, parseDescribe } from '../../agent/channels/aws/parse.ts';
import { authorization, canonicalRequest, signingKey } from '../../agent/channels/aws/sigv4.ts';
import { deadlineIn, type ChannelOptions, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { FakeEc2, type FakeEc2Options } from '../fakes/aws/server.ts';
import { checkTransport } from '../fakes/transport-checks.ts';
import { runAgent, secretFile } from '../helpers/run.ts';

const FAST = { pollMs: 30, backoffMs: 20, backoffMaxMs: 80, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
const INSTANCE = 'i-0abc123def4567890';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+Sekrit-Zq7';
const REGION = 'eu-central-1';

async function rig(over: Partial<FakeEc2Options> = {}) {
  const fake = new FakeEc2({ instance: INSTANCE, initial: 'on', delayMs: 120, accessKeyId: KEY_ID, secret: SECRET, region: REGION, ...over });
  await fake.start();
  const opts = (p: Record<string, string> = {}, s: Record<string, string> = {}): ChannelOptions => ({
    insecureHttp: true,
    params: { instance: INSTANCE, region: REGION, 'access-key-id': KEY_ID, endpoint: fake.server.url, ...p },
    secrets: { 'secret-key-file': SECRET, ...s },
  });
  const open = (p?: Record<string, string>, s?: Record<string, string>): PowerDriver => {
    const r = awsChannel.open(opts(p, s));
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  return { fake, opts, open };
}

// ---- Known-answer tests from the AWS General Reference ----
// "Create a signed AWS API request" / sigv4 examples: IAM ListUsers, 20150830T123600Z,
// AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY (docs.aws.amazon.com/general/latest/gr/sigv4-calculate-signature.html).
const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const listUsers = {
  method: 'GET',
  path: '/',
  query: [['Action', 'ListUsers'], ['Version', '2010-05-08']] as Array<[string, string]>,
  headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', Host: 'iam.amazonaws.com', 'X-Amz-Date': '20150830T123600Z' },
  body: Buffer.alloc(0),
};

test('KAT: the documented IAM ListUsers example (canonical request hash, signing key, signature)', (t) => {
  t.is(createHash('sha256').update(canonicalRequest(listUsers).text).digest('hex'), 'f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
  t.is(signingKey(EXAMPLE_SECRET, '20150830', 'us-east-1', 'iam').toString('hex'), 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
  t.is(
    authorization(listUsers, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: EXAMPLE_SECRET, region: 'us-east-1', service: 'iam' }, '20150830T123600Z'),
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
  );
});

test('KAT: "Examples of how to derive a signing key" (20120215, us-east-1, iam)', (t) => {
  t.is(signingKey(EXAMPLE_SECRET, '20120215', 'us-east-1', 'iam').toString('hex'), 'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
});

test('KAT: Signature Version 4 test suite get-vanilla and get-vanilla-query-order-key-case', (t) => {
  const c = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: EXAMPLE_SECRET, region: 'us-east-1', service: 'service' };
  const headers = { Host: 'example.amazonaws.com', 'X-Amz-Date': '20150830T123600Z' };
  t.regex(authorization({ method: 'GET', path: '/', query: [], headers, body: Buffer.alloc(0) }, c, '20150830T123600Z'), /Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31$/);
  const q = { method: 'GET', path: '/', query: [['Param2', 'value2'], ['Param1', 'value1']] as Array<[string, string]>, headers, body: Buffer.alloc(0) };
  t.is(canonicalRequest(q).text.split('\n')[2], 'Param1=value1&Param2=value2');
  t.regex(authorization(q, c, '20150830T123600Z'), /Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/);
});

// ---- against the fake ----

test('status, off (forced), on, cycle, reset through the ladder; transitional states are waited out', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const ch = new Channel(open(), FAST);
  const st = await ch.status(deadlineIn(5000));
  t.like(st, { ok: true, value: { state: 'on', verified: true } });
  const off = await ch.off(deadlineIn(5000));
  t.true(off.ok, off.ok ? '' : off.error.message);
  t.like(off.ok ? off.value : {}, { state: 'off', verified: true });
  // status, StopInstances, then reads until the 120 ms stop completes: "stopping" was not taken as off.
  t.true(off.ok && off.value.attempts >= 4 && off.value.elapsedMs >= 110, JSON.stringify(off));
  t.is(fake.machine.state(), 'off');
  const on = await ch.on(deadlineIn(5000));
  t.like(on.ok ? on.value : {}, { state: 'on', verified: true });
  const cyc = await ch.cycle(deadlineIn(5000));
  t.like(cyc.ok ? cyc.value : {}, { state: 'on', verified: true });
  const rst = await ch.reset(deadlineIn(5000));
  t.like(rst.ok ? rst.value : {}, { state: 'on', verified: true });
  t.deepEqual(fake.actions, ['StopInstances Force=true', 'StartInstances', 'StopInstances Force=true', 'StartInstances', 'RebootInstances']);
  for (const r of fake.server.log) {
    t.is(r.method, 'POST');
    t.regex(String(r.headers.authorization), new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY_ID}/\\d{8}/${REGION}/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$`));
  }
});

test('a wrong secret key: SignatureDoesNotMatch -> AUTH, sent once', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const r = await new Channel(open({}, { 'secret-key-file': 'not-the-secret' }), FAST).off(deadlineIn(3000));
  t.is(r.ok ? null : r.error.code, 'AUTH');
  t.regex(r.ok ? '' : r.error.message, /SignatureDoesNotMatch/);
  t.is(fake.server.log.length, 1);
  t.deepEqual(fake.actions, []);
});

test('an unknown access key id: AuthFailure -> AUTH, sent once', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const r = await new Channel(open({ 'access-key-id': 'AKIAWRONGWRONGWRONG1' }), FAST).status(deadlineIn(3000));
  t.is(r.ok ? null : r.error.code, 'AUTH');
  t.regex(r.ok ? '' : r.error.message, /AuthFailure/);
  t.is(fake.server.log.length, 1);
});

test('a session token is sent and signed', async (t) => {
  const { fake, open } = await rig({ sessionToken: 'FwoGZXIvYXdzEXAMPLE-token' });
  t.teardown(() => fake.stop());
  const bad = await new Channel(open(), FAST).status(deadlineIn(3000));
  t.is(bad.ok ? null : bad.error.code, 'AUTH', 'the fake wants the token');
  const ok = await new Channel(open({}, { 'session-token-file': 'FwoGZXIvYXdzEXAMPLE-token' }), FAST).status(deadlineIn(3000));
  t.like(ok, { ok: true, value: { state: 'on' } });
  t.regex(String(fake.server.log.at(-1)?.headers.authorization), /SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,/);
});

test('RequestLimitExceeded is retried with backoff until it passes', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  fake.throttle = 3;
  const r = await new Channel(open(), FAST).status(deadlineIn(5000));
  t.like(r, { ok: true, value: { state: 'on', attempts: 4 } });
  t.is(fake.server.log.length, 4);
});

test('a terminated instance is a CONFIG error at once, never retried', async (t) => {
  const { fake, open } = await rig({ terminated: true });
  t.teardown(() => fake.stop());
  const r = await new Channel(open(), FAST).on(deadlineIn(3000));
  t.is(r.ok ? null : r.error.code, 'CONFIG');
  t.regex(r.ok ? '' : r.error.message, /terminated instance cannot be powered on/);
  t.is(fake.server.log.length, 1);
});

test('an unknown instance id is CONFIG (InvalidInstanceID.NotFound)', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  const r = await new Channel(open({ instance: 'i-0000000000000000f' }), FAST).status(deadlineIn(3000));
  t.is(r.ok ? null : r.error.code, 'CONFIG');
  t.regex(r.ok ? '' : r.error.message, /InvalidInstanceID\.NotFound/);
});

test('garbage is PROTOCOL; a closed port and a silent endpoint honour the deadline', async (t) => {
  const { fake, open } = await rig();
  t.teardown(() => fake.stop());
  await checkTransport(t, { server: fake.server, run: (endpoint, d) => new Channel(open({ endpoint }), FAST).status(d) });
});

test('configuration refused before any I/O; the secret is in no message', (t) => {
  const base = { instance: INSTANCE, region: REGION, 'access-key-id': KEY_ID, endpoint: 'http://127.0.0.1:1' };
  const code = (p: Record<string, string>, s: Record<string, string> = { 'secret-key-file': SECRET }, insecure = true) => {
    const r = awsChannel.open({ insecureHttp: insecure, params: { ...base, ...p }, secrets: s });
    t.false(!r.ok && r.error.message.includes(SECRET));
    return r.ok ? 'ok' : r.error.code;
  };
  t.is(code({}), 'ok');
  t.is(code({ instance: 'web-1' }), 'CONFIG');
  t.is(code({ region: 'Mars' }), 'CONFIG');
  t.is(code({}, {}), 'CONFIG');
  t.is(code({}, { 'secret-key-file': SECRET, 'session-token-file': 'tok\u00e9n' }), 'CONFIG', 'a session token that cannot go in a header');
  t.is(code({}, { 'secret-key-file': SECRET }, false), 'CONFIG', 'plain HTTP only when asked');
  const d = awsChannel.open({ insecureHttp: true, params: base, secrets: { 'secret-key-file': SECRET } });
  t.false(JSON.stringify(d.ok ? d.value.describe() : {}).includes(SECRET));
});

test('the parsers never throw on arbitrary input (fuzz)', (t) => {
  const typed = (r: { ok: boolean }) => typeof r.ok === 'boolean';
  const xmlish = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.constantFrom('<DescribeInstancesResponse><reservationSet><item><instancesSet><item><instanceId>i-1</instanceId><instanceState><name>', '<Response><Errors><Error><Code>', '<RebootInstancesResponse><return>'),
  ).chain((head) => fc.tuple(fc.constant(head), fc.string({ maxLength: 100 })).map(([a, b]) => a + b));
  fc.assert(
    fc.property(xmlish, (s) => {
      typed(parseDescribe(s, 'i-1'));
      typed(parseAck(s, 'RebootInstances'));
      typed(parseAck(s, 'StopInstances'));
      return typeof ec2Error(400, s, 'x').code === 'string';
    }),
    { numRuns: 2000 },
  );
  t.like(parseDescribe('<DescribeInstancesResponse><reservationSet><item><instancesSet><item><instanceId>i-1</instanceId><instanceState><code>0</code><name>pending</name></instanceState></item></instancesSet></item></reservationSet></DescribeInstancesResponse>', 'i-1'), { ok: true, value: 'transitioning' });
  t.is(ec2Error(503, '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>m</Message></Error></Errors></Response>', 'x').code, 'BUSY');
  t.is(ec2Error(400, '<Response><Errors><Error><Code>IncorrectInstanceState</Code></Error></Errors></Response>', 'x').code, 'BUSY');
  t.is(ec2Error(403, '<Response><Errors><Error><Code>UnauthorizedOperation</Code></Error></Errors></Response>', 'x').code, 'AUTH');
});

test('CLI: status and off verified through main(); a wrong key fails AUTH; the secret is in no output', async (t) => {
  const { fake } = await rig();
  t.teardown(() => fake.stop());
  const f = secretFile(t, SECRET);
  const base = ['--instance', INSTANCE, '--region', REGION, '--access-key-id', KEY_ID, '--secret-key-file', f, '--endpoint', fake.server.url, '--insecure-http', '--timeout', '10'];
  const st = await runAgent(['oob', 'aws', 'status', ...base]);
  t.is(st.code, 0, st.err);
  t.is(st.out, 'on\n');
  const off = await runAgent(['oob', 'aws', 'off', '--json', ...base]);
  t.is(off.code, 0, off.err);
  t.like(JSON.parse(off.out), { channel: 'aws', action: 'off', state: 'off', verified: true });
  writeFileSync(f, 'wrong-secret\n', { mode: 0o600 });
  const bad = await runAgent(['oob', 'aws', 'on', ...base]);
  t.is(bad.code, 1);
  t.regex(bad.err, /AUTH: StartInstances|AUTH: DescribeInstances/);
  const usage = await runAgent(['oob', 'aws', 'status', '--host', 'x', ...base]);
  t.is(usage.code, 2, 'aws takes no --host');
  t.deepEqual(fake.actions, ['StopInstances Force=true']);
  for (const r of [st, off, bad, usage]) t.false(`${r.out}${r.err}`.includes(SECRET));
});
