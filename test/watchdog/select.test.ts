// Which watchdog the daemon arms: a table of machines (hardware, softdog,
// AMT's alarm-only watchdog, missing nodes) for 'auto' and for a configured
// path, plus the captured fixtures read through the real probe.

import test from 'ava';
import * as path from 'node:path';
import { ErrorSink } from '../../agent/probe/errors.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { readWatchdogs, type Watchdog, type WatchdogKind } from '../../agent/probe/watchdog.ts';
import { selectWatchdog, type SelectErrorCode, type Selection } from '../../agent/watchdog/select.ts';

function wd(name: string, kind: WatchdogKind, identity: string | null, module: string | null, devNode: string | null = `/dev/${name}`): Watchdog {
  return {
    name,
    devNode,
    identity,
    driver: null,
    module,
    driverSource: null,
    pciAddress: null,
    kind,
    timeout: 30,
    pretimeout: null,
    minTimeout: 1,
    maxTimeout: 60,
    timeleft: null,
    nowayout: false,
    state: 'inactive',
    status: null,
    statusFlags: [],
    bootstatus: 0,
    bootstatusFlags: [],
    options: null,
    optionsFlags: [],
    lastResetByWatchdog: false,
    ioctl: null,
  };
}

const ESB = (n = 'watchdog0') => wd(n, 'hardware', 'i6300ESB timer', 'i6300esb');
const TCO = (n = 'watchdog1') => wd(n, 'hardware', 'iTCO_wdt', 'iTCO_wdt');
const SOFT = (n = 'watchdog0') => wd(n, 'software', 'Software Watchdog', 'softdog');
const AMT = (n = 'watchdog0') => wd(n, 'alarm-only', 'iamt_wdt', 'mei_wdt');

type Want = { path: string; name: string; kind: WatchdogKind; reason: string } | { error: SelectErrorCode; message: string | RegExp };

const TABLE: [string, Watchdog[], string, Want][] = [
  ['hardware over softdog', [SOFT('watchdog1'), ESB('watchdog0')], 'auto', { path: '/dev/watchdog0', name: 'watchdog0', kind: 'hardware', reason: 'hardware i6300ESB timer preferred over softdog' }],
  ['hardware over softdog even when softdog has the lower number', [SOFT('watchdog0'), TCO('watchdog1')], 'auto', { path: '/dev/watchdog1', name: 'watchdog1', kind: 'hardware', reason: 'hardware iTCO_wdt preferred over softdog' }],
  ['two hardware timers: the lowest number, the other named', [TCO('watchdog1'), ESB('watchdog0')], 'auto', { path: '/dev/watchdog0', name: 'watchdog0', kind: 'hardware', reason: 'hardware i6300ESB timer; lowest-numbered of 2 hardware watchdogs (also watchdog1 iTCO_wdt)' }],
  ['numbers compare as numbers, not text', [TCO('watchdog10'), ESB('watchdog2')], 'auto', { path: '/dev/watchdog2', name: 'watchdog2', kind: 'hardware', reason: 'hardware i6300ESB timer; lowest-numbered of 2 hardware watchdogs (also watchdog10 iTCO_wdt)' }],
  ['never the alarm-only one, even as watchdog0', [AMT('watchdog0'), TCO('watchdog1')], 'auto', { path: '/dev/watchdog1', name: 'watchdog1', kind: 'hardware', reason: 'hardware iTCO_wdt; mei_wdt ignored: alarm-only' }],
  ['softdog alone, said to be weak', [SOFT()], 'auto', { path: '/dev/watchdog0', name: 'watchdog0', kind: 'software', reason: 'software Software Watchdog only: no hardware watchdog, and it cannot reset a hung kernel' }],
  ['a hardware timer without its device node loses to softdog', [ESB('watchdog0'), SOFT('watchdog1')].map((w) => (w.name === 'watchdog0' ? { ...w, devNode: null } : w)), 'auto', { path: '/dev/watchdog1', name: 'watchdog1', kind: 'software', reason: 'software Software Watchdog only: no hardware watchdog, and it cannot reset a hung kernel' }],
  ['nothing at all', [], 'auto', { error: 'NO_WATCHDOG', message: 'no watchdog device: /sys/class/watchdog is empty' }],
  ['only AMT', [AMT()], 'auto', { error: 'ALARM_ONLY', message: 'no usable watchdog: watchdog0 (iamt_wdt): alarm-only, never resets' }],
  ['only a timer whose node is missing, and AMT', [{ ...TCO('watchdog1'), devNode: null }, AMT()], 'auto', { error: 'NO_DEVICE_NODE', message: 'no usable watchdog: watchdog0 (iamt_wdt): alarm-only, never resets; watchdog1 (iTCO_wdt): no device node /dev/watchdog1' }],
  ['configured /dev/watchdog1 over a hardware watchdog0', [ESB(), TCO()], '/dev/watchdog1', { path: '/dev/watchdog1', name: 'watchdog1', kind: 'hardware', reason: 'configured /dev/watchdog1: hardware iTCO_wdt' }],
  ['configured softdog is honoured, with the warning', [ESB('watchdog1'), SOFT('watchdog0')], '/dev/watchdog0', { path: '/dev/watchdog0', name: 'watchdog0', kind: 'software', reason: 'configured /dev/watchdog0: software Software Watchdog (software: cannot reset a hung kernel)' }],
  ['configured legacy /dev/watchdog is watchdog0', [ESB(), TCO()], '/dev/watchdog', { path: '/dev/watchdog', name: 'watchdog0', kind: 'hardware', reason: 'configured /dev/watchdog: hardware i6300ESB timer' }],
  ['configured path with no such watchdog', [ESB(), TCO()], '/dev/watchdog3', { error: 'NOT_A_WATCHDOG', message: 'configured /dev/watchdog3 is not a watchdog: no /sys/class/watchdog/watchdog3 (present: watchdog0, watchdog1)' }],
  ['configured path on a machine without watchdogs', [], '/dev/watchdog0', { error: 'NOT_A_WATCHDOG', message: /no \/sys\/class\/watchdog\/watchdog0 \(there is none\)/ }],
  ['configured path that is not a watchdog node', [ESB()], '/dev/sda', { error: 'NOT_A_WATCHDOG', message: 'configured /dev/sda is not a watchdog device node (/dev/watchdog or /dev/watchdogN)' }],
  ['configured alarm-only device', [AMT(), TCO()], '/dev/watchdog0', { error: 'ALARM_ONLY', message: 'configured /dev/watchdog0 is iamt_wdt, alarm-only: it never resets the machine' }],
  ['configured device whose node is missing', [{ ...TCO(), devNode: null }], '/dev/watchdog1', { error: 'NO_DEVICE_NODE', message: 'configured /dev/watchdog1: watchdog1 exists in sysfs but the device node does not' }],
];

function check(t: import('ava').ExecutionContext, got: Selection, want: Want): void {
  if ('error' in want) {
    t.false(got.ok);
    if (got.ok) return;
    t.is(got.error.code, want.error);
    if (typeof want.message === 'string') t.is(got.error.message, want.message);
    else t.regex(got.error.message, want.message);
    return;
  }
  t.true(got.ok, got.ok ? '' : got.error.message);
  if (!got.ok) return;
  t.like(got.value, want);
}

for (const [title, watchdogs, configured, want] of TABLE) {
  test(`select ${configured}: ${title}`, (t) => {
    check(t, selectWatchdog(watchdogs, configured), want);
    // The input order must not matter: the probe sorts, but the selection does not rely on it.
    check(t, selectWatchdog(watchdogs.slice().reverse(), configured), want);
  });
}

const FIXTURES = path.resolve('test/fixtures');
const fromFixture = (name: string): Watchdog[] => readWatchdogs(new SysRoot(path.join(FIXTURES, name)), new ErrorSink('watchdog'));

test('fixture qemu-q35: i6300ESB (watchdog0) over iTCO_wdt, identity carried through', (t) => {
  const r = selectWatchdog(fromFixture('qemu-q35'), 'auto');
  t.deepEqual(r, {
    ok: true,
    value: { path: '/dev/watchdog0', name: 'watchdog0', identity: 'i6300ESB timer', kind: 'hardware', reason: 'hardware i6300ESB timer; lowest-numbered of 2 hardware watchdogs (also watchdog1 iTCO_wdt)' },
  });
});

test('fixture unit/iamt-wdt: the TCO timer, never AMT', (t) => {
  const r = selectWatchdog(fromFixture('unit/iamt-wdt'), 'auto');
  t.true(r.ok && r.value.name === 'watchdog1' && r.value.kind === 'hardware' && /ignored: alarm-only/.test(r.value.reason), JSON.stringify(r));
});

test('fixture this-machine (Firecracker): nothing to arm', (t) => {
  const r = selectWatchdog(fromFixture('this-machine'), 'auto');
  t.deepEqual(r, { ok: false, error: { code: 'NO_WATCHDOG', message: 'no watchdog device: /sys/class/watchdog is empty' } });
});
