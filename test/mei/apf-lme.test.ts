// The LME driver against the simulated firmware: the handshake's deadline,
// a missing LME client, channels as Duplex streams under HTTP with a tiny
// firmware window, and every channel closed at the end.
import test from 'ava';
import { exchange } from '../../agent/channels/http/exchange.ts';
import { deadlineIn } from '../../agent/channels/types.ts';
import { LME_GUID, Lme } from '../../agent/mei/lme.ts';
import { FakeAmtWsman } from '../fakes/me/amt-wsman.ts';
import { SimulatedMe } from '../fakes/me/firmware.ts';
import { SimLme, type SimLmeOptions } from '../fakes/me/lme.ts';

async function world(o: SimLmeOptions = {}) {
  const wsman = new FakeAmtWsman();
  await wsman.start();
  const lme = new SimLme(wsman, o);
  const me = new SimulatedMe({ clients: [lme.spec()] });
  return { wsman, lme, me, stop: () => wsman.stop() };
}

test('no LME client: NO_CLIENT at once', async (t) => {
  const me = new SimulatedMe({ clients: [] });
  const r = await Lme.open(me, deadlineIn(1000));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'NO_CLIENT');
});

test('a firmware that never answers the handshake: TIMEOUT within the deadline, connection closed', async (t) => {
  const w = await world();
  t.teardown(() => w.stop());
  w.me.inject(LME_GUID, { kind: 'no-answer' });
  const t0 = performance.now();
  const r = await Lme.open(w.me, deadlineIn(300));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'TIMEOUT');
  t.true(performance.now() - t0 < 1000);
  t.is(w.me.openConnections(LME_GUID), 0);
});

test('a 200 KiB request through a 512-byte window: never past the window, whole reply back, channel closed', async (t) => {
  const w = await world({ window: 512, maxMessageLength: 300 });
  t.teardown(() => w.stop());
  const l = await Lme.open(w.me, deadlineIn(5000));
  if (!l.ok) return t.fail(l.error.message);
  t.deepEqual(l.value.ports(), [623, 16992]);
  t.deepEqual(l.value.wsmanPort(), { ok: true, value: { port: 16992, tls: false } });
  const body = Buffer.alloc(200 * 1024, 0x41);
  const r = await exchange({ host: '127.0.0.1', port: 16992, pin: null, connect: () => l.value.channel(16992) }, { method: 'POST', path: '/wsman', body }, deadlineIn(10_000));
  t.true(r.ok, r.ok ? '' : r.error.message);
  if (r.ok) t.is(r.value.status, 401);
  t.deepEqual(w.lme.disconnects, []);
  t.true(Math.max(...w.lme.hostDataSizes) <= 300 - 9);
  t.is(w.lme.hostDataSizes.reduce((a, b) => a + b, 0) > body.length, true);
  await l.value.close(deadlineIn(1000));
  t.is(w.lme.live, 0);
  t.is(w.me.openConnections(LME_GUID), 0);
});

test('a channel to a port the firmware does not forward errors on the stream; the session lives on', async (t) => {
  const w = await world();
  t.teardown(() => w.stop());
  const l = await Lme.open(w.me, deadlineIn(5000));
  if (!l.ok) return t.fail();
  const ch = l.value.channel(16993);
  const err = await new Promise<Error>((resolve) => ch.once('error', resolve));
  t.is((err as Error & { code?: string }).code, 'MEI_NO_CLIENT');
  t.is(l.value.ended, null);
  await l.value.close(deadlineIn(1000));
});

test('the firmware refuses a channel (no slot): the stream errors with MEI_BUSY', async (t) => {
  const w = await world({ slots: 0 });
  t.teardown(() => w.stop());
  const l = await Lme.open(w.me, deadlineIn(5000));
  if (!l.ok) return t.fail();
  const r = await exchange({ host: '127.0.0.1', port: 16992, pin: null, connect: () => l.value.channel(16992) }, { method: 'POST', path: '/wsman' }, deadlineIn(2000));
  t.false(r.ok);
  if (!r.ok) t.regex(r.error.message, /MEI_BUSY/);
  t.is(l.value.liveChannels, 0);
  await l.value.close(deadlineIn(1000));
});

test('the firmware drops LME mid-reply: the exchange fails as UNREACHABLE, the session reports RESET', async (t) => {
  const w = await world();
  t.teardown(() => w.stop());
  const l = await Lme.open(w.me, deadlineIn(5000));
  if (!l.ok) return t.fail();
  w.lme.resetAfterBytes = 20;
  const r = await exchange({ host: '127.0.0.1', port: 16992, pin: null, connect: () => l.value.channel(16992) }, { method: 'POST', path: '/wsman' }, deadlineIn(2000));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'UNREACHABLE');
  t.is(l.value.ended?.code, 'RESET');
  await l.value.close(deadlineIn(1000));
  t.is(w.me.openConnections(LME_GUID), 0);
});

test('a malformed firmware message: DISCONNECT, the session ends PROTOCOL and the device connection is closed by itself', async (t) => {
  const w = await world();
  t.teardown(() => w.stop());
  const l = await Lme.open(w.me, deadlineIn(5000));
  if (!l.ok) return t.fail();
  w.me.inject(LME_GUID, { kind: 'wrong-length' });
  const r = await exchange({ host: '127.0.0.1', port: 16992, pin: null, connect: () => l.value.channel(16992) }, { method: 'POST', path: '/wsman' }, deadlineIn(2000));
  t.false(r.ok);
  t.is(l.value.ended?.code, 'PROTOCOL');
  await new Promise((res) => setTimeout(res, 20));
  t.is(w.me.openConnections(LME_GUID), 0);
});

test('AMT disabled at the firmware level: no WS-MAN port is forwarded and the open times out', async (t) => {
  const w = await world();
  t.teardown(() => w.stop());
  w.me.state.amtEnabled = false;
  const r = await Lme.open(w.me, deadlineIn(300));
  t.false(r.ok);
  if (!r.ok) t.regex(r.error.message, /WS-MAN port forward/);
  t.is(w.me.openConnections(LME_GUID), 0);
});
