import test from 'ava';
import { createSocket } from 'node:dgram';
import { createLogger } from '../../agent/log.ts';
import { GossipDriver, type GossipCore } from '../../agent/gossip/driver.ts';
import { SwimNode, type SwimStats } from '../../agent/gossip/swim.ts';
import { identityTrust, INCARNATION_SPAN } from '../../agent/gossip/trust.ts';
import { DEFAULT_CONFIG, type Addr, type MemberEvent, type MemberView, type Outbound, type Rejection } from '../../agent/gossip/types.ts';
import { createSession } from '../../agent/identity/session.ts';
import { enroll, initOrg, loadOrg } from '../../agent/identity/store.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function logger() {
  const lines: Line[] = [];
  return { lines, log: createLogger({ format: 'json', level: 'debug', write: (s) => lines.push(JSON.parse(s) as Line) }) };
}

const view = (name: string): MemberView => ({ name, addr: '127.0.0.1:1', state: 'alive', incarnation: 1, attested: false, updatedAt: 0, self: true });

/** A scripted core: records calls, hands out what the test queued. */
class FakeCore implements GossipCore {
  calls: string[] = [];
  out: Outbound[] = [];
  events: MemberEvent[] = [];
  rejections: Rejection[] = [];
  wake = Number.POSITIVE_INFINITY;
  onPacket: (from: Addr, bytes: Uint8Array) => void = () => {};
  onStream: (from: Addr, bytes: Uint8Array) => Uint8Array | null = () => null;
  onReply: (to: Addr, bytes: Uint8Array) => Uint8Array | null = () => null;
  start(): void {
    this.calls.push('start');
  }
  receivePacket(from: Addr, bytes: Uint8Array): void {
    this.calls.push(`packet ${bytes.length}`);
    this.onPacket(from, bytes);
  }
  receiveStream(from: Addr, bytes: Uint8Array): Uint8Array | null {
    this.calls.push(`stream ${new TextDecoder().decode(bytes)}`);
    return this.onStream(from, bytes);
  }
  receiveStreamReply(to: Addr, bytes: Uint8Array): Uint8Array | null {
    this.calls.push(`reply ${new TextDecoder().decode(bytes)}`);
    return this.onReply(to, bytes);
  }
  streamFailed(to: Addr): void {
    this.calls.push(`failed ${to}`);
  }
  tick(): void {
    this.calls.push('tick');
    this.wake = Number.POSITIVE_INFINITY;
  }
  leave(): void {
    this.calls.push('leave');
  }
  setAttestation(record: Uint8Array): void {
    this.calls.push(`attest ${record.length}`);
  }
  takeOutbound(): Outbound[] {
    return this.out.splice(0);
  }
  takeEvents(): MemberEvent[] {
    return this.events.splice(0);
  }
  takeRejections(): Rejection[] {
    return this.rejections.splice(0);
  }
  nextWake(): number {
    return this.wake;
  }
  members(): MemberView[] {
    return [view('me'), { ...view('other'), self: false, state: 'suspect' }];
  }
  self(): MemberView {
    return view('me');
  }
  stats(): SwimStats {
    return { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, streamBytesIn: 0, streamBytesOut: 0 };
  }
}

const waitFor = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
};

async function peer() {
  const got: { from: string; bytes: Buffer }[] = [];
  const s = createSocket('udp4');
  s.on('message', (bytes, r) => got.push({ from: `${r.address}:${r.port}`, bytes }));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { got, addr: `127.0.0.1:${s.address().port}`, send: (to: string, b: Uint8Array) => s.send(b, Number(to.split(':')[1]), '127.0.0.1'), close: () => s.close() };
}

test('start, packets out, events logged as "member state", the timer follows nextWake', async (t) => {
  const { lines, log } = logger();
  const core = new FakeCore();
  const p = await peer();
  t.teardown(() => p.close());
  core.out.push({ kind: 'packet', to: p.addr, bytes: new Uint8Array([1, 2]) });
  core.events.push({ name: 'bob', from: 'alive', to: 'suspect', incarnation: 7, at: 0 });
  // Far enough ahead that a loaded machine still delivers the packet first.
  core.wake = Date.now() + 1500;
  const d = new GossipDriver({ core, bind: '127.0.0.1:0', maxPacketBytes: 1400, log });
  await d.start();
  t.teardown(() => d.stop({ leave: false }));
  t.is(core.calls[0], 'start');
  t.true(await waitFor(() => p.got.length === 1, 2000));
  t.is(p.got[0]?.from, d.addr);
  const ev = lines.find((l) => l.msg === 'member state');
  t.like(ev, { level: 30, member: 'bob', from: 'alive', to: 'suspect', incarnation: 7 });
  t.false(core.calls.includes('tick'));
  t.true(await waitFor(() => core.calls.includes('tick'), 5000), 'ticked at nextWake');
  const ticks = core.calls.filter((c) => c === 'tick').length;
  await new Promise((r) => setTimeout(r, 100));
  t.is(core.calls.filter((c) => c === 'tick').length, ticks, 'no tick before the next wake (a non-finite one waits a second)');
  // A datagram in reaches the core; the status is assembled from it.
  p.send(d.addr, new Uint8Array(5));
  t.true(await waitFor(() => core.calls.includes('packet 5'), 2000));
  const st = d.status();
  t.like(st, { name: 'me', state: 'alive', members: { alive: 1, suspect: 1, dead: 0, left: 0 } });
  t.is(st.udp?.received, 1);
});

test('a wake in the past runs the tick at once', async (t) => {
  const { log } = logger();
  const core = new FakeCore();
  core.wake = Date.now() - 10_000;
  const d = new GossipDriver({ core, bind: '127.0.0.1:0', maxPacketBytes: 1400, log });
  await d.start();
  t.teardown(() => d.stop({ leave: false }));
  t.true(await waitFor(() => core.calls.includes('tick'), 500));
});

test('rejections: one warn line each, at most the rate, then one line with the suppressed count', async (t) => {
  const { lines, log } = logger();
  const core = new FakeCore();
  let clock = 1_000_000;
  core.onPacket = (from) => {
    for (let i = 0; i < 50; i++) core.rejections.push({ from, error: { code: 'NO_QUORUM', message: `death ${i}` }, at: 0 });
  };
  const d = new GossipDriver({ core, bind: '127.0.0.1:0', maxPacketBytes: 1400, log, rejectionLogPerSec: 20, clock: () => clock });
  await d.start();
  t.teardown(() => d.stop({ leave: false }));
  const p = await peer();
  t.teardown(() => p.close());
  p.send(d.addr, new Uint8Array(1));
  t.true(await waitFor(() => core.calls.includes('packet 1'), 2000));
  const warns = lines.filter((l) => l.msg === 'gossip rejected');
  t.is(warns.length, 20);
  t.like(warns[0], { level: 40, from: p.addr, code: 'NO_QUORUM', message: 'death 0' });
  t.is(d.counters.rejections, 50);
  t.is(d.counters.rejectionsSuppressed, 30);
  t.false(lines.some((l) => l.msg === 'gossip rejections suppressed'));
  clock += 1000;
  core.onPacket = () => {};
  p.send(d.addr, new Uint8Array(2));
  t.true(await waitFor(() => lines.some((l) => l.msg === 'gossip rejections suppressed'), 2000));
  t.like(
    lines.find((l) => l.msg === 'gossip rejections suppressed'),
    { level: 40, suppressed: 30 },
  );
});

test('a core that throws on input costs a log line and a count; the next packet is handled', async (t) => {
  const { lines, log } = logger();
  const core = new FakeCore();
  core.onPacket = (_, b) => {
    if (b.length === 3) throw new Error('core bug');
  };
  const d = new GossipDriver({ core, bind: '127.0.0.1:0', maxPacketBytes: 1400, log });
  await d.start();
  t.teardown(() => d.stop({ leave: false }));
  const p = await peer();
  t.teardown(() => p.close());
  p.send(d.addr, new Uint8Array(3));
  t.true(await waitFor(() => d.counters.coreErrors === 1, 2000));
  p.send(d.addr, new Uint8Array(4));
  t.true(await waitFor(() => core.calls.includes('packet 4'), 2000));
  t.like(
    lines.find((l) => l.msg === 'gossip core threw'),
    { level: 50, what: 'packet', err: 'core bug' },
  );
});

test('a stream outbound runs request, reply and the next round between two drivers; a dead peer is a streamFailed', async (t) => {
  const { log } = logger();
  const a = new FakeCore();
  const b = new FakeCore();
  b.onStream = (_, bytes) => new TextEncoder().encode(`re-${new TextDecoder().decode(bytes)}`);
  a.onReply = (_, bytes) => (new TextDecoder().decode(bytes) === 're-one' ? new TextEncoder().encode('two') : null);
  const da = new GossipDriver({ core: a, bind: '127.0.0.1:0', maxPacketBytes: 1400, log });
  const db = new GossipDriver({ core: b, bind: '127.0.0.1:0', maxPacketBytes: 1400, log });
  await Promise.all([da.start(), db.start()]);
  t.teardown(() => Promise.all([da.stop({ leave: false }), db.stop({ leave: false })]));
  // Any datagram makes the driver drain the core.
  const poke = await peer();
  t.teardown(() => poke.close());
  a.out.push({ kind: 'stream', to: db.addr, bytes: new TextEncoder().encode('one') });
  poke.send(da.addr, new Uint8Array(1));
  t.true(await waitFor(() => a.calls.includes('reply re-two'), 3000), a.calls.join(','));
  t.deepEqual(
    b.calls.filter((c) => c.startsWith('stream')),
    ['stream one', 'stream two'],
  );
  // A port nobody listens on: connection refused, reported back to the core.
  const free = await peer();
  const deadAddr = free.addr;
  free.close();
  a.out.push({ kind: 'stream', to: deadAddr, bytes: new Uint8Array(1) });
  poke.send(da.addr, new Uint8Array(1));
  t.true(await waitFor(() => a.calls.includes(`failed ${deadAddr}`), 3000));
});

test('stop with leave: the core leaves, its packets go out, the address is free again', async (t) => {
  const { log } = logger();
  const core = new FakeCore();
  const p = await peer();
  t.teardown(() => p.close());
  const d = new GossipDriver({ core, bind: '127.0.0.1:0', maxPacketBytes: 1400, log });
  await d.start();
  const addr = d.addr;
  const leave = core.leave.bind(core);
  core.leave = () => {
    leave();
    core.out.push({ kind: 'packet', to: p.addr, bytes: new Uint8Array([9]) });
  };
  const started = Date.now();
  await d.stop({ leave: true, graceMs: 100 });
  t.true(Date.now() - started < 1000);
  t.true(core.calls.includes('leave'));
  t.true(await waitFor(() => p.got.some((g) => g.bytes[0] === 9), 1000));
  const again = new GossipDriver({ core: new FakeCore(), bind: addr, maxPacketBytes: 1400, log });
  await t.notThrowsAsync(again.start());
  await again.stop({ leave: false });
});

test('three real cores over loopback with enrolled identities see each other alive, and a leave', async (t) => {
  t.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'driver-'));
  const orgDir = join(dir, 'org');
  const made = initOrg(orgDir);
  if (!made.ok) return t.fail(made.error.message);
  const org = loadOrg(orgDir);
  if (!org.ok) return t.fail(org.error.message);
  const { lines, log } = logger();
  const drivers: GossipDriver[] = [];
  t.teardown(() => Promise.all(drivers.map((d) => d.stop({ leave: false }))));
  const addrs = ['', '', ''];
  let seed = '';
  for (const i of [0, 1, 2]) {
    const name = `n${i}`;
    const id = enroll(org.value, name, join(dir, name), Math.floor(Date.now() / 1000) - 60, 86_400);
    if (!id.ok) return t.fail(id.error.message);
    const session = await createSession(id.value, 'boot-test', 1, null);
    const trust = identityTrust({ identity: id.value, session, org: org.value.publicKey });
    // Bind first (port 0), then build the core with the port the kernel chose.
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const addr = `127.0.0.1:${probe.address().port}`;
    probe.close();
    addrs[i] = addr;
    const cfg = { ...DEFAULT_CONFIG, probeIntervalMs: 200, probeTimeoutMs: 100, gossipIntervalMs: 100, name, addr, seeds: seed ? [seed] : [], incarnation: INCARNATION_SPAN };
    const d = new GossipDriver({ core: new SwimNode(cfg, trust, Math.random, Date.now()), bind: addr, maxPacketBytes: cfg.maxPacketBytes, log });
    await d.start();
    drivers.push(d);
    seed ||= addr;
  }
  const allAlive = () => drivers.every((d) => d.members().filter((m) => m.state === 'alive').length === 3);
  t.true(await waitFor(allAlive, 10_000), JSON.stringify(drivers.map((d) => d.members().map((m) => `${m.name}:${m.state}`))));
  t.deepEqual(
    drivers[0]?.members().map((m) => [m.name, m.addr]).sort(),
    [0, 1, 2].map((i) => [`n${i}`, addrs[i]]),
  );
  await drivers.pop()?.stop({ leave: true, graceMs: 200 });
  t.true(await waitFor(() => drivers.every((d) => d.members().find((m) => m.name === 'n2')?.state === 'left'), 5000));
  t.true(lines.some((l) => l.msg === 'member state' && l.member === 'n2' && l.to === 'left'));
  t.false(lines.some((l) => l.msg === 'gossip core threw'));
});
