// The Redfish channel's transport: certificate pinning per connection (a wrong
// pin stops the exchange before any byte of a request, so no credential leaves),
// the configuration it refuses, plain HTTP only when asked, and servers that
// never answer, or answer something else.

import test from 'ava';
import * as fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { redfishChannel } from '../../agent/channels/redfish/index.ts';
import { deadlineIn, type ChannelOptions } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { makeCert, type TestCert } from '../fakes/cert.ts';
import { FAST, PASSWORD, USER, withFake } from '../fakes/redfish/harness.ts';
import { closedPort } from '../fakes/transport-checks.ts';

let cert: TestCert;
let other: TestCert;
test.before(() => {
  cert = makeCert();
  other = makeCert('another-bmc');
});
test.after.always(() => {
  for (const c of [cert, other]) fs.rmSync(c.dir, { recursive: true, force: true });
});

const base = (port: number, over: Partial<ChannelOptions> = {}): ChannelOptions => ({ host: '127.0.0.1', port, user: USER, password: PASSWORD, ...over });

function open(o: ChannelOptions) {
  const r = redfishChannel.open(o);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

test('a wrong pin is TLS, and the server received not one byte after the handshake', async (t) => {
  const received: Buffer[] = [];
  let connections = 0;
  const sink = tls.createServer({ key: cert.key, cert: cert.cert }, (s) => {
    s.on('data', (b: Buffer) => received.push(b));
    s.on('error', () => {});
  });
  sink.on('connection', () => connections++);
  sink.on('tlsClientError', () => {});
  const port = await listen(sink);
  try {
    const r = await new Channel(open(base(port, { tlsFingerprint: other.pin })), FAST).off(deadlineIn(15_000));
    t.is(r.ok ? null : r.error.code, 'TLS');
    t.regex(r.ok ? '' : r.error.message, new RegExp(`presented certificate ${cert.pin}, not the pinned ${other.pin}`));
    t.is(r.ok ? 0 : r.error.attempts, 1, 'TLS is not retried');
    await new Promise((res) => setTimeout(res, 50));
    t.is(connections, 1);
    t.is(Buffer.concat(received).length, 0);
  } finally {
    sink.close();
  }
});

test('a wrong pin against the fake: no request reached it, no session', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On' }] }, async ({ fake, open: openFake }) => {
    const r = await openFake({ tlsFingerprint: other.pin }).status(deadlineIn(15_000));
    t.is(r.ok ? null : r.error.code, 'TLS');
    t.deepEqual(fake.seen, []);
  });
});

test('the pin is accepted as openssl prints it (colons, upper case)', async (t) => {
  await withFake(t, cert, { systems: [{ id: '1', power: 'On' }] }, async ({ open: openFake }) => {
    const hex = cert.pin.slice('sha256:'.length).toUpperCase().match(/../g)?.join(':') ?? '';
    t.deepEqual(await openFake({ tlsFingerprint: `sha256:${hex}` }).status(deadlineIn(15_000)), { ok: true, value: 'on' });
  });
});

test('configuration refused before any I/O', (t) => {
  const code = (o: Partial<ChannelOptions>) => {
    const r = redfishChannel.open(base(1, o));
    return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`;
  };
  t.regex(code({}), /^CONFIG: BMCs carry self-signed certificates: pin one/);
  t.regex(code({ tlsFingerprint: 'sha1:abcd' }), /^CONFIG: the TLS fingerprint must be/);
  t.regex(code({ tlsFingerprint: cert.pin, insecureHttp: true }), /^CONFIG: a TLS fingerprint and plain HTTP/);
  t.regex(code({ insecureHttp: true, user: undefined }), /^CONFIG: Redfish needs a user/);
  t.regex(code({ insecureHttp: true, host: 'bmc/../x y' }), /^CONFIG: .* is not a system Id or URI/);
  t.regex(code({ insecureHttp: true, host: 'http://evil' }), /^CONFIG: .* is not a host/);
  t.regex(code({ insecureHttp: true, host: 'bmc//redfish' }), /^CONFIG: .* is not a system Id or URI/);
  t.regex(code({ insecureHttp: true, host: '-bmc' }), /^CONFIG: .* is not a host/);
  t.is(code({ insecureHttp: true, host: '[::1]/System.Embedded.1' }), 'ok');
  t.is(redfishChannel.defaultPort(base(1, {})), 443);
  t.is(redfishChannel.defaultPort(base(1, { insecureHttp: true })), 80);
  t.is(process.env['NODE_TLS_REJECT_UNAUTHORIZED'], undefined);
  t.not(https.globalAgent.options.rejectUnauthorized, false);
});

test('plain HTTP when asked: the whole ladder works', async (t) => {
  await withFake(t, null, { systems: [{ id: '1', power: 'On' }], transitionMs: 100 }, async ({ open: openFake, fake }) => {
    const driver = openFake();
    t.regex(driver.describe().target, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await new Channel(driver, FAST).cycle(deadlineIn(15_000));
    t.true(r.ok, JSON.stringify(r));
    t.deepEqual(fake.machines.get('1')?.obeyed, ['ForceOff', 'On']);
    t.regex(driver.describe().target, /^http:\/\/127\.0\.0\.1:\d+\/redfish\/v1\/Systems\/1$/);
  });
});

test('HTTPS pinned to a server that speaks plain HTTP is a TLS error', async (t) => {
  await withFake(t, null, { systems: [{ id: '1', power: 'On' }] }, async ({ fake, port }) => {
    const r = await open(base(port, { tlsFingerprint: cert.pin })).status(deadlineIn(15_000));
    t.is(r.ok ? null : r.error.code, 'TLS');
    t.deepEqual(fake.seen, []);
  });
});

for (const mode of ['https', 'http'] as const) {
  test(`a ${mode} server that accepts and never answers is TIMEOUT within the deadline`, async (t) => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
    });
    const port = await listen(silent);
    try {
      const started = performance.now();
      const o = base(port, mode === 'https' ? { tlsFingerprint: cert.pin } : { insecureHttp: true });
      const r = await new Channel(open(o), FAST).status(deadlineIn(800));
      const took = performance.now() - started;
      t.is(r.ok ? null : r.error.code, 'TIMEOUT');
      // The upper bound allows for a loaded machine; without the deadline the exchange would hang until ava's 2 min timeout.
      t.true(took >= 750 && took < 3300, `took ${Math.round(took)} ms`);
      t.true(sockets.length >= 1);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
}

test('a closed port is UNREACHABLE, retried until the deadline', async (t) => {
  const r = await new Channel(open(base(await closedPort(), { insecureHttp: true })), FAST).status(deadlineIn(500));
  t.is(r.ok ? null : r.error.code, 'UNREACHABLE');
  t.true(!r.ok && r.error.attempts >= 2, `attempts ${r.ok ? 0 : r.error.attempts}`);
  t.true(!r.ok && r.error.elapsedMs < 3000);
});
