import test from 'ava';
import { createLogger } from '../../agent/log.ts';
import { TransportError, UdpTransport } from '../../agent/gossip/udp.ts';

interface Got {
  from: string;
  bytes: Uint8Array;
}

function collector(): { got: Got[]; next(ms?: number): Promise<Got>; onMessage(from: string, bytes: Uint8Array): void } {
  const got: Got[] = [];
  const waiters: ((g: Got) => void)[] = [];
  return {
    got,
    onMessage(from, bytes) {
      const g = { from, bytes: new Uint8Array(bytes) };
      got.push(g);
      waiters.shift()?.(g);
    },
    next(ms = 2000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no datagram within ${ms} ms`)), ms);
        waiters.push((g) => {
          clearTimeout(t);
          resolve(g);
        });
      });
    },
  };
}

const quiet = (lines: string[] = []) => createLogger({ format: 'json', level: 'debug', write: (s) => lines.push(s) });

test('datagrams go both ways on 127.0.0.1 and arrive from the bound address', async (t) => {
  const ca = collector();
  const cb = collector();
  const a = await UdpTransport.open({ bind: '127.0.0.1:0', maxPacketBytes: 1400, log: quiet(), onMessage: ca.onMessage });
  const b = await UdpTransport.open({ bind: '127.0.0.1:0', maxPacketBytes: 1400, log: quiet(), onMessage: cb.onMessage });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  t.regex(a.addr, /^127\.0\.0\.1:\d+$/);
  t.not(a.addr, '127.0.0.1:0');
  const p = cb.next();
  a.send(b.addr, new Uint8Array([1, 2, 3]));
  const g = await p;
  t.is(g.from, a.addr);
  t.deepEqual([...g.bytes], [1, 2, 3]);
  const q = ca.next();
  b.send(g.from, new Uint8Array(1400).fill(7));
  t.is((await q).bytes.length, 1400);
  t.is(a.stats.sent, 1);
  t.is(a.stats.received, 1);
});

test('a datagram over the limit is dropped and counted, the next one still arrives', async (t) => {
  const cb = collector();
  const a = await UdpTransport.open({ bind: '127.0.0.1:0', maxPacketBytes: 1400, log: quiet(), onMessage: () => {} });
  const b = await UdpTransport.open({ bind: '127.0.0.1:0', maxPacketBytes: 100, log: quiet(), onMessage: cb.onMessage });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const p = cb.next();
  a.send(b.addr, new Uint8Array(101));
  a.send(b.addr, new Uint8Array(100).fill(9));
  const g = await p;
  t.is(g.bytes.length, 100);
  t.is(b.stats.oversize, 1);
  t.is(b.stats.received, 1);
  t.is(cb.got.length, 1);
});

test('IPv6 loopback: bracketed addresses both ways', async (t) => {
  const cb = collector();
  const ca = collector();
  const a = await UdpTransport.open({ bind: '[::1]:0', maxPacketBytes: 1400, log: quiet(), onMessage: ca.onMessage });
  const b = await UdpTransport.open({ bind: '[::1]:0', maxPacketBytes: 1400, log: quiet(), onMessage: cb.onMessage });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  t.regex(a.addr, /^\[::1\]:\d+$/);
  const p = cb.next();
  a.send(b.addr, new TextEncoder().encode('six'));
  const g = await p;
  t.is(g.from, a.addr);
  t.is(new TextDecoder().decode(g.bytes), 'six');
  const q = ca.next();
  b.send(g.from, new Uint8Array([6]));
  t.deepEqual([...(await q).bytes], [6]);
});

test('sends that cannot work are counted and logged at debug, never thrown', async (t) => {
  const lines: string[] = [];
  const a = await UdpTransport.open({ bind: '127.0.0.1:0', maxPacketBytes: 1400, log: quiet(lines), onMessage: () => {} });
  t.notThrows(() => a.send('[::1]:9', new Uint8Array(1))); // wrong family for this socket
  t.notThrows(() => a.send('not-an-address', new Uint8Array(1)));
  t.notThrows(() => a.send('127.0.0.1:9', new Uint8Array(70_000))); // EMSGSIZE from the kernel
  await a.flushed(1000);
  t.is(a.stats.sendErrors, 3);
  t.true(lines.every((l) => (JSON.parse(l) as { level: number }).level === 20), 'debug only');
  t.true(lines.some((l) => l.includes('gossip udp send failed')));
  await a.close();
  t.notThrows(() => a.send('127.0.0.1:9', new Uint8Array(1)));
  t.is(a.stats.sendErrors, 4);
});

test('binding an address already taken is a typed error', async (t) => {
  const a = await UdpTransport.open({ bind: '127.0.0.1:0', maxPacketBytes: 1400, log: quiet(), onMessage: () => {} });
  t.teardown(() => a.close());
  const e = await t.throwsAsync(UdpTransport.open({ bind: a.addr, maxPacketBytes: 1400, log: quiet(), onMessage: () => {} }), { instanceOf: TransportError });
  t.is(e?.code, 'BIND_FAILED');
  const bad = await t.throwsAsync(UdpTransport.open({ bind: 'localhost:1', maxPacketBytes: 1400, log: quiet(), onMessage: () => {} }), { instanceOf: TransportError });
  t.is(bad?.code, 'BAD_ADDRESS');
});
