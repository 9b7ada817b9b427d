import test from 'ava';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { createLogger } from '../../agent/log.ts';
import { encodeFrame, FrameReader, StreamError, StreamTransport, type StreamHandler } from '../../agent/gossip/stream.ts';

const log = createLogger({ format: 'json', level: 'silent' });
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A handler that records every call and settles `done` on the client side's end. */
function recorder(onRequest: (from: string, b: Uint8Array) => Uint8Array | null = () => null, onReply: (to: string, b: Uint8Array) => Uint8Array | null = () => null) {
  const calls: string[] = [];
  let settle: (v: string) => void = () => {};
  const done = new Promise<string>((r) => (settle = r));
  const handler: StreamHandler = {
    request(from, b) {
      calls.push(`request ${text(b)}`);
      return onRequest(from, b);
    },
    reply(to, b) {
      calls.push(`reply ${text(b)}`);
      const next = onReply(to, b);
      if (next === null) settle('finished');
      return next;
    },
    failed(to, e) {
      calls.push(`failed ${e.code}`);
      settle(e.code);
    },
  };
  return { calls, handler, done };
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms))]);
}

test('FrameReader: frames split over chunks, several in one chunk, an oversize length refused at its header', (t) => {
  const r = new FrameReader(10);
  const two = Buffer.concat([encodeFrame(bytes('abc')), encodeFrame(bytes('')), encodeFrame(bytes('0123456789'))]);
  t.deepEqual(r.push(two.subarray(0, 2)), []);
  const a = r.push(two.subarray(2, 11));
  t.deepEqual(Array.isArray(a) ? a.map(text) : a, ['abc', '']);
  const b = r.push(two.subarray(11));
  t.deepEqual(Array.isArray(b) ? b.map(text) : b, ['0123456789']);
  const big = Buffer.alloc(4);
  big.writeUInt32BE(11, 0);
  const e = new FrameReader(10).push(big);
  t.true(e instanceof StreamError);
  t.is((e as StreamError).code, 'FRAME_TOO_LARGE');
});

async function pair(t: import('ava').ExecutionContext, host: string, server: StreamHandler, client: StreamHandler, limits = {}) {
  const s = await StreamTransport.listen({ bind: `${host}:0`, log, handler: server, limits });
  const c = await StreamTransport.listen({ bind: `${host}:0`, log, handler: client, limits });
  t.teardown(() => Promise.all([s.close(), c.close()]));
  return { s, c };
}

test('three rounds on one stream, from the client bound address', async (t) => {
  const froms: string[] = [];
  const server = recorder((from, b) => {
    froms.push(from);
    return bytes(`re:${text(b)}`);
  });
  let n = 0;
  const client = recorder(undefined, () => (++n < 3 ? bytes(`q${n + 1}`) : null));
  const { s, c } = await pair(t, '127.0.0.1', server.handler, client.handler);
  c.open(s.addr, bytes('q1'));
  t.is(await within(client.done, 3000), 'finished');
  t.deepEqual(server.calls, ['request q1', 'request q2', 'request q3']);
  t.deepEqual(client.calls, ['reply re:q1', 'reply re:q2', 'reply re:q3']);
  t.true(froms.every((f) => f.startsWith('127.0.0.1:')));
  t.is(c.stats.failed, 0);
  t.is(s.stats.accepted, 1);
});

test('IPv6 loopback stream', async (t) => {
  const server = recorder((from) => bytes(from));
  const client = recorder();
  const { s, c } = await pair(t, '[::1]', server.handler, client.handler);
  t.regex(s.addr, /^\[::1\]:\d+$/);
  c.open(s.addr, bytes('hello'));
  t.is(await within(client.done, 3000), 'finished');
  t.regex(client.calls[0] ?? '', /^reply \[::1\]:\d+$/);
});

test('a server that answers null closes: the client reports the stream failed', async (t) => {
  const server = recorder(() => null);
  const client = recorder();
  const { s, c } = await pair(t, '127.0.0.1', server.handler, client.handler);
  c.open(s.addr, bytes('x'));
  t.is(await within(client.done, 3000), 'CLOSED');
  t.deepEqual(server.calls, ['request x']);
});

test('rounds are capped on both sides', async (t) => {
  const server = recorder((_, b) => b);
  const client = recorder(undefined, (_, b) => b);
  const { s, c } = await pair(t, '127.0.0.1', server.handler, client.handler, { maxRounds: 2 });
  c.open(s.addr, bytes('again'));
  t.is(await within(client.done, 3000), 'TOO_MANY_ROUNDS');
  t.is(server.calls.length, 2);
});

test('an oversize frame from a peer closes the connection before the handler sees it', async (t) => {
  const server = recorder(() => bytes('never'));
  const s = await StreamTransport.listen({ bind: '127.0.0.1:0', log, handler: server.handler, limits: { maxFrameBytes: 1024 } });
  t.teardown(() => s.close());
  const port = Number(s.addr.split(':')[1]);
  const raw = connect({ host: '127.0.0.1', port });
  const closed = new Promise<string>((r) => {
    let got = '';
    raw.on('data', (b) => (got += b.toString('hex')));
    raw.on('close', () => r(got));
    raw.on('error', () => {});
  });
  raw.on('connect', () => raw.write(encodeFrame(new Uint8Array(1025))));
  t.is(await within(closed, 3000), '');
  t.deepEqual(server.calls, []);
});

test('an oversize reply fails the client stream with FRAME_TOO_LARGE; an oversize request is never sent', async (t) => {
  const raw = createServer((sock) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(8 * 1024 * 1024 + 1, 0);
    sock.write(head);
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const conns = new Set<Socket>();
  raw.on('connection', (s) => conns.add(s));
  t.teardown(() => {
    for (const s of conns) s.destroy();
    raw.close();
  });
  const port = (raw.address() as { port: number }).port;
  const client = recorder();
  const c = await StreamTransport.listen({ bind: '127.0.0.1:0', log, handler: client.handler });
  t.teardown(() => c.close());
  c.open(`127.0.0.1:${port}`, bytes('q'));
  t.is(await within(client.done, 3000), 'FRAME_TOO_LARGE');
  const big = recorder();
  const c2 = await StreamTransport.listen({ bind: '127.0.0.1:0', log, handler: big.handler, limits: { maxFrameBytes: 16 } });
  t.teardown(() => c2.close());
  c2.open(`127.0.0.1:${port}`, new Uint8Array(17));
  t.is(await big.done, 'FRAME_TOO_LARGE');
  t.is(c2.stats.opened, 0);
});

test('a peer that accepts and never answers hits the idle timeout', async (t) => {
  const raw = createServer((sock) => sock.on('error', () => {}));
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const conns = new Set<Socket>();
  raw.on('connection', (s) => conns.add(s));
  t.teardown(() => {
    for (const s of conns) s.destroy();
    raw.close();
  });
  const client = recorder();
  const c = await StreamTransport.listen({ bind: '127.0.0.1:0', log, handler: client.handler, limits: { idleTimeoutMs: 200 } });
  t.teardown(() => c.close());
  const started = Date.now();
  c.open(`127.0.0.1:${(raw.address() as { port: number }).port}`, bytes('q'));
  t.is(await within(client.done, 3000), 'IDLE_TIMEOUT');
  t.true(Date.now() - started >= 190);
});

test('a listener whose accept queue is full: the connect times out', async (t) => {
  // A stopped process never accepts; once its backlog is full the kernel drops further SYNs, so connect hangs.
  const child = spawn(process.execPath, ['-e', "require('net').createServer().listen({host:'127.0.0.1',port:0,backlog:1},function(){console.log(this.address().port)})"], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const port = await within(new Promise<number>((r) => child.stdout.once('data', (b: Buffer) => r(Number(b.toString().trim())))), 5000);
  child.kill('SIGSTOP');
  const fillers: Socket[] = [];
  t.teardown(() => fillers.forEach((s) => s.destroy()));
  for (let i = 0; i < 4; i++) {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  const client = recorder();
  const c = await StreamTransport.listen({ bind: '127.0.0.1:0', log, handler: client.handler, limits: { connectTimeoutMs: 300 } });
  t.teardown(() => c.close());
  c.open(`127.0.0.1:${port}`, bytes('q'));
  t.is(await within(client.done, 3000), 'CONNECT_TIMEOUT');
});

test('inbound connections beyond the cap are dropped and counted', async (t) => {
  const server = recorder(() => bytes('ok'));
  const s = await StreamTransport.listen({ bind: '127.0.0.1:0', log, handler: server.handler, limits: { maxInbound: 2 } });
  t.teardown(() => s.close());
  const port = Number(s.addr.split(':')[1]);
  const socks: Socket[] = [];
  t.teardown(() => socks.forEach((x) => x.destroy()));
  const closedEarly: Promise<boolean>[] = [];
  for (let i = 0; i < 3; i++) {
    const x = connect({ host: '127.0.0.1', port });
    x.on('error', () => {});
    socks.push(x);
    closedEarly.push(new Promise((r) => x.once('close', () => r(true))));
    await new Promise((r) => x.once('connect', r));
    await new Promise((r) => setTimeout(r, 50));
  }
  t.true(await within(closedEarly[2] as Promise<boolean>, 3000));
  t.is(s.stats.accepted, 2);
  t.is(s.stats.refused, 1);
});

test('a closed transport fails new streams at once', async (t) => {
  const client = recorder();
  const c = await StreamTransport.listen({ bind: '127.0.0.1:0', log, handler: client.handler });
  await c.close();
  c.open('127.0.0.1:9', bytes('q'));
  t.is(await within(client.done, 1000), 'CLOSED');
});
