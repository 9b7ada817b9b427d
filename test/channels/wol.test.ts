// The Wake-on-LAN channel against the FAKE sleeping NIC on loopback (unicast:
// the content is what is checked here; the real broadcast is in
// wol-netns.test.ts): what is sent, how often and how far apart, that the
// ladder reports it unverified, that nothing but `on` is offered, that the
// deadline bounds the sends, and the options refused before any I/O.

import test from 'ava';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadlineIn, type ChannelOptions, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel, type VerifyTiming } from '../../agent/channels/verify.ts';
import { formatMac } from '../../agent/channels/wol/magic.ts';
import { wolChannel } from '../../agent/channels/wol/index.ts';
import { FakeNic } from '../fakes/wol/nic.ts';
import { startWolBench, startWolNicBench } from '../fakes/wol/bench.ts';

const FAST: VerifyTiming = { pollMs: 40, backoffMs: 30, backoffMaxMs: 120, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
const MAC = '52:54:00:12:34:56';
const LONG = 10_000;

function open(opts: ChannelOptions): PowerDriver {
  const r = wolChannel.open(opts);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function nic(t: { teardown(f: () => Promise<void>): void }, o: Parameters<typeof FakeNic.start>[0]): Promise<FakeNic> {
  const n = await FakeNic.start(o);
  t.teardown(() => n.close());
  return n;
}

test('on: three 102-byte magic packets for the MAC, about 100 ms apart; the ladder says unverified', async (t) => {
  const n = await nic(t, { mac: MAC });
  const driver = open({ host: '127.0.0.1', port: n.port, params: { mac: '5254.0012.3456' } });
  t.deepEqual(driver.describe(), { channel: 'wol', target: `127.0.0.1:${n.port}`, actions: ['on'], verifiable: false });
  const r = await new Channel(driver, FAST).on(deadlineIn(LONG));
  t.true(r.ok, JSON.stringify(r));
  if (!r.ok) return;
  t.like(r.value, { state: 'unknown', verified: false, attempts: 1 });
  t.deepEqual(r.value.steps, ['on sent', 'unverifiable: the channel cannot read the power state']);
  t.true(await n.waitFor(3, 2000));
  t.is(n.log.length, 3);
  for (const p of n.log) {
    t.is(p.bytes.length, 102);
    t.true(p.parsed.ok && formatMac(p.parsed.value.mac) === MAC);
    t.true(p.woke);
  }
  const gaps = n.log.slice(1).map((p, i) => p.at - n.log[i]!.at);
  t.true(gaps.every((g) => g >= 80 && g < 400), `gaps ${gaps.map(Math.round).join(', ')} ms`);
  t.true(r.value.elapsedMs >= 190, `elapsed ${r.value.elapsedMs} ms`);
  t.is(n.machine.state(), 'on');
});

test('IPv6 (::1) with a 6-byte SecureOn password: 108-byte packets carrying it; a card with another password stays asleep', async (t) => {
  const pw = Uint8Array.from([0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6]);
  const right = await nic(t, { mac: MAC, host: '::1', secureOn: pw });
  const r = await open({ host: '::1', port: right.port, params: { mac: MAC }, secrets: { 'secureon-file': 'a1:b2:c3:d4:e5:f6' } }).request('on', deadlineIn(LONG));
  t.deepEqual(r, { ok: true, value: undefined });
  t.true(await right.waitFor(3, 2000));
  t.true(right.log.every((p) => p.bytes.length === 108 && p.woke));
  t.is(right.machine.state(), 'on');

  const other = await nic(t, { mac: MAC, host: '::1', secureOn: Uint8Array.from([1, 2, 3, 4]) });
  await open({ host: '::1', port: other.port, params: { mac: MAC }, secrets: { 'secureon-file': 'a1-b2-c3-d4-e5-f6' } }).request('on', deadlineIn(LONG));
  t.true(await other.waitFor(3, 2000));
  t.true(other.log.every((p) => p.parsed.ok && !p.woke));
  t.is(other.machine.state(), 'off');
});

test('status is UNSUPPORTED; off, cycle and reset are UNSUPPORTED and send nothing', async (t) => {
  const n = await nic(t, { mac: MAC });
  const driver = open({ host: '127.0.0.1', port: n.port, params: { mac: MAC } });
  const ch = new Channel(driver, FAST);
  const st = await ch.status(deadlineIn(LONG));
  t.like(st, { ok: false, error: { code: 'UNSUPPORTED' } });
  t.like(await driver.status(deadlineIn(LONG)), { ok: false, error: { code: 'UNSUPPORTED', message: 'Wake-on-LAN cannot read the power state; only the node rejoining gossip shows it woke' } });
  for (const action of ['off', 'cycle', 'reset'] as const) {
    const r = await ch[action](deadlineIn(LONG));
    t.like(r, { ok: false, error: { code: 'UNSUPPORTED' } }, action);
  }
  t.like(await driver.request('off', deadlineIn(LONG)), { ok: false, error: { code: 'UNSUPPORTED', message: 'Wake-on-LAN can only power on, not off' } });
  await new Promise((r) => setTimeout(r, 150));
  t.is(n.log.length, 0);
});

test('the deadline bounds the copies: 150 ms leaves room for two, an expired one sends none', async (t) => {
  const n = await nic(t, { mac: MAC });
  const driver = open({ host: '127.0.0.1', port: n.port, params: { mac: MAC } });
  const started = performance.now();
  const r = await driver.request('on', deadlineIn(150));
  const took = performance.now() - started;
  t.true(r.ok);
  // The copies stop at the deadline; on a loaded machine the second may not fit, a third never does.
  t.true(took < 150 + 250, `took ${Math.round(took)} ms`);
  t.true(await n.waitFor(1, 1000));
  await new Promise((res) => setTimeout(res, 250));
  t.true(n.log.length >= 1 && n.log.length <= 2, `${n.log.length} copies`);
  const none = await driver.request('on', deadlineIn(0));
  t.like(none, { ok: false, error: { code: 'TIMEOUT' } });
  await new Promise((res) => setTimeout(res, 100));
  t.is(n.log.length, 2);
});

test('options refused before any I/O: no MAC, a bad or group MAC, a host name, a zone on IPv4, a bad password (never quoted)', (t) => {
  const code = (o: ChannelOptions): string => {
    const r = wolChannel.open(o);
    return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`;
  };
  t.is(code({}), 'CONFIG: Wake-on-LAN needs --mac');
  t.regex(code({ params: { mac: '52:54:00:12:34' } }), /^CONFIG: "52:54:00:12:34" is not a MAC address/);
  t.regex(code({ params: { mac: 'FF-FF-FF-FF-FF-FF' } }), /^CONFIG: ff:ff:ff:ff:ff:ff is the broadcast address/);
  t.regex(code({ params: { mac: '01:00:5e:7f:00:01' } }), /^CONFIG: .*multicast/);
  t.regex(code({ host: 'wol.example.com', params: { mac: MAC } }), /^CONFIG: .*not an IPv4 or IPv6 address/);
  t.regex(code({ host: '10.0.0.255%eth0', params: { mac: MAC } }), /^CONFIG: .*only an IPv6 address takes a %zone/);
  t.regex(code({ host: '10.0.0.255', port: 0, params: { mac: MAC } }), /^CONFIG: port 0/);
  const secret = 'Hunter2-wol';
  const bad = code({ params: { mac: MAC }, secrets: { 'secureon-file': secret } });
  t.regex(bad, /^CONFIG: the SecureOn password is not/);
  t.false(bad.includes(secret));
  t.is(code({ params: { mac: MAC } }), 'ok');
  t.is(code({ host: 'ff02::1%lo', params: { mac: MAC } }), 'ok');
  t.is(wolChannel.defaultPort({}), 9);
  const d = open({ params: { mac: MAC }, secrets: { 'secureon-file': 'a1b2c3d4' } }).describe();
  t.is(d.target, '255.255.255.255:9');
  t.false(JSON.stringify(d).includes('a1b2c3d4'));
});

test('relay socket: none there is UNREACHABLE, retried until the deadline; a silent one is TIMEOUT at the deadline', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wol-'));
  const missing = open({ params: { mac: MAC, 'relay-socket': join(dir, 'absent.sock') } });
  t.is(missing.describe().target, `255.255.255.255:9 via the daemon at ${join(dir, 'absent.sock')}`);
  let started = performance.now();
  const r1 = await new Channel(missing, FAST).on(deadlineIn(800));
  let took = performance.now() - started;
  t.like(r1, { ok: false, error: { code: 'UNREACHABLE' } });
  t.true(!r1.ok && r1.error.attempts > 2, 'retried');
  t.true(took >= 600 && took < 1000, `gave up after ${Math.round(took)} ms`);

  const conns: Socket[] = [];
  const silent = createServer((s) => conns.push(s));
  await new Promise<void>((res) => silent.listen(join(dir, 'silent.sock'), () => res()));
  t.teardown(() => {
    for (const c of conns) c.destroy();
    silent.close();
  });
  started = performance.now();
  const r2 = await open({ params: { mac: MAC, 'relay-socket': join(dir, 'silent.sock') } }).request('on', deadlineIn(500));
  took = performance.now() - started;
  t.like(r2, { ok: false, error: { code: 'TIMEOUT' } });
  t.true(took >= 490 && took < 700, `timed out after ${Math.round(took)} ms`);
});

test('bench target: its options drive the channel to its listener; the machine behind it powers on after the delay', async (t) => {
  const b = await startWolBench(50);
  await b.close();
  t.is(b.channel, 'wol');
  const { target, nic } = await startWolNicBench(50);
  t.teardown(() => target.close());
  t.regex(target.label, /unverified/);
  const r = await new Channel(open(target.opts), FAST).on(deadlineIn(LONG));
  t.like(r, { ok: true, value: { verified: false } });
  t.true(await nic.waitFor(3, 2000));
  t.true(nic.log.every((p) => p.woke));
  t.not(nic.machine.state(), 'off');
  await new Promise((res) => setTimeout(res, 60));
  t.is(nic.machine.state(), 'on');
});
