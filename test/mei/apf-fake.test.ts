// The simulated LME is strict, so the host driver cannot pass against a
// lenient fake: a host that skips the handshake, sends garbage or overruns
// the window it was granted is disconnected.
import test from 'ava';
import { decodeApf, encodeApf, type ApfMessage } from '../../agent/mei/apf.ts';
import { deadlineIn } from '../../agent/channels/types.ts';
import { LME_GUID } from '../../agent/mei/lme.ts';
import type { MeiConnection } from '../../agent/mei/types.ts';
import { FakeAmtWsman } from '../fakes/me/amt-wsman.ts';
import { SimulatedMe } from '../fakes/me/firmware.ts';
import { SimLme } from '../fakes/me/lme.ts';

async function raw(window = 100) {
  const wsman = new FakeAmtWsman();
  await wsman.start();
  const lme = new SimLme(wsman, { window });
  const me = new SimulatedMe({ clients: [lme.spec()] });
  const c = await me.connect(LME_GUID, deadlineIn(1000));
  if (!c.ok) throw new Error(c.error.message);
  return { wsman, lme, me, conn: c.value };
}

const send = (c: MeiConnection, m: ApfMessage) => c.send(encodeApf(m), deadlineIn(1000));
async function next(c: MeiConnection): Promise<ApfMessage | string> {
  const r = await c.receive(deadlineIn(1000));
  if (!r.ok) return r.error.code;
  const d = decodeApf(r.value);
  return d.ok ? d.value : `bad: ${d.error.message}`;
}
const version: ApfMessage = { type: 'protocol-version', major: 1, minor: 0, trigger: 9, uuid: new Uint8Array(16) };

test('handshake: version, then tcpip-forward for 16992 and 623 with want-reply', async (t) => {
  const w = await raw();
  t.teardown(() => w.wsman.stop());
  await send(w.conn, version);
  t.like(await next(w.conn), { type: 'protocol-version', major: 1 });
  t.like(await next(w.conn), { type: 'global-request', name: 'tcpip-forward', wantReply: true, forward: { port: 16992 } });
  t.like(await next(w.conn), { type: 'global-request', name: 'tcpip-forward', wantReply: true, forward: { port: 623 } });
  w.conn.close();
});

test('anything before the version, or garbage, is answered with DISCONNECT and the connection dropped', async (t) => {
  const a = await raw();
  t.teardown(() => a.wsman.stop());
  await send(a.conn, { type: 'keepalive-request', cookie: 1 });
  t.deepEqual(await next(a.conn), { type: 'disconnect', reason: 2 });
  t.is(await next(a.conn), 'RESET');
  const b = await raw();
  t.teardown(() => b.wsman.stop());
  await send(b.conn, version);
  for (let i = 0; i < 3; i++) await next(b.conn);
  await b.conn.send(Uint8Array.of(94, 1), deadlineIn(1000));
  t.deepEqual(await next(b.conn), { type: 'disconnect', reason: 2 });
  t.regex(b.lme.disconnects[0] ?? '', /truncated/);
});

test('a host that sends past the granted window is disconnected', async (t) => {
  const w = await raw(100);
  t.teardown(() => w.wsman.stop());
  await send(w.conn, version);
  for (let i = 0; i < 3; i++) await next(w.conn);
  await send(w.conn, { type: 'request-success', port: 16992 });
  await send(w.conn, { type: 'request-success', port: 623 });
  await send(w.conn, { type: 'channel-open', kind: 'forwarded-tcpip', sender: 1, window: 4096, target: { address: '::1', port: 16992, originator: '::1', originatorPort: 123 } });
  const conf = await next(w.conn);
  t.like(conf, { type: 'open-confirmation', recipient: 1, window: 100 });
  const id = typeof conf === 'object' && conf.type === 'open-confirmation' ? conf.sender : 0;
  await send(w.conn, { type: 'channel-data', recipient: id, data: new Uint8Array(101) });
  t.deepEqual(await next(w.conn), { type: 'disconnect', reason: 2 });
  t.regex(w.lme.disconnects[0] ?? '', /101 bytes with 100 left/);
  t.is(w.lme.live, 0);
});
