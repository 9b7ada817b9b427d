import test from 'ava';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NotifyError, notifyAddress, notifyMessage, systemdNotifier, watchdogIntervalMs } from '../../agent/daemon/notify.ts';
import { notifySocket } from '../helpers/notify-socket.ts';

test('address: a path gets its NUL, an abstract name does not', (t) => {
  const p = notifyAddress('/run/systemd/notify');
  t.is(p.addr.readUInt16LE(0), 1);
  t.is(p.len, 2 + '/run/systemd/notify'.length + 1);
  t.is(p.addr.toString('utf8', 2, p.len - 1), '/run/systemd/notify');
  const a = notifyAddress('@fortros/notify');
  t.is(a.len, 2 + 1 + 'fortros/notify'.length);
  t.is(a.addr[2], 0);
  t.is(a.addr.toString('utf8', 3, a.len), 'fortros/notify');
});

test('address: relative or oversized names are typed errors', (t) => {
  t.throws(() => notifyAddress('run/notify'), { instanceOf: NotifyError });
  t.throws(() => notifyAddress(`/${'x'.repeat(107)}`), { instanceOf: NotifyError, message: /longer than 108/ });
  t.notThrows(() => notifyAddress(`/${'x'.repeat(106)}`));
  t.notThrows(() => notifyAddress(`@${'x'.repeat(107)}`));
});

test('message: KEY=VALUE lines; newlines in values and bad keys refused', (t) => {
  t.is(notifyMessage({ READY: 1, STATUS: 'up' }).toString(), 'READY=1\nSTATUS=up\n');
  t.throws(() => notifyMessage({ STATUS: 'a\nWATCHDOG=1' }), { instanceOf: NotifyError });
  t.throws(() => notifyMessage({ 'bad key': 1 }), { instanceOf: NotifyError });
});

test('message fuzz: any value either encodes to exactly its lines or is refused', (t) => {
  fc.assert(
    fc.property(fc.string(), (v) => {
      try {
        const m = notifyMessage({ STATUS: v }).toString();
        return !v.includes('\n') && m === `STATUS=${v}\n`;
      } catch (e) {
        return e instanceof NotifyError && v.includes('\n');
      }
    }),
  );
  t.pass();
});

test('watchdog interval: half of WATCHDOG_USEC, only for the named pid', (t) => {
  t.is(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 7), 15000);
  t.is(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 7), 15000);
  t.is(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '8' }, 7), null);
  t.is(watchdogIntervalMs({}, 7), null);
  t.is(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 7), null);
  t.is(watchdogIntervalMs({ WATCHDOG_USEC: '-5' }, 7), null);
});

test('no NOTIFY_SOCKET: a notifier that does nothing', (t) => {
  const n = systemdNotifier({});
  t.false(n.enabled);
  t.notThrows(() => n.send({ READY: 1 }));
});

for (const kind of ['path', 'abstract'] as const) {
  test(`sends real datagrams through libc to a ${kind} socket`, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notify-'));
    const name = kind === 'path' ? path.join(dir, 'notify') : `@fortros-test-${process.pid}-${Date.now()}`;
    const sock = await notifySocket(name);
    try {
      const n = systemdNotifier({ NOTIFY_SOCKET: name });
      n.send({ READY: 1, STATUS: 'ready' });
      n.send({ WATCHDOG: 1 });
      t.deepEqual(await sock.waitFor(2, 5000), ['READY=1\nSTATUS=ready\n', 'WATCHDOG=1\n']);
    } finally {
      sock.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a socket nobody listens on is a NotifyError, not a crash', (t) => {
  const n = systemdNotifier({ NOTIFY_SOCKET: '/nonexistent-dir/notify' });
  t.throws(() => n.send({ READY: 1 }), { instanceOf: NotifyError, message: /sendto/ });
});
