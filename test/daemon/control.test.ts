import test from 'ava';
import { existsSync, mkdtempSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlSocketError, IDLE_TIMEOUT_MS, MAX_CONNECTION_MS, MAX_CONNECTIONS, MAX_REQUEST_BYTES, queryControl, startControl, type ControlHandlers } from '../../agent/daemon/control.ts';
import type { MemberView } from '../../agent/gossip/types.ts';
import { createLogger } from '../../agent/log.ts';

const MEMBERS: MemberView[] = [
  { name: 'n1', addr: '127.0.0.1:7946', state: 'alive', incarnation: 3_000_000, attested: true, updatedAt: 1_764_000_000_000, self: true },
  { name: 'n2', addr: '[::1]:7947', state: 'suspect', incarnation: 2_000_001, attested: false, updatedAt: 1_764_000_001_000, self: false },
];
const STATUS = { name: 'n1', address: '127.0.0.1:7946', state: 'alive', incarnation: 3_000_000, members: { alive: 1, suspect: 1, dead: 0, left: 0 }, uptimeSec: 12 };
const HANDLERS: ControlHandlers = { members: () => MEMBERS, status: () => STATUS };

function sockPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'ctl-')), 'run', 'agent.sock');
}

function logger(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ format: 'json', level: 'debug', write: (s) => lines.push(s) }), lines };
}

/** Sends raw bytes and collects everything the server says until it closes. */
function raw(path: string, send: string | null): Promise<{ reply: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const c = createConnection(path);
    let reply = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (reply += d));
    c.on('close', () => resolve({ reply, ms: Date.now() - started }));
    c.on('error', reject);
    if (send !== null) c.write(send);
  });
}

function rawServer(path: string, onConn: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer(onConn);
    s.listen(path, () => resolve(s));
  });
}

test('members and status round-trip; the socket is 0600 in a 0700 directory it created', async (t) => {
  const path = sockPath();
  const { log } = logger();
  const ctl = await startControl(path, HANDLERS, log);
  t.teardown(() => ctl.close());
  t.true(statSync(path).isSocket());
  t.is(statSync(path).mode & 0o777, 0o600);
  t.is(statSync(join(path, '..')).mode & 0o777, 0o700);
  t.deepEqual(await queryControl(path, 'members'), { ok: true, value: MEMBERS });
  t.deepEqual(await queryControl(path, 'status'), { ok: true, value: STATUS });
  const r = await raw(path, '{"op":"members"}\n');
  t.is(r.reply, `${JSON.stringify({ result: MEMBERS })}\n`);
});

test('close removes the socket; a client then gets NO_DAEMON', async (t) => {
  const path = sockPath();
  const ctl = await startControl(path, HANDLERS, logger().log);
  await ctl.close();
  t.false(existsSync(path));
  const r = await queryControl(path, 'members');
  t.like(r, { ok: false, error: { code: 'NO_DAEMON', message: `no agent daemon is listening on ${path}` } });
});

test('a stale socket is replaced; a live one or a regular file is not', async (t) => {
  const path = sockPath();
  const first = await startControl(path, HANDLERS, logger().log);
  // Moving the live socket aside and back after close leaves a socket file nobody listens on: a crashed daemon's.
  renameSync(path, `${path}.aside`);
  await first.close();
  renameSync(`${path}.aside`, path);
  t.like(await queryControl(path, 'status'), { ok: false, error: { code: 'NO_DAEMON' } });
  const second = await startControl(path, HANDLERS, logger().log);
  t.like(await queryControl(path, 'status'), { ok: true });
  await t.throwsAsync(startControl(path, HANDLERS, logger().log), { instanceOf: ControlSocketError, code: 'IN_USE', message: /another agent is listening/ });
  t.like(await queryControl(path, 'status'), { ok: true }, 'the running daemon keeps its socket');
  await second.close();
  writeFileSync(path, 'not a socket');
  await t.throwsAsync(startControl(path, HANDLERS, logger().log), { instanceOf: ControlSocketError, code: 'NOT_A_SOCKET', message: /is not a socket/ });
  const file = join(mkdtempSync(join(tmpdir(), 'ctl-')), 'file');
  writeFileSync(file, '');
  await t.throwsAsync(startControl(join(file, 'agent.sock'), HANDLERS, logger().log), { instanceOf: ControlSocketError, code: 'IO' });
});

test('bad requests get an error line and one log line each', async (t) => {
  const path = sockPath();
  const { log, lines } = logger();
  const broken: ControlHandlers = {
    members: () => MEMBERS,
    status: () => {
      throw new Error('status broke');
    },
  };
  const ctl = await startControl(path, broken, log);
  t.teardown(() => ctl.close());
  const err = async (send: string): Promise<{ code: string; message: string }> => (JSON.parse((await raw(path, send)).reply) as { error: { code: string; message: string } }).error;
  t.is((await err('hello\n')).code, 'MALFORMED');
  t.is((await err('{"op":"shutdown"}\n')).code, 'UNKNOWN_OP');
  t.is((await err('[1]\n')).code, 'UNKNOWN_OP');
  t.is((await err(`${'x'.repeat(MAX_REQUEST_BYTES + 1)}`)).code, 'TOO_LARGE');
  t.is((await err(`{"op":"members","pad":"${'x'.repeat(MAX_REQUEST_BYTES)}"}\n`)).code, 'TOO_LARGE');
  t.deepEqual(await err('{"op":"status"}\n'), { code: 'INTERNAL', message: 'status broke' });
  const refused = lines.map((l) => JSON.parse(l) as { msg: string; code?: string }).filter((l) => l.msg === 'control request refused');
  t.deepEqual(refused.map((l) => l.code), ['MALFORMED', 'UNKNOWN_OP', 'UNKNOWN_OP', 'TOO_LARGE', 'TOO_LARGE', 'INTERNAL']);
  const daemonErr = await queryControl(path, 'status');
  t.like(daemonErr, { ok: false, error: { code: 'DAEMON_ERROR', message: 'INTERNAL: status broke' } });
});

test('an idle client is dropped after the idle timeout', async (t) => {
  const path = sockPath();
  const ctl = await startControl(path, HANDLERS, logger().log);
  t.teardown(() => ctl.close());
  const r = await raw(path, '{"op":"mem');
  t.is(r.reply, '');
  t.true(r.ms >= IDLE_TIMEOUT_MS - 100 && r.ms < IDLE_TIMEOUT_MS + 1500, `${r.ms} ms`);
});

test('a client trickling bytes is dropped at the connection deadline', async (t) => {
  const path = sockPath();
  const ctl = await startControl(path, HANDLERS, logger().log);
  t.teardown(() => ctl.close());
  const started = Date.now();
  const closed = await new Promise<number>((resolve) => {
    const c = createConnection(path);
    const drip = setInterval(() => c.write(' '), IDLE_TIMEOUT_MS / 4);
    c.on('error', () => undefined);
    c.on('close', () => {
      clearInterval(drip);
      resolve(Date.now() - started);
    });
  });
  t.true(closed >= MAX_CONNECTION_MS - 100 && closed < MAX_CONNECTION_MS + 1500, `${closed} ms`);
});

test(`at most ${MAX_CONNECTIONS} connections at once; the next is turned away, later ones are served`, async (t) => {
  const path = sockPath();
  const ctl = await startControl(path, HANDLERS, logger().log);
  t.teardown(() => ctl.close());
  const open = (): Promise<Socket> =>
    new Promise((resolve) => {
      const c = createConnection(path, () => resolve(c));
      c.on('error', () => undefined);
    });
  const idle = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, open));
  await new Promise((r) => setTimeout(r, 50));
  const turned = await queryControl(path, 'members', 1000);
  t.false(turned.ok);
  for (const c of idle) c.destroy();
  await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(await queryControl(path, 'members'), { ok: true, value: MEMBERS });
});

test('client: TIMEOUT, MALFORMED replies and wrong shapes are typed errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-'));
  const silent = join(dir, 'silent.sock');
  const held: Socket[] = [];
  const s1 = await rawServer(silent, (s) => held.push(s));
  t.teardown(() => {
    for (const s of held) s.destroy();
    s1.close();
  });
  const t0 = Date.now();
  const r = await queryControl(silent, 'status', 200);
  t.like(r, { ok: false, error: { code: 'TIMEOUT' } });
  t.true(Date.now() - t0 < 1500);

  const replies: Record<string, string> = {
    garbage: 'not json\n',
    array: '[]\n',
    shape: `${JSON.stringify({ result: [{ ...MEMBERS[0], state: 'zombie' }] })}\n`,
    status: `${JSON.stringify({ result: [1, 2] })}\n`,
    cut: '{"result":',
  };
  const servers: Server[] = [];
  t.teardown(() => {
    for (const s of servers) s.close();
  });
  for (const [name, reply] of Object.entries(replies)) {
    const p = join(dir, `${name}.sock`);
    const replyOnce = (s: Socket): void => {
      s.on('error', () => undefined);
      s.once('data', () => s.end(reply));
    };
    servers.push(await rawServer(p, replyOnce));
  }
  for (const name of ['garbage', 'array', 'shape', 'cut']) t.like(await queryControl(join(dir, `${name}.sock`), 'members'), { ok: false, error: { code: 'MALFORMED' } }, name);
  t.like(await queryControl(join(dir, 'status.sock'), 'status'), { ok: false, error: { code: 'MALFORMED', message: 'the status reply is not an object' } });
  t.like(await queryControl(join(dir, 'missing.sock'), 'status'), { ok: false, error: { code: 'NO_DAEMON' } });
});
