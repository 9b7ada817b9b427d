// Arming and letting go, on the fake descriptor that answers as the kernel's
// watchdog core does: the configured timeout is set and fed at once, handover
// leaves the timer running at handoverSec, close stops it with the magic 'V'.
import test from 'ava';
import * as path from 'node:path';
import { armWatchdog } from '../../agent/daemon/watchdog.ts';
import { parseConfig, type WatchdogConfig } from '../../agent/daemon/config.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { WatchdogDevice } from '../../agent/watchdog/device.ts';
import { Stages } from '../../agent/watchdog/stages.ts';
import { createLogger } from '../../agent/log.ts';
import { FakeWatchdogFd, I6300ESB } from '../helpers/fake-watchdog.ts';

const cfg = (w: object): WatchdogConfig => parseConfig(JSON.stringify({ node: { name: 'n' }, watchdog: w }), 't').watchdog as WatchdogConfig;

function arm(w: object, driver: Partial<typeof I6300ESB> = {}) {
  const lines: string[] = [];
  const fd = new FakeWatchdogFd({ ...I6300ESB, ...driver });
  const opened: string[] = [];
  const armed = armWatchdog(cfg(w), {
    log: createLogger({ format: 'json', write: (s) => lines.push(s) }),
    sys: new SysRoot(path.resolve('test/fixtures/qemu-q35')),
    stages: new Stages({}, () => performance.now()),
    now: () => performance.now(),
    open: (p) => {
      opened.push(p);
      return new WatchdogDevice(fd, p);
    },
    sinceMain: () => 12,
  });
  return { armed, fd, lines, opened };
}

test('arms the hardware device the probe prefers with the configured timeout, and feeds it at once', (t) => {
  const { armed, fd, lines, opened } = arm({ timeoutSec: 20 });
  t.truthy(armed);
  t.deepEqual(opened, ['/dev/watchdog0']);
  t.is(fd.d.timeout, 20);
  t.true(fd.pings >= 1);
  const rec = JSON.parse(lines.find((l) => l.includes('watchdog armed')) ?? '{}') as Record<string, unknown>;
  t.is(rec.device, '/dev/watchdog0');
  t.is(rec.identity, 'i6300ESB timer');
  t.is(rec.timeoutSec, 20);
  t.is(rec.sinceMainMs, 12);
  armed?.feeder.stop();
});

test('handover: handoverSec set, fed, closed without the magic character: the timer keeps running', (t) => {
  const { armed, fd } = arm({ timeoutSec: 20, handoverSec: 600 });
  armed?.handOver();
  t.true(fd.closed);
  t.true(fd.running);
  t.is(fd.d.timeout, 600);
  t.false(fd.writes.some((w) => w.toString() === 'V'));
});

test('close: the magic character stops the timer', (t) => {
  const { armed, fd } = arm({ timeoutSec: 20, closeOnShutdown: true });
  armed?.close();
  t.true(fd.closed);
  t.false(fd.running);
  t.deepEqual(fd.writes.map((w) => w.toString()).at(-1), 'V');
});

test('a driver without MAGICCLOSE: handover warns that nothing guards it', (t) => {
  const { armed, lines } = arm({ timeoutSec: 20 }, { options: 0x0080 | 0x8000 });
  armed?.handOver();
  t.true(lines.some((l) => l.includes('stops the timer on close')));
});

test('an out-of-range timeout fails arming with the reason, and the daemon goes on unarmed', (t) => {
  const { armed, lines } = arm({ timeoutSec: 3000 });
  t.is(armed, null);
  t.true(lines.some((l) => l.includes('no watchdog armed') && l.includes('EINVAL')), lines.join(''));
});
