// A real broadcast, inside two network namespaces this test creates and a
// veth pair between them (never the host's own network): `agent oob wol on`
// runs in one, a listener bound to [::]:9 in the other receives the magic
// packets sent to 255.255.255.255, to the directed broadcast and to ff02::1 on
// the link, and each parses back to the MAC. Without a route the send is
// UNREACHABLE and the deadline holds. Needs root and iproute2; skips otherwise.

import test from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { formatMac, parseMagic } from '../../agent/channels/wol/magic.ts';

const run = promisify(execFile);
const ID = `${process.pid % 100_000}`;
const NS_A = `wolA${ID}`;
const NS_B = `wolB${ID}`;
const IF_A = `wola${ID}`;
const IF_B = `wolb${ID}`;
const NET = `10.231.${process.pid % 250}`;

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 });
}

async function setUp(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    await run('ip', ['-V']);
  } catch {
    return 'no ip (iproute2)';
  }
  try {
    for (const ns of [NS_A, NS_B]) {
      await ip('netns', 'add', ns);
      // Link-local IPv6 addresses are usable at once instead of after duplicate address detection.
      await ip('netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    await ip('link', 'add', IF_A, 'netns', NS_A, 'type', 'veth', 'peer', 'name', IF_B, 'netns', NS_B);
    await ip('-n', NS_A, 'addr', 'add', `${NET}.1/24`, 'dev', IF_A);
    await ip('-n', NS_B, 'addr', 'add', `${NET}.2/24`, 'dev', IF_B);
    await ip('-n', NS_A, 'link', 'set', IF_A, 'up');
    await ip('-n', NS_B, 'link', 'set', IF_B, 'up');
    return null;
  } catch (e) {
    return `cannot create network namespaces: ${(e as Error).message.split('\n')[0]}`;
  }
}

async function tearDown(): Promise<void> {
  for (const ns of [NS_A, NS_B]) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
}

/** Plain Node in the other namespace: one line per datagram, "SOURCE HEX". */
const LISTENER = `
const s = require('dgram').createSocket({ type: 'udp6', ipv6Only: false });
s.on('message', (m, r) => process.stdout.write(r.address + ' ' + m.toString('hex') + '\\n'));
s.bind(9, '::', () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(0), 60000);
`;

interface Listener {
  lines: string[];
  proc: ChildProcess;
  waitFor(n: number, ms: number): Promise<boolean>;
}

async function listen(): Promise<Listener> {
  const proc = spawn('ip', ['netns', 'exec', NS_B, process.execPath, '-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buf = '';
  proc.stdout?.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  const waitFor = async (n: number, ms: number): Promise<boolean> => {
    const end = Date.now() + ms;
    while (lines.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return lines.length >= n;
  };
  if (!(await waitFor(1, 10_000)) || lines[0] !== 'ready') throw new Error(`listener did not start: ${lines.join('|')}`);
  lines.shift();
  return { lines, proc, waitFor };
}

interface Out {
  code: number;
  json: Record<string, unknown>;
}

/** The agent's CLI, run from source in namespace A. */
async function agentInA(...args: string[]): Promise<Out> {
  try {
    const r = await run('ip', ['netns', 'exec', NS_A, process.execPath, '--import', 'tsx', 'agent/main.ts', 'oob', 'wol', 'on', '--json', ...args], { timeout: 30_000 });
    return { code: 0, json: JSON.parse(r.stdout) as Record<string, unknown> };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; message: string };
    if (typeof x.code !== 'number' || !x.stdout) throw e;
    return { code: x.code, json: JSON.parse(x.stdout) as Record<string, unknown> };
  }
}

let skip: string | null = null;
test.before(async () => {
  skip = await setUp();
});
test.after.always(tearDown);

test.serial('no route in the namespace: UNREACHABLE, retried, and --timeout 1 holds', async (t) => {
  if (skip) {
    t.log(`skipped: ${skip}`);
    return t.pass();
  }
  const r = await agentInA('--mac', '52:54:00:0e:00:01', '--timeout', '1');
  t.is(r.code, 1);
  t.like(r.json, { verified: false, error: { code: 'UNREACHABLE', message: 'sending to 255.255.255.255 port 9: ENETUNREACH' } });
  t.true((r.json.attempts as number) >= 2, 'retried');
  t.true((r.json.elapsedMs as number) < 1000, `elapsed ${String(r.json.elapsedMs)} ms`);
});

test.serial('broadcast over a veth pair: 255.255.255.255, the directed broadcast and ff02::1 reach [::]:9 in the other namespace', async (t) => {
  if (skip) {
    t.log(`skipped: ${skip}`);
    return t.pass();
  }
  await ip('-n', NS_A, 'route', 'add', 'default', 'dev', IF_A);
  const l = await listen();
  t.teardown(() => l.proc.kill());
  const cases: [string, string[], RegExp][] = [
    ['52:54:00:0e:00:02', [], new RegExp(`^::ffff:${NET.replace(/\./g, '\\.')}\\.1$`)],
    ['52:54:00:0e:00:03', ['--host', `${NET}.255`, '--port', '9'], new RegExp(`^::ffff:${NET.replace(/\./g, '\\.')}\\.1$`)],
    ['52:54:00:0e:00:04', ['--host', `ff02::1%${IF_A}`], /^fe80::/],
  ];
  let seen = 0;
  for (const [mac, extra, from] of cases) {
    const r = await agentInA('--mac', mac, ...extra, '--unverified-ok');
    t.is(r.code, 0, JSON.stringify(r.json));
    t.like(r.json, { channel: 'wol', action: 'on', verified: false, state: 'unknown' });
    t.true(await l.waitFor(seen + 3, 5000), `three packets for ${mac}`);
    for (const line of l.lines.slice(seen, seen + 3)) {
      const [src = '', hexText = ''] = line.split(' ');
      t.regex(src, from);
      const p = parseMagic(Uint8Array.from(Buffer.from(hexText, 'hex')));
      t.is(p.ok ? formatMac(p.value.mac) : p.error.code, mac);
    }
    seen += 3;
  }
  await new Promise((r) => setTimeout(r, 200));
  t.is(l.lines.length, 9, 'nothing more arrived');
});
