// The AMT channel end to end against the fake AMT service on loopback: every
// verified action through verify.ts's Channel, over plain HTTP and over TLS
// with a pinned certificate, and the failures a fencer must tell apart.
import test from 'ava';
import * as fs from 'node:fs';
import { amtChannel } from '../../agent/channels/amt/index.ts';
import { deadlineIn, type ChannelOptions, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel, type VerifyTiming } from '../../agent/channels/verify.ts';
import { makeCert } from '../fakes/cert.ts';
import { FakeWsman, type FakeOptions } from '../fakes/wsman/server.ts';
import { closedPort } from '../fakes/transport-checks.ts';

const FAST: VerifyTiming = { pollMs: 40, backoffMs: 20, backoffMaxMs: 80, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
const PASSWORD = 'Amt-P4ss!word';

async function fake(t: { teardown(fn: () => Promise<void>): void }, o: Partial<FakeOptions> = {}): Promise<FakeWsman> {
  const f = new FakeWsman({ kind: 'amt', user: 'admin', password: PASSWORD, ...o });
  await f.start();
  t.teardown(() => f.stop());
  return f;
}

function driver(port: number, extra: Partial<ChannelOptions> = {}): PowerDriver {
  const r = amtChannel.open({ host: '127.0.0.1', port, password: PASSWORD, insecureHttp: true, ...extra });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const noPassword = (f: FakeWsman, s: string): boolean => !s.includes(PASSWORD) && f.seen.every((x) => !x.includes(PASSWORD));

test('status, off, on, cycle, reset through the Channel: every action verified', async (t) => {
  const f = await fake(t);
  const ch = new Channel(driver(f.port), FAST);
  const s = await ch.status(deadlineIn(6000));
  t.true(s.ok);
  if (s.ok) t.is(s.value.state, 'on');
  const off = await ch.off(deadlineIn(6000));
  t.true(off.ok, JSON.stringify(off));
  if (off.ok) t.deepEqual([off.value.state, off.value.verified, off.value.steps[1]], ['off', true, 'off sent']);
  t.is(f.machine.state, 8);
  const on = await ch.on(deadlineIn(6000));
  t.true(on.ok, JSON.stringify(on));
  t.is(f.machine.state, 2);
  const cyc = await ch.cycle(deadlineIn(8000));
  t.true(cyc.ok, JSON.stringify(cyc));
  const rst = await ch.reset(deadlineIn(6000));
  t.true(rst.ok, JSON.stringify(rst));
  if (rst.ok) t.true(rst.value.steps.includes('reset sent'));
  // Hard states only: 8 off, 2 on (twice: on, then cycle's on half), 8 for the cycle's off half, 10 reset.
  t.deepEqual(f.machine.accepted, [8, 2, 8, 2, 10]);
  // One challenge for the whole run, then the nonce count grows by one with every request under that nonce.
  t.is(f.digest.ncSeen.length, f.posts - 1);
  t.deepEqual(f.digest.ncSeen, f.digest.ncSeen.map((_, i) => i + 1));
  t.true(noPassword(f, JSON.stringify([s, off, on, cyc, rst])));
});

test('describe lists only the offered hard states once a status read has seen them', async (t) => {
  const f = await fake(t, { offeredOn: [8, 12, 14] });
  const d = driver(f.port);
  t.deepEqual(d.describe().actions, ['on', 'off', 'cycle', 'reset']);
  t.true((await d.status(deadlineIn(4000))).ok);
  t.deepEqual(d.describe().actions, ['on', 'off']);
  const r = await d.request('reset', deadlineIn(4000));
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'UNSUPPORTED');
    t.regex(r.error.message, /offers 8 \(Off - Soft\), 12 \(Off - Soft Graceful\), 14/);
  }
  const viaChannel = await new Channel(d, FAST).reset(deadlineIn(4000));
  t.false(viaChannel.ok);
  if (!viaChannel.ok) t.is(viaChannel.error.code, 'UNSUPPORTED');
  t.deepEqual(f.machine.accepted, []);
});

test('a wrong password is AUTH at once, after one challenge and one answer, and the password is in no message', async (t) => {
  const f = await fake(t);
  const d = driver(f.port, { password: 'wrong-secret-123' });
  const started = performance.now();
  const r = await new Channel(d, FAST).off(deadlineIn(8000));
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'AUTH');
    t.is(r.error.attempts, 1);
    t.false(r.error.message.includes('wrong-secret-123'));
  }
  t.is(f.posts, 2);
  t.is(f.digest.rejected, 1);
  t.true(performance.now() - started < 3000);
  t.true(f.seen.every((x) => !x.includes('wrong-secret-123')));
});

test('an expired nonce is answered once with the new one, without a new password', async (t) => {
  const f = await fake(t);
  const d = driver(f.port);
  t.true((await d.status(deadlineIn(4000))).ok);
  const before = f.posts;
  f.digest.expireAll();
  const s = await d.status(deadlineIn(4000));
  t.true(s.ok);
  t.is(f.digest.staleSent, 1);
  // Enumerate (stale 401, then answered) + Pull.
  t.is(f.posts - before, 3);
  t.is(f.digest.rejected, 0);
});

test('a server that never answers is TIMEOUT within the deadline', async (t) => {
  const f = await fake(t);
  f.mode = 'hang';
  const started = performance.now();
  const r = await driver(f.port).status(deadlineIn(300));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'TIMEOUT');
  t.true(performance.now() - started < 1500);
});

test('garbage instead of SOAP is PROTOCOL', async (t) => {
  const f = await fake(t);
  f.mode = 'garbage';
  const r = await driver(f.port).status(deadlineIn(4000));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'PROTOCOL');
});

test('a closed port is UNREACHABLE', async (t) => {
  const r = await driver(await closedPort()).status(deadlineIn(4000));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'UNREACHABLE');
});

test('ReturnValue 4099 is BUSY and retried by the Channel; 1 is UNSUPPORTED; 4096 counts as sent', async (t) => {
  const f = await fake(t);
  const d = driver(f.port);
  t.true((await d.status(deadlineIn(4000))).ok);
  f.forceReturn = 4099;
  const busy = await d.request('off', deadlineIn(4000));
  t.deepEqual(busy.ok ? null : busy.error.code, 'BUSY');
  f.forceReturn = 1;
  t.true((await d.status(deadlineIn(4000))).ok);
  const ns = await d.request('off', deadlineIn(4000));
  t.deepEqual(ns.ok ? null : ns.error.code, 'UNSUPPORTED');
  f.forceReturn = 4096;
  t.true((await d.status(deadlineIn(4000))).ok);
  t.true((await d.request('off', deadlineIn(4000))).ok);
  // Through the Channel a busy answer is retried and the machine still ends off.
  f.machine.state = 2;
  f.forceReturn = 4099;
  const off = await new Channel(d, FAST).off(deadlineIn(6000));
  t.true(off.ok, JSON.stringify(off));
  if (off.ok) t.true(off.value.steps.some((s) => s.startsWith('busy, retrying')));
});

test('TLS with the pinned certificate works; a wrong pin is TLS before any credential is sent', async (t) => {
  const cert = makeCert('fake-amt');
  t.teardown(() => fs.rmSync(cert.dir, { recursive: true, force: true }));
  const f = await fake(t, { tls: { key: cert.key, cert: cert.cert } });
  t.is(amtChannel.defaultPort({ host: 'h', password: 'p' }), 16993);
  t.is(amtChannel.defaultPort({ host: 'h', password: 'p', insecureHttp: true }), 16992);
  const good = await new Channel(driver(f.port, { insecureHttp: false, tlsFingerprint: cert.pin }), FAST).off(deadlineIn(6000));
  t.true(good.ok, JSON.stringify(good));
  const posts = f.posts;
  const wrong = `sha256:${'ab'.repeat(32)}`;
  const bad = await driver(f.port, { insecureHttp: false, tlsFingerprint: wrong }).status(deadlineIn(4000));
  t.false(bad.ok);
  if (!bad.ok) {
    t.is(bad.error.code, 'TLS');
    t.true(bad.error.message.includes(cert.pin));
  }
  t.is(f.posts, posts);
  // No global bypass was left behind.
  t.is(process.env.NODE_TLS_REJECT_UNAUTHORIZED, undefined);
});

test('options: HTTPS needs a pin, the pin and plain HTTP exclude each other, a password is required', (t) => {
  const code = (o: ChannelOptions): string | null => {
    const r = amtChannel.open(o);
    return r.ok ? null : r.error.code;
  };
  t.is(code({ host: '127.0.0.1', password: 'x' }), 'CONFIG');
  t.is(code({ host: '127.0.0.1', password: 'x', insecureHttp: true, tlsFingerprint: `sha256:${'00'.repeat(32)}` }), 'CONFIG');
  t.is(code({ host: '127.0.0.1', password: '', insecureHttp: true }), 'CONFIG');
  t.is(code({ host: '127.0.0.1', password: 'x', tlsFingerprint: 'md5:00' }), 'CONFIG');
  t.is(code({ host: '127.0.0.1', password: 'x', insecureHttp: true }), null);
});
