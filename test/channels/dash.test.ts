// The DASH channel end to end against the fake DASH service: the same verified
// actions as AMT, with the host system's selectors taken from discovery, and
// the fake's strict faults for a wrong selector, an unknown ResourceURI and a
// service addressed without its keys.
import test from 'ava';
import * as fs from 'node:fs';
import { dashChannel } from '../../agent/channels/dash/index.ts';
import { deadlineIn, type ChannelOptions, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel, type VerifyTiming } from '../../agent/channels/verify.ts';
import { ANONYMOUS, CIM_BASE, URI, enumerate, requestPowerStateChange } from '../../agent/channels/wsman/envelope.ts';
import { wsmanUrl } from '../../agent/channels/wsman/http.ts';
import { Transport } from '../../agent/channels/wsman/transport.ts';
import { makeCert } from '../fakes/cert.ts';
import { FakeWsman, type FakeOptions } from '../fakes/wsman/server.ts';

const FAST: VerifyTiming = { pollMs: 40, backoffMs: 20, backoffMaxMs: 80, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
const PASSWORD = 'Dash-S3cret#';

async function fake(t: { teardown(fn: () => Promise<void>): void }, o: Partial<FakeOptions> = {}): Promise<FakeWsman> {
  const f = new FakeWsman({ kind: 'dash', user: 'Administrator', password: PASSWORD, offeredOn: [5, 8, 10, 12, 14], ...o });
  await f.start();
  t.teardown(() => f.stop());
  return f;
}

function driver(port: number, extra: Partial<ChannelOptions> = {}): PowerDriver {
  const r = dashChannel.open({ host: '127.0.0.1', port, password: PASSWORD, insecureHttp: true, ...extra });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

test('status, off, on, cycle, reset through the Channel against the DASH fake', async (t) => {
  const f = await fake(t, { state: 8 });
  const ch = new Channel(driver(f.port), FAST);
  const s = await ch.status(deadlineIn(6000));
  t.true(s.ok);
  if (s.ok) t.is(s.value.state, 'off');
  const on = await ch.on(deadlineIn(6000));
  t.true(on.ok, JSON.stringify(on));
  const off = await ch.off(deadlineIn(6000));
  t.true(off.ok, JSON.stringify(off));
  const again = await ch.off(deadlineIn(6000));
  t.true(again.ok);
  if (again.ok) t.deepEqual(again.value.steps, ['status off', 'already off']);
  const cyc = await ch.cycle(deadlineIn(8000));
  t.true(cyc.ok, JSON.stringify(cyc));
  const rst = await ch.reset(deadlineIn(6000));
  t.true(rst.ok, JSON.stringify(rst));
  // The graceful 12/14 the device also offers are never chosen.
  t.deepEqual(f.machine.accepted, [2, 8, 2, 10]);
  t.deepEqual(f.faults, []);
  t.true(f.seen.every((x) => !x.includes(PASSWORD)));
  t.is(dashChannel.defaultPort({ host: 'h', password: 'p' }), 664);
  t.is(dashChannel.defaultPort({ host: 'h', password: 'p', insecureHttp: true }), 623);
});

test('the DASH fake refuses AMT\'s fixed ManagedSystem selector with wsman:InvalidSelectors (CONFIG)', async (t) => {
  const f = await fake(t);
  const tr = new Transport({ host: '127.0.0.1', port: f.port, pin: null }, { user: 'Administrator', password: PASSWORD });
  const amtStyle = { address: ANONYMOUS, resourceUri: URI.computerSystem, selectors: [['CreationClassName', 'CIM_ComputerSystem'], ['Name', 'ManagedSystem']] as [string, string][] };
  const service = { address: ANONYMOUS, resourceUri: URI.powerService, selectors: f.serviceKeys };
  const r = await tr.call(requestPowerStateChange(wsmanUrl(tr.ep), service, amtStyle, 8, 1000), 'invoke', deadlineIn(4000));
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'CONFIG');
    t.regex(r.error.message, /InvalidSelectors \[InvalidValue\]/);
  }
  const bare = await tr.call(requestPowerStateChange(wsmanUrl(tr.ep), { ...service, selectors: [] }, amtStyle, 8, 1000), 'invoke', deadlineIn(4000));
  t.false(bare.ok);
  if (!bare.ok) t.regex(bare.error.message, /InvalidSelectors \[InsufficientSelectors\]/);
  t.deepEqual(f.faults, ['InvalidSelectors', 'InvalidSelectors']);
  t.deepEqual(f.machine.accepted, []);
});

test('an unknown ResourceURI or one in the wrong namespace is wsa:DestinationUnreachable (CONFIG)', async (t) => {
  const f = await fake(t);
  const tr = new Transport({ host: '127.0.0.1', port: f.port, pin: null }, { user: 'Administrator', password: PASSWORD });
  for (const uri of [`${CIM_BASE}CIM_NoSuchClass`, 'http://intel.com/wbem/wscim/1/amt-schema/1/CIM_AssociatedPowerManagementService']) {
    const r = await tr.call(enumerate(wsmanUrl(tr.ep), uri, 1000), 'enumerate', deadlineIn(4000));
    t.false(r.ok);
    if (!r.ok) {
      t.is(r.error.code, 'CONFIG');
      t.regex(r.error.message, /DestinationUnreachable \[InvalidResourceURI\]/);
    }
  }
});

test('several managed systems: CONFIG naming them, no request sent', async (t) => {
  const f = await fake(t, { extraSystems: ['SECOND-SYSTEM'] });
  f.maxPerPull = 1;
  const d = driver(f.port);
  const s = await d.status(deadlineIn(4000));
  // 401 + Enumerate + one Pull per system.
  t.is(f.posts, 4);
  t.false(s.ok);
  if (!s.ok) {
    t.is(s.error.code, 'CONFIG');
    t.regex(s.error.message, /2 systems \(4C4C4544-0037-3010-8052-B4C04F4A4E31, SECOND-SYSTEM\)/);
  }
  const r = await d.request('off', deadlineIn(4000));
  t.false(r.ok);
  t.deepEqual(f.machine.accepted, []);
});

test('a state the device does not take: ReturnValue 4097 is STATE, not retried', async (t) => {
  const f = await fake(t);
  const d = driver(f.port);
  t.true((await d.status(deadlineIn(4000))).ok);
  // The machine turned off behind our back: the cached offer (taken while on) is stale.
  f.machine.state = 8;
  const r = await d.request('reset', deadlineIn(4000));
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'STATE');
    t.regex(r.error.message, /ReturnValue 4097 \(Invalid State Transition\)/);
  }
});

test('TLS on the DASH port with a pinned certificate; a wrong pin fails before credentials', async (t) => {
  const cert = makeCert('fake-dash');
  t.teardown(() => fs.rmSync(cert.dir, { recursive: true, force: true }));
  const f = await fake(t, { tls: { key: cert.key, cert: cert.cert } });
  const good = await new Channel(driver(f.port, { insecureHttp: false, tlsFingerprint: cert.pin }), FAST).cycle(deadlineIn(8000));
  t.true(good.ok, JSON.stringify(good));
  const posts = f.posts;
  const bad = await driver(f.port, { insecureHttp: false, tlsFingerprint: `sha256:${'cd'.repeat(32)}` }).status(deadlineIn(4000));
  t.deepEqual(bad.ok ? null : bad.error.code, 'TLS');
  t.is(f.posts, posts);
});

test('the default DASH user is Administrator; another user is refused as AUTH', async (t) => {
  const f = await fake(t);
  t.true((await driver(f.port).status(deadlineIn(4000))).ok);
  const other = await driver(f.port, { user: 'admin' }).status(deadlineIn(4000));
  t.deepEqual(other.ok ? null : other.error.code, 'AUTH');
});
