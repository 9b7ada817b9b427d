// The host APF session as a pure state machine: fed firmware messages and a
// clock, checked on the messages it returns and the events it reports.
import test from 'ava';
import { decodeApf, encodeApf, type ApfMessage } from '../../agent/mei/apf.ts';
import { LmeSession, MAX_CHANNELS, RX_WINDOW, type Step } from '../../agent/mei/lme-session.ts';

const sent = (s: Step): ApfMessage[] => s.send.map((b) => {
  const d = decodeApf(b);
  if (!d.ok) throw new Error(d.error.message);
  return d.value;
});
const fw = (m: ApfMessage): Uint8Array => encodeApf(m);
const uuid = new Uint8Array(16);

/** A session that has seen the firmware's version and its forward of 16992. */
function ready(max = 4096, o: { openTimeoutMs?: number; closeTimeoutMs?: number } = {}): LmeSession {
  const s = new LmeSession({ maxMessageLength: max, ...o });
  s.start();
  s.receive(fw({ type: 'protocol-version', major: 1, minor: 0, trigger: 0, uuid }), 0);
  s.receive(fw({ type: 'global-request', name: 'tcpip-forward', wantReply: true, forward: { address: '', port: 16992 } }), 0);
  return s;
}

function opened(s: LmeSession, window = 4096): number {
  const o = s.open(16992, 0);
  if (!o.ok) throw new Error(o.error.message);
  s.receive(fw({ type: 'open-confirmation', recipient: o.value.channel, sender: 77, window }), 0);
  return o.value.channel;
}

test('handshake: our version first, forwards answered with their port, opens only to forwarded ports after the version', (t) => {
  const s = new LmeSession({ maxMessageLength: 4096 });
  t.like(sent(s.start())[0], { type: 'protocol-version', major: 1, minor: 0 });
  const early = s.open(16992, 0);
  t.false(early.ok);
  const v = s.receive(fw({ type: 'protocol-version', major: 1, minor: 0, trigger: 0, uuid }), 0);
  t.deepEqual(v.events, [{ type: 'version', major: 1, minor: 0 }]);
  const f = s.receive(fw({ type: 'global-request', name: 'tcpip-forward', wantReply: true, forward: { address: '', port: 16993 } }), 0);
  t.deepEqual(sent(f), [{ type: 'request-success', port: 16993 }]);
  t.deepEqual(s.ports(), [16993]);
  const wrong = s.open(16992, 0);
  t.false(wrong.ok);
  if (!wrong.ok) t.is(wrong.error.code, 'NO_CLIENT');
  const o = s.open(16993, 0);
  t.true(o.ok);
  if (o.ok) t.like(sent(o.value.step)[0], { type: 'channel-open', kind: 'forwarded-tcpip', window: RX_WINDOW, target: { port: 16993 } });
});

test('a protocol version other than 1.x ends the session with DISCONNECT', (t) => {
  const s = new LmeSession({ maxMessageLength: 4096 });
  const r = s.receive(fw({ type: 'protocol-version', major: 2, minor: 0, trigger: 0, uuid }), 0);
  t.deepEqual(sent(r), [{ type: 'disconnect', reason: 8 }]);
  t.is(s.ended?.code, 'PROTOCOL');
});

test('writes never pass the firmware window; WINDOW_ADJUST releases the rest; drained at the end', (t) => {
  const s = ready();
  const ch = opened(s, 10);
  const w = s.write(ch, new Uint8Array(25).fill(7));
  t.deepEqual(sent(w).map((m) => (m.type === 'channel-data' ? m.data.length : -1)), [10]);
  t.deepEqual(w.events, []);
  t.is(s.queued(ch), 15);
  const a = s.receive(fw({ type: 'window-adjust', recipient: ch, bytes: 8 }), 0);
  t.deepEqual(sent(a).map((m) => (m.type === 'channel-data' ? [m.recipient, m.data.length] : null)), [[77, 8]]);
  const b = s.receive(fw({ type: 'window-adjust', recipient: ch, bytes: 100 }), 0);
  t.deepEqual(sent(b).map((m) => (m.type === 'channel-data' ? m.data.length : -1)), [7]);
  t.deepEqual(b.events, [{ type: 'drained', channel: ch }]);
});

test('data is cut to the MEI message limit', (t) => {
  const s = ready(100);
  const ch = opened(s, 10_000);
  const w = sent(s.write(ch, new Uint8Array(250)));
  t.deepEqual(w.map((m) => (m.type === 'channel-data' ? m.data.length : -1)), [91, 91, 68]);
  t.true(s.write(ch, new Uint8Array(1)).send.every((b) => b.length <= 100));
});

test('writes before the confirmation wait for it', (t) => {
  const s = ready();
  const o = s.open(16992, 0);
  if (!o.ok) return t.fail();
  t.deepEqual(s.write(o.value.channel, Uint8Array.of(1, 2, 3)).send, []);
  const c = s.receive(fw({ type: 'open-confirmation', recipient: o.value.channel, sender: 5, window: 100 }), 0);
  t.deepEqual(c.events, [{ type: 'opened', channel: o.value.channel }, { type: 'drained', channel: o.value.channel }]);
  t.deepEqual(sent(c), [{ type: 'channel-data', recipient: 5, data: Uint8Array.of(1, 2, 3) }]);
});

test('our window: data past it is a protocol error; consumption is given back in one WINDOW_ADJUST past half', (t) => {
  const s = ready();
  const ch = opened(s);
  const d1 = s.receive(fw({ type: 'channel-data', recipient: ch, data: new Uint8Array(1500) }), 0);
  t.is(d1.events[0]?.type, 'data');
  t.deepEqual(s.consumed(ch, 1500).send, [], 'under half used: no adjust yet');
  s.receive(fw({ type: 'channel-data', recipient: ch, data: new Uint8Array(1000) }), 0);
  t.deepEqual(sent(s.consumed(ch, 1000)), [{ type: 'window-adjust', recipient: 77, bytes: 2500 }]);
  // The window is whole again: 4096 more are allowed, 4097 are not.
  const over = s.receive(fw({ type: 'channel-data', recipient: ch, data: new Uint8Array(RX_WINDOW + 1) }), 0);
  t.deepEqual(sent(over), [{ type: 'disconnect', reason: 2 }]);
  t.is(s.ended?.code, 'PROTOCOL');
  t.true(over.events.some((e) => e.type === 'closed' && e.channel === ch));
  t.true(over.events.some((e) => e.type === 'ended'));
});

test('an open the firmware never answers times out; a late confirmation still gets its CLOSE', (t) => {
  const s = ready(4096, { openTimeoutMs: 100 });
  const o = s.open(16992, 0);
  if (!o.ok) return t.fail();
  const id = o.value.channel;
  t.deepEqual(s.tick(50).events, []);
  const late = s.tick(100);
  t.like(late.events[0], { type: 'open-failed', channel: id, error: { code: 'TIMEOUT' } });
  t.is(s.live, 1, 'still holds the slot it may get');
  const conf = s.receive(fw({ type: 'open-confirmation', recipient: id, sender: 9, window: 10 }), 120);
  t.deepEqual(sent(conf), [{ type: 'channel-close', recipient: 9 }]);
  t.deepEqual(conf.events, []);
  s.receive(fw({ type: 'channel-close', recipient: id }), 130);
  t.is(s.live, 0);
});

test('close: CLOSE sent, the firmware CLOSE frees it; without one the slot is let go after the close timeout', (t) => {
  const s = ready(4096, { closeTimeoutMs: 100 });
  const a = opened(s);
  t.deepEqual(sent(s.close(a, 0)), [{ type: 'channel-close', recipient: 77 }]);
  // Data and adjusts already on their way are dropped, not errors.
  t.deepEqual(s.receive(fw({ type: 'channel-data', recipient: a, data: Uint8Array.of(1) }), 1).events, []);
  t.deepEqual(s.receive(fw({ type: 'channel-close', recipient: a }), 2).events, [{ type: 'closed', channel: a, byPeer: false }]);
  t.deepEqual(s.receive(fw({ type: 'window-adjust', recipient: a, bytes: 5 }), 3).send, [], 'a late adjust for a gone channel is ignored');
  t.is(s.ended, null);
  const b = opened(s);
  s.close(b, 10);
  t.deepEqual(s.tick(110).events, [{ type: 'closed', channel: b, byPeer: false }]);
  t.is(s.live, 0);
});

test('the firmware closes: we answer CLOSE and report it', (t) => {
  const s = ready();
  const ch = opened(s);
  const r = s.receive(fw({ type: 'channel-close', recipient: ch }), 0);
  t.deepEqual(sent(r), [{ type: 'channel-close', recipient: 77 }]);
  t.deepEqual(r.events, [{ type: 'closed', channel: ch, byPeer: true }]);
  t.is(s.live, 0);
});

test('at most MAX_CHANNELS at once', (t) => {
  const s = ready();
  for (let i = 0; i < MAX_CHANNELS; i++) opened(s);
  const r = s.open(16992, 0);
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'BUSY');
});

test('firmware requests: keepalive answered, channel opens refused, unknown global requests failed, unknown service disconnects', (t) => {
  const s = ready();
  t.deepEqual(sent(s.receive(fw({ type: 'keepalive-request', cookie: 42 }), 0)), [{ type: 'keepalive-reply', cookie: 42 }]);
  const open = s.receive(fw({ type: 'channel-open', kind: 'forwarded-tcpip', sender: 3, window: 100, target: { address: '', port: 1, originator: '', originatorPort: 2 } }), 0);
  t.deepEqual(sent(open), [{ type: 'open-failure', recipient: 3, reason: 1 }]);
  const udp = s.receive(Uint8Array.from([80, 0, 0, 0, 25, ...Buffer.from('udp-send-to@amt.intel.com'), 1, 9, 9]), 0);
  t.deepEqual(sent(udp), [{ type: 'request-failure' }]);
  t.deepEqual(sent(s.receive(fw({ type: 'service-request', service: 'pfwd@amt.intel.com' }), 0)), [{ type: 'service-accept', service: 'pfwd@amt.intel.com' }]);
  const bad = s.receive(fw({ type: 'service-request', service: 'x' }), 0);
  t.deepEqual(sent(bad), [{ type: 'disconnect', reason: 7 }]);
  t.is(s.ended?.code, 'PROTOCOL');
});

test('malformed or unknown-channel messages end the session; after the end nothing is answered', (t) => {
  const a = ready();
  const r = a.receive(Uint8Array.of(94, 0, 0), 0);
  t.deepEqual(sent(r), [{ type: 'disconnect', reason: 2 }]);
  t.is(a.ended?.code, 'PROTOCOL');
  t.deepEqual(a.receive(fw({ type: 'keepalive-request', cookie: 1 }), 0).send, []);
  const b = ready();
  b.receive(fw({ type: 'window-adjust', recipient: 999, bytes: 1 }), 0);
  t.regex(b.ended?.message ?? '', /channel 999, which is not open/);
  const c = ready(64);
  c.receive(new Uint8Array(65).fill(94), 0);
  t.regex(c.ended?.message ?? '', /more than its own limit of 64/);
});

test('firmware DISCONNECT and a lost transport end every channel', (t) => {
  const s = ready();
  const ch = opened(s);
  const o = s.open(16992, 0);
  const r = s.receive(fw({ type: 'disconnect', reason: 11 }), 0);
  t.is(s.ended?.code, 'RESET');
  t.deepEqual(r.events.map((e) => e.type), ['closed', 'open-failed', 'ended']);
  t.true(o.ok && r.events.some((e) => e.type === 'open-failed' && e.channel === o.value.channel));
  t.true(r.events.some((e) => e.type === 'closed' && e.channel === ch));
  const l = ready();
  opened(l);
  t.deepEqual(l.lost({ code: 'TIMEOUT', message: 'x' }).events.map((e) => e.type), ['closed', 'ended']);
  t.is(l.live, 0);
});

test('shutdown closes the open channels before ending', (t) => {
  const s = ready();
  opened(s);
  const r = s.shutdown();
  t.deepEqual(sent(r), [{ type: 'channel-close', recipient: 77 }]);
  t.is(s.ended?.code, 'RESET');
});
