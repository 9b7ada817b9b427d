// The swtpm socket transport against a scripted TCP peer: responses split across packets,
// hostile size fields, silence (timeout) and a dropped connection all end in typed results.

import test from 'ava';
import { createServer, type Server, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDevice, openSwtpm } from '../../agent/tpm/transport.ts';
import { getRandom, parseGetRandom } from '../../agent/tpm/commands.ts';

async function peer(onCommand: (sock: Socket, cmd: Buffer) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((sock) => sock.on('data', (d) => onCommand(sock, d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0 };
}

test('a response split over several packets is reassembled by its size field', async (t) => {
  const resp = Buffer.from('80010000000e000000000002beef', 'hex');
  const { server, port } = await peer((sock) => {
    sock.write(resp.subarray(0, 3));
    setTimeout(() => sock.write(resp.subarray(3, 9)), 10);
    setTimeout(() => sock.write(resp.subarray(9)), 20);
  });
  const tpm = await openSwtpm('127.0.0.1', port, 2000);
  t.true(tpm.ok);
  if (!tpm.ok) return;
  const r = await tpm.value.transmit(getRandom(2));
  t.true(r.ok);
  if (r.ok) t.deepEqual(parseGetRandom(r.value), { ok: true, value: Buffer.from('beef', 'hex') });
  await tpm.value.close();
  server.close();
});

test('a hostile size field, silence and a closed connection are typed errors', async (t) => {
  const { server, port } = await peer((sock, cmd) => {
    const n = cmd.readUInt16BE(10); // GetRandom's bytesRequested picks the misbehaviour
    if (n === 1) sock.write(Buffer.from('8001ffffffff00000000', 'hex'));
    if (n === 3) sock.destroy();
    // n === 2: never answer
  });
  const open = async () => {
    const r = await openSwtpm('127.0.0.1', port, 300);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  let tpm = await open();
  t.like(await tpm.transmit(getRandom(1)), { ok: false, error: { code: 'MALFORMED' } });
  await tpm.close();
  tpm = await open();
  const started = Date.now();
  t.like(await tpm.transmit(getRandom(2)), { ok: false, error: { code: 'TIMEOUT' } });
  t.true(Date.now() - started < 2000);
  // After a timeout the stream is out of step: later commands fail rather than read stale bytes.
  t.like(await tpm.transmit(getRandom(2)), { ok: false, error: { code: 'IO' } });
  await tpm.close();
  tpm = await open();
  t.like(await tpm.transmit(getRandom(3)), { ok: false, error: { code: 'IO' } });
  await tpm.close();
  server.close();
});

test('a missing device or refused connection is an IO error', async (t) => {
  t.like(await openDevice('/nonexistent/tpmrm0'), { ok: false, error: { code: 'IO' } });
  t.like(await openSwtpm('127.0.0.1', 1, 1000), { ok: false, error: { code: 'IO' } });
});

test('the device transport writes one command and reads one response (a FIFO echoes it back)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tpmdev-'));
  try {
    const fifo = join(dir, 'tpm');
    execFileSync('mkfifo', [fifo]);
    const dev = await openDevice(fifo, 2000);
    t.true(dev.ok);
    if (!dev.ok) return;
    const cmd = getRandom(8);
    t.deepEqual(await dev.value.transmit(cmd), { ok: true, value: cmd });
    await dev.value.close();
    t.like(await dev.value.transmit(cmd), { ok: false, error: { code: 'IO' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
