// The Wake-on-LAN relay: a daemon started in-process (runDaemon, its control
// socket in a temp dir) sends the magic packet when the channel, or the CLI,
// asks it over --relay-socket. Then the handler alone with a fake clock: the
// rate limits per MAC and in total, and that it sends for exactly the MAC asked.

import test from 'ava';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadlineIn, type ChannelResult, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { wolChannel } from '../../agent/channels/wol/index.ts';
import { formatMac, parseMagic } from '../../agent/channels/wol/magic.ts';
import type { WolTarget } from '../../agent/channels/wol/send.ts';
import { parseConfig } from '../../agent/daemon/config.ts';
import { startControl } from '../../agent/daemon/control.ts';
import { runDaemon } from '../../agent/daemon/run.ts';
import { DEFAULT_RELAY_LIMITS, wolRelay, wolRelayHandler } from '../../agent/daemon/wol-relay.ts';
import type { GossipResult } from '../../agent/gossip/types.ts';
import { createLogger } from '../../agent/log.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { runAgent, secretFile } from '../helpers/run.ts';
import { FakeNic } from '../fakes/wol/nic.ts';

interface Daemon {
  socket: string;
  lines: string[];
  stop(): Promise<number>;
}

/** A daemon with no gossip and no watchdog: nothing but its control socket. */
async function daemon(): Promise<Daemon> {
  const socket = join(mkdtempSync(join(tmpdir(), 'wol-relay-')), 'agent.sock');
  const lines: string[] = [];
  const signals = new EventEmitter();
  const done = runDaemon(parseConfig(JSON.stringify({ node: { name: 'relay-node' }, control: { socket } }), 'test'), 'test', {
    log: createLogger({ format: 'json', level: 'debug', write: (s) => lines.push(s) }),
    notifier: { enabled: false, send: () => undefined },
    env: {},
    pid: 1,
    signals: signals as unknown as NodeJS.Process,
    boot: false,
    sys: new SysRoot('/nonexistent'),
    openWatchdog: (): never => {
      throw new Error('no watchdog here');
    },
    sinceMain: () => 0,
  });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  return {
    socket,
    lines,
    stop: async () => {
      signals.emit('SIGTERM');
      return done;
    },
  };
}

function open(socket: string, port: number, mac: string, secureOn?: string): PowerDriver {
  const r = wolChannel.open({ host: '127.0.0.1', port, params: { mac, 'relay-socket': socket }, ...(secureOn ? { secrets: { 'secureon-file': secureOn } } : {}) });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

test('the daemon relays: the NIC gets the packet with the password; the audit line has the MAC, not the password', async (t) => {
  const d = await daemon();
  t.teardown(() => d.stop());
  const nic = await FakeNic.start({ mac: '52:54:00:aa:00:01', secureOn: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) });
  t.teardown(() => nic.close());
  const r = await new Channel(open(d.socket, nic.port, '52-54-00-AA-00-01', 'de:ad:be:ef')).on(deadlineIn(5000));
  t.like(r, { ok: true, value: { verified: false, attempts: 1 } });
  t.true(await nic.waitFor(3, 2000));
  t.true(nic.log.every((p) => p.bytes.length === 106 && p.woke));
  t.is(nic.machine.state(), 'on');
  const audit = d.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'wol relayed');
  t.like(audit, { mac: '52:54:00:aa:00:01', broadcast: '127.0.0.1', port: nic.port, sent: 3, secureOn: true });
  const all = d.lines.join('\n').toLowerCase();
  t.false(all.includes('deadbeef') || all.includes('de:ad:be:ef'));
});

test('through the CLI: agent oob wol on --relay-socket; the seventh relay of one MAC in a minute is BUSY, another MAC still goes', async (t) => {
  const d = await daemon();
  t.teardown(() => d.stop());
  const nic = await FakeNic.start({ mac: '52:54:00:aa:00:02' });
  t.teardown(() => nic.close());
  const cli = await runAgent(['oob', 'wol', 'on', '--mac', '52:54:00:aa:00:02', '--host', '127.0.0.1', '--port', String(nic.port), '--relay-socket', d.socket, '--unverified-ok', '--json']);
  t.is(cli.code, 0, cli.err);
  t.like(JSON.parse(cli.out), { channel: 'wol', action: 'on', verified: false, state: 'unknown' });
  t.true(await nic.waitFor(3, 2000));
  const driver = open(d.socket, nic.port, '52:54:00:aa:00:02');
  for (let i = 2; i <= DEFAULT_RELAY_LIMITS.perMac; i++) t.true((await driver.request('on', deadlineIn(5000))).ok, `relay ${i}`);
  const busy = await driver.request('on', deadlineIn(5000));
  t.like(busy, { ok: false, error: { code: 'BUSY' } });
  t.regex(busy.ok ? '' : busy.error.message, /52:54:00:aa:00:02 was relayed 6 times in the last 60 s; next in \d+ s/);
  t.is(nic.log.length, 3 * DEFAULT_RELAY_LIMITS.perMac, 'the refused relay sent nothing');
  t.true((await open(d.socket, nic.port, '52:54:00:aa:00:03').request('on', deadlineIn(5000))).ok);
  t.true(d.lines.some((l) => l.includes('wol relay refused: rate limit')));
});

test('a daemon without the relay answers UNKNOWN_OP, which the channel reports as CONFIG', async (t) => {
  const socket = join(mkdtempSync(join(tmpdir(), 'wol-old-')), 'agent.sock');
  const ctl = await startControl(socket, { members: () => [], status: () => ({}) }, createLogger({ format: 'json', write: () => undefined }));
  t.teardown(() => ctl.close());
  const r = await open(socket, 9, '52:54:00:aa:00:04').request('on', deadlineIn(2000));
  t.deepEqual(r, { ok: false, error: { code: 'CONFIG', message: 'the agent daemon does not relay Wake-on-LAN (an older version?)' } });
});

interface Sent {
  t: WolTarget;
  mac: string;
}

function handler(limits = { ...DEFAULT_RELAY_LIMITS, perMac: 2, total: 3 }) {
  let now = 1_000_000;
  const sent: Sent[] = [];
  const lines: string[] = [];
  const h = wolRelayHandler({
    log: createLogger({ format: 'json', level: 'debug', write: (s) => lines.push(s) }),
    limits,
    now: () => now,
    send: async (target, packet): Promise<ChannelResult<number>> => {
      const p = parseMagic(packet);
      sent.push({ t: target, mac: p.ok ? formatMac(p.value.mac) : `unparsable ${p.error.code}` });
      return { ok: true, value: 3 };
    },
  });
  return { h, sent, lines, advance: (ms: number) => (now += ms) };
}

test('handler: per-MAC and total limits over a sliding window; the packet is for the MAC asked, sent where asked', async (t) => {
  const { h, sent, advance } = handler();
  const ask = (mac: string) => h({ op: 'wol-relay', mac, broadcast: '10.1.2.255', port: 7 });
  t.deepEqual(await ask('02:00:00:00:00:01'), { ok: true, value: { sent: 3 } });
  advance(10_000);
  t.like(await ask('02:00:00:00:00:01'), { ok: true });
  const third = await ask('02:00:00:00:00:01');
  t.deepEqual(third, { ok: false, error: { code: 'BUSY', message: '02:00:00:00:00:01 was relayed 2 times in the last 60 s; next in 50 s' } });
  t.like(await ask('02:00:00:00:00:02'), { ok: true });
  t.deepEqual(await ask('02:00:00:00:00:03'), { ok: false, error: { code: 'BUSY', message: '3 relays in the last 60 s, the most this daemon sends; next in 50 s' } });
  advance(50_000);
  // The first relay left the window: one slot per MAC and in total again.
  t.like(await ask('02:00:00:00:00:03'), { ok: true });
  t.deepEqual(sent.map((s) => s.mac), ['02:00:00:00:00:01', '02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03']);
  t.true(sent.every((s) => s.t.host === '10.1.2.255' && s.t.port === 7));
});

test('handler: malformed requests are refused with CONFIG and send nothing; a send failure is passed on', async (t) => {
  const { h, sent, lines } = handler();
  for (const req of [{ op: 'wol-relay' }, { op: 'wol-relay', mac: 'ff:ff:ff:ff:ff:ff' }, { op: 'wol-relay', mac: '02:00:00:00:00:01', broadcast: 'example.org' }, { op: 'wol-relay', mac: '02:00:00:00:00:01', secureon: 'not-hex' }]) {
    t.like(await h(req), { ok: false, error: { code: 'CONFIG' } }, JSON.stringify(req));
  }
  t.is(sent.length, 0);
  t.false(lines.join('').includes('not-hex'));
  const failing = wolRelayHandler({ log: createLogger({ format: 'json', write: () => undefined }), send: async () => ({ ok: false, error: { code: 'UNREACHABLE', message: 'ENETUNREACH' } }) });
  t.deepEqual(await failing({ op: 'wol-relay', mac: '02:00:00:00:00:01' }), { ok: false, error: { code: 'UNREACHABLE', message: 'ENETUNREACH' } });
});

test('secure-on file through the CLI relay is never printed', async (t) => {
  const d = await daemon();
  t.teardown(() => d.stop());
  const nic = await FakeNic.start({ mac: '52:54:00:aa:00:05', secureOn: Uint8Array.from([0x13, 0x57, 0x9b, 0xdf]) });
  t.teardown(() => nic.close());
  const f = secretFile(t, '13:57:9b:df');
  const r = await runAgent(['oob', 'wol', 'on', '--mac', '52:54:00:aa:00:05', '--host', '127.0.0.1', '--port', String(nic.port), '--relay-socket', d.socket, '--secureon-file', f]);
  t.is(r.code, 1, 'unverified without --unverified-ok');
  t.regex(r.out, /^wol on: sent, unverified/);
  t.true(await nic.waitFor(3, 2000));
  t.true(nic.log.every((p) => p.woke));
  const text = `${r.out}${r.err}${d.lines.join('')}`.toLowerCase();
  t.false(text.includes('13:57:9b:df') || text.includes('13579bdf'));
});

test('gossip: a peer-asked wake goes to the limited broadcast for exactly that MAC, under the same limits; peers are asked only through gossip', async (t) => {
  const sent: Sent[] = [];
  const lines: string[] = [];
  const asked: string[] = [];
  let answer: GossipResult<number> = { ok: true, value: 2 };
  const relay = wolRelay({
    log: createLogger({ format: 'json', level: 'debug', write: (s) => lines.push(s) }),
    limits: { ...DEFAULT_RELAY_LIMITS, perMac: 2, total: 3 },
    now: () => 5_000,
    send: async (target, packet): Promise<ChannelResult<number>> => {
      const p = parseMagic(packet);
      sent.push({ t: target, mac: p.ok ? formatMac(p.value.mac) : `unparsable ${p.error.code}` });
      return { ok: true, value: 3 };
    },
    askPeers: (subject, mac) => {
      asked.push(`${subject} ${formatMac(mac)}`);
      return answer;
    },
  });
  const mac = Uint8Array.from([2, 0, 0, 0, 0, 9]);
  for (let i = 0; i < 3; i++) relay.fromPeer({ from: 'b', subject: 'v', mac, at: 5_000 });
  await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(sent, [
    { t: { host: '255.255.255.255', port: 9 }, mac: '02:00:00:00:00:09' },
    { t: { host: '255.255.255.255', port: 9 }, mac: '02:00:00:00:00:09' },
  ]);
  t.true(lines.some((l) => l.includes('wol for a peer refused: rate limit')));
  t.true(lines.some((l) => l.includes('"asker":"b"') && l.includes('wol relayed for a peer')));
  // The control op with "peers": gossip asks, this node sends nothing itself.
  t.deepEqual(await relay.control({ op: 'wol-relay', mac: '02:00:00:00:00:0a', peers: 'v' }), { ok: true, value: { sent: 2, via: 'peers' } });
  t.deepEqual(asked, ['v 02:00:00:00:00:0a']);
  t.is(sent.length, 2);
  answer = { ok: false, error: { code: 'REFUSED', message: 'v is alive here, not dead' } };
  t.like(await relay.control({ op: 'wol-relay', mac: '02:00:00:00:00:0a', peers: 'v' }), { ok: false, error: { code: 'STATE' } });
  answer = { ok: true, value: 0 };
  t.like(await relay.control({ op: 'wol-relay', mac: '02:00:00:00:00:0a', peers: 'v' }), { ok: false, error: { code: 'UNREACHABLE' } });
  const lone = wolRelay({ log: createLogger({ format: 'json', write: () => undefined }) });
  t.like(await lone.control({ op: 'wol-relay', mac: '02:00:00:00:00:0a', peers: 'v' }), { ok: false, error: { code: 'CONFIG' } });
});
