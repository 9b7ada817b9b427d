// The QMP client against a real QEMU with no machine (starts in well under a
// second): status, pause/resume with their events, errors, timeouts, quit.

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { QmpClient, QmpError } from '../../tools/qemu/qmp.ts';
import { spawnTracked } from '../../tools/qemu/reaper.ts';
import { missing } from './env.ts';

const skip = missing('qemu-system-x86_64');

async function bareQemu(t: import('ava').ExecutionContext) {
  const dir = mkdtempSync('/tmp/fq-qmp-');
  const sock = join(dir, 'qmp.sock');
  const proc = spawnTracked('qemu (qmp test)', ['qemu-system-x86_64', '-machine', 'none', '-accel', 'tcg', '-nodefaults', '-display', 'none', '-qmp', `unix:${sock},server=on,wait=off`]);
  t.teardown(async () => {
    await proc.stop(2000);
    rmSync(dir, { recursive: true, force: true });
  });
  const started = Date.now();
  const qmp = await QmpClient.connect(sock, 10_000);
  t.teardown(() => qmp.close());
  t.log(`QMP up after ${Date.now() - started} ms, QEMU ${qmp.version}`);
  return { qmp, proc };
}

if (skip) test(`QMP client (skipped: ${skip})`, (t) => t.pass());
else {
  test('handshake, query-status, stop -> STOP, cont -> RESUME', async (t) => {
    const { qmp } = await bareQemu(t);
    t.regex(qmp.version, /^\d+\.\d+\.\d+$/);
    t.deepEqual(await qmp.status(), { status: 'running', running: true });

    const m = qmp.mark();
    await qmp.pause();
    const stop = await qmp.waitFor('STOP', undefined, 5000, m);
    t.is(stop.event, 'STOP');
    t.true(stop.timestampUs > 1.6e15);
    t.deepEqual(await qmp.status(), { status: 'paused', running: false });

    const m2 = qmp.mark();
    await qmp.resume();
    await qmp.waitFor('RESUME', undefined, 5000, m2);
    t.deepEqual(await qmp.status(), { status: 'running', running: true });
    t.deepEqual(
      qmp.eventsSince(m).map((e) => e.event),
      ['STOP', 'RESUME'],
    );
  });

  test('an unknown command is a QmpError with QEMU class; a wait with nothing coming times out', async (t) => {
    const { qmp } = await bareQemu(t);
    const err = await t.throwsAsync(qmp.execute('no-such-command'), { instanceOf: QmpError });
    t.is(err?.errorClass, 'CommandNotFound');
    const started = Date.now();
    const late = await t.throwsAsync(qmp.waitFor('WATCHDOG', undefined, 300), { instanceOf: QmpError });
    t.is(late?.errorClass, 'Timeout');
    t.true(Date.now() - started < 2000);
    // The connection still works after both.
    t.is((await qmp.status()).status, 'running');
  });

  test('quit -> SHUTDOWN, the connection closes and QEMU exits 0', async (t) => {
    const { qmp, proc } = await bareQemu(t);
    const m = qmp.mark();
    await qmp.quit(5000);
    const ev = await qmp.waitFor('SHUTDOWN', undefined, 1000, m);
    t.is(ev.data.reason, 'host-qmp-quit');
    t.true(qmp.isClosed);
    t.is(await proc.exited, 0);
    const after = await t.throwsAsync(qmp.status(), { instanceOf: QmpError });
    t.is(after?.errorClass, 'Closed');
  });

  test('connecting to a socket nobody serves fails within the timeout', async (t) => {
    const started = Date.now();
    const err = await t.throwsAsync(QmpClient.connect('/tmp/fq-none/qmp.sock', 300), { instanceOf: QmpError });
    t.is(err?.errorClass, 'Timeout');
    t.true(Date.now() - started < 2000);
  });
}
