// The report's ioctl view of each watchdog: what it reads from a driver (a
// kernel-like fake descriptor), when it refuses to open (active, nowayout,
// unknown state, not a character device, outside the root, wrong device
// number), that everything it opens is magic-closed, and that no failure
// escapes as an exception. No real watchdog is opened: fixture /dev nodes are
// empty files, and the only real node opened is none (symlinks to /dev/null
// are refused as outside the root before any open).

import test from 'ava';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorSink } from '../../agent/probe/errors.ts';
import { buildReport } from '../../agent/probe/report.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { readWatchdogs, type Watchdog } from '../../agent/probe/watchdog.ts';
import { readWatchdogIoctl, rootOpener, withIoctl, type DevNode, type WatchdogOpener } from '../../agent/probe/watchdog-ioctl.ts';
import { WatchdogDevice, WatchdogError } from '../../agent/watchdog/device.ts';
import { WDIOC } from '../../agent/watchdog/ioctl.ts';
import { FakeWatchdogFd } from '../helpers/fake-watchdog.ts';

const E = os.constants.errno;
const FIXTURES = path.resolve('test/fixtures');
const MACHINES = ['qemu-q35', 'this-machine', 'vpro-desktop', 'me-hap-disabled', 'server-bmc', 'amd-dash', 'vps'];
const made: string[] = [];
test.after.always(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function copy(name: string): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'wd-ioctl-'));
  made.push(dst);
  fs.cpSync(path.join(FIXTURES, name), dst, { recursive: true, verbatimSymlinks: true });
  return dst;
}

const CHAR: DevNode = { type: 'char', dev: '248:0' };

/** An opener over fake devices; `opened` records every open, so tests prove what was never touched. */
function fakeOpener(devices: Record<string, FakeWatchdogFd | WatchdogError>, nodes: Record<string, DevNode> = {}): WatchdogOpener & { opened: string[] } {
  const opened: string[] = [];
  return {
    opened,
    inspect: (p) => nodes[p] ?? (p in devices ? CHAR : { type: 'missing' }),
    open(p) {
      opened.push(p);
      const d = devices[p];
      if (d instanceof WatchdogError) throw d;
      if (!d) throw new Error(`test opened ${p}, which it did not expect`);
      return new WatchdogDevice(d, p);
    },
  };
}

function probe(root: string, opener: WatchdogOpener): { wds: Watchdog[]; errs: ErrorSink } {
  const sys = new SysRoot(root);
  const errs = new ErrorSink('watchdog');
  return { wds: withIoctl(readWatchdogs(sys, errs), sys, opener, errs), errs };
}

const sysfs = (root: string, name: string, attr: string, value: string): void => fs.writeFileSync(path.join(root, 'sys/class/watchdog', name, attr), `${value}\n`);

// --- fixtures: nothing is opened --------------------------------------------

for (const name of MACHINES) {
  test(`${name}: fixture /dev nodes are empty files, skipped as not character devices; nothing opened, no errors`, (t) => {
    const sys = new SysRoot(path.join(FIXTURES, name));
    const real = rootOpener(sys);
    const opened: string[] = [];
    const spy: WatchdogOpener = { inspect: (p) => real.inspect(p), open: (p) => (opened.push(p), real.open(p)) };
    const r = buildReport(sys, new Date(0), spy);
    t.deepEqual(r.errors, []);
    t.deepEqual(opened, []);
    for (const w of r.watchdogs) t.deepEqual(w.ioctl, { skipped: 'not a character device', detail: `${w.devNode} is a regular file` });
  });
}

test('buildReport with its default opener on qemu-q35: the same skip, and the JSON round-trips', (t) => {
  const r = buildReport(new SysRoot(path.join(FIXTURES, 'qemu-q35')), new Date(0));
  t.deepEqual(
    r.watchdogs.map((w) => [w.name, w.ioctl]),
    [
      ['watchdog0', { skipped: 'not a character device', detail: '/dev/watchdog0 is a regular file' }],
      ['watchdog1', { skipped: 'not a character device', detail: '/dev/watchdog1 is a regular file' }],
    ],
  );
  t.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

// --- reading a driver ---------------------------------------------------------

test('qemu-q35 with live-looking nodes: GETSUPPORT, GETBOOTSTATUS, GETTIMEOUT, then magic close; boot status beats sysfs', (t) => {
  const esb = new FakeWatchdogFd({ bootStatus: 0x20 });
  const tco = new FakeWatchdogFd({ identity: 'iTCO_wdt', firmwareVersion: 6, options: 0x8180, bootStatus: 0 });
  const opener = fakeOpener({ '/dev/watchdog0': esb, '/dev/watchdog1': tco });
  const { wds, errs } = probe(path.join(FIXTURES, 'qemu-q35'), opener);
  t.deepEqual(errs.list, []);
  t.deepEqual(opener.opened, ['/dev/watchdog0', '/dev/watchdog1']);
  const [w0, w1] = wds;
  t.deepEqual(w0?.ioctl, {
    options: 0x8180,
    optionsFlags: ['SETTIMEOUT', 'MAGICCLOSE', 'KEEPALIVEPING'],
    firmwareVersion: 0,
    identity: 'i6300ESB timer',
    bootStatus: 32,
    bootStatusFlags: ['CARDRESET'],
    timeout: 30,
  });
  // sysfs said bootstatus 0; the driver's own answer wins.
  t.is(w0?.bootstatus, 0);
  t.true(w0?.lastResetByWatchdog);
  t.like(w1?.ioctl, { identity: 'iTCO_wdt', firmwareVersion: 6, bootStatus: 0, bootStatusFlags: [] });
  t.false(w1?.lastResetByWatchdog);
  for (const fd of [esb, tco]) {
    t.deepEqual(fd.events, ['ioctl WDIOC_GETSUPPORT', 'ioctl WDIOC_GETBOOTSTATUS', 'ioctl WDIOC_GETTIMEOUT', 'write V', 'close']);
    t.false(fd.running, 'the timer the report started was stopped again');
  }
});

test('a driver that does not know its timeout (EOPNOTSUPP) reports null without an error', (t) => {
  const fd = new FakeWatchdogFd({ timeout: 0 });
  const { wds, errs } = probe(path.join(FIXTURES, 'qemu-q35'), fakeOpener({ '/dev/watchdog0': fd, '/dev/watchdog1': new FakeWatchdogFd() }));
  t.deepEqual(errs.list, []);
  t.like(wds[0]?.ioctl, { identity: 'i6300ESB timer', timeout: null });
});

test('GETBOOTSTATUS failing: null, one error, and lastResetByWatchdog falls back to sysfs', (t) => {
  const root = copy('unit/wdt-cardreset');
  const fd = new FakeWatchdogFd({ identity: 'SP5100 TCO timer', fail: new Map([[WDIOC.GETBOOTSTATUS, E.EIO]]) });
  const { wds, errs } = probe(root, fakeOpener({ '/dev/watchdog0': fd }));
  t.like(wds[0]?.ioctl, { identity: 'SP5100 TCO timer', bootStatus: null, bootStatusFlags: [], timeout: 30 });
  t.true(wds[0]?.lastResetByWatchdog, 'sysfs bootstatus 32 still counts');
  t.deepEqual(
    errs.list.map((e) => [e.probe, e.path, e.code, e.message]),
    [['watchdog', '/dev/watchdog0', 'EIO', 'WDIOC_GETBOOTSTATUS on /dev/watchdog0: EIO (the driver reported an I/O error)']],
  );
  t.true(fd.closed);
  t.false(fd.running);
});

test('GETSUPPORT failing (ENOTTY): skipped with the reason, an UNSUPPORTED error, and still magic-closed', (t) => {
  const fd = new FakeWatchdogFd({ fail: new Map([[WDIOC.GETSUPPORT, E.ENOTTY]]) });
  const root = copy('unit/softdog');
  const { wds, errs } = probe(root, fakeOpener({ '/dev/watchdog0': fd }));
  t.deepEqual(wds[0]?.ioctl, { skipped: 'GETSUPPORT failed', detail: 'WDIOC_GETSUPPORT on /dev/watchdog0: ENOTTY (not an ioctl this driver knows)' });
  t.deepEqual(errs.list.map((e) => e.code), ['UNSUPPORTED']);
  t.deepEqual(fd.events, ['ioctl WDIOC_GETSUPPORT', 'write V', 'close']);
  t.false(fd.running);
});

test('WDIOF_ALARMONLY from the driver makes it alarm-only even without a sysfs options file, and re-sorts', (t) => {
  const root = copy('qemu-q35');
  const { wds } = probe(root, fakeOpener({ '/dev/watchdog0': new FakeWatchdogFd({ identity: 'vendor wdt', options: 0x0400 }), '/dev/watchdog1': new FakeWatchdogFd({ identity: 'iTCO_wdt' }) }));
  t.deepEqual(
    wds.map((w) => [w.name, w.kind]),
    [
      ['watchdog1', 'hardware'],
      ['watchdog0', 'alarm-only'],
    ],
  );
  t.deepEqual(wds[1]?.ioctl && 'optionsFlags' in wds[1].ioctl ? wds[1].ioctl.optionsFlags : null, ['ALARMONLY']);
});

test('magic close failing: the reading stands, and an error says the report could not stop the timer', (t) => {
  const fd = new FakeWatchdogFd({ writeErrno: E.EIO });
  const { wds, errs } = probe(copy('unit/softdog'), fakeOpener({ '/dev/watchdog0': fd }));
  t.like(wds[0]?.ioctl, { identity: 'i6300ESB timer' });
  t.is(errs.list.length, 1);
  t.is(errs.list[0]?.code, 'EIO');
  t.regex(errs.list[0]?.message ?? '', /^magic close on \/dev\/watchdog0: EIO .*the timer keeps running\); the report opened it and could not stop it$/);
  t.true(fd.closed);
});

// --- when it refuses ------------------------------------------------------------

test('an active watchdog (the daemon holds it, or a handover waits) is never opened', (t) => {
  const root = copy('unit/softdog');
  sysfs(root, 'watchdog0', 'state', 'active');
  const opener = fakeOpener({ '/dev/watchdog0': new FakeWatchdogFd() });
  const { wds, errs } = probe(root, opener);
  t.deepEqual(wds[0]?.ioctl, { skipped: 'active', detail: 'another process holds it or a handover is waiting: not touched' });
  t.deepEqual(opener.opened, []);
  t.deepEqual(errs.list, []);
});

test('state turning active after sysfs was read: `state` is read again right before opening', (t) => {
  const root = copy('unit/softdog');
  const sys = new SysRoot(root);
  const errs = new ErrorSink('watchdog');
  const [w] = readWatchdogs(sys, errs);
  t.is(w?.state, 'inactive');
  sysfs(root, 'watchdog0', 'state', 'active');
  const opener = fakeOpener({ '/dev/watchdog0': new FakeWatchdogFd() });
  t.like(readWatchdogIoctl(w as Watchdog, sys, opener, errs), { skipped: 'active' });
  t.deepEqual(opener.opened, []);
});

test('nowayout, unknown nowayout and unknown state: not opened', (t) => {
  const cases: [string, (root: string) => void, string][] = [
    ['nowayout', (r) => sysfs(r, 'watchdog0', 'nowayout', '1'), 'nowayout'],
    ['no nowayout file', (r) => fs.rmSync(path.join(r, 'sys/class/watchdog/watchdog0/nowayout')), 'nowayout unknown'],
    ['no state file', (r) => fs.rmSync(path.join(r, 'sys/class/watchdog/watchdog0/state')), 'state unknown'],
  ];
  for (const [what, change, reason] of cases) {
    const root = copy('unit/softdog');
    change(root);
    const opener = fakeOpener({ '/dev/watchdog0': new FakeWatchdogFd() });
    const { wds } = probe(root, opener);
    t.like(wds[0]?.ioctl, { skipped: reason }, what);
    t.deepEqual(opener.opened, [], what);
  }
});

test('no device node: skipped, nothing opened', (t) => {
  const root = copy('unit/softdog');
  fs.rmSync(path.join(root, 'dev/watchdog0'));
  const opener = fakeOpener({});
  const { wds, errs } = probe(root, opener);
  t.deepEqual(wds[0]?.ioctl, { skipped: 'no device node' });
  t.deepEqual(opener.opened, []);
  t.deepEqual(errs.list, []);
});

test('a node whose device number is not the one sysfs names is not opened', (t) => {
  const root = copy('unit/softdog');
  sysfs(root, 'watchdog0', 'dev', '248:0');
  const opener = fakeOpener({ '/dev/watchdog0': new FakeWatchdogFd() }, { '/dev/watchdog0': { type: 'char', dev: '10:130' } });
  const { wds } = probe(root, opener);
  t.deepEqual(wds[0]?.ioctl, { skipped: 'device number mismatch', detail: '/dev/watchdog0 is 10:130, sysfs watchdog0 is 248:0' });
  t.deepEqual(opener.opened, []);
  // The matching number is opened.
  const ok = fakeOpener({ '/dev/watchdog0': new FakeWatchdogFd() }, { '/dev/watchdog0': { type: 'char', dev: '248:0' } });
  t.like(probe(root, ok).wds[0]?.ioctl, { identity: 'i6300ESB timer' });
});

test('open EBUSY (someone opened it meanwhile) is a skip; EACCES is a skip and an error', (t) => {
  const busy = probe(copy('unit/softdog'), fakeOpener({ '/dev/watchdog0': new WatchdogError('open', '/dev/watchdog0', E.EBUSY) }));
  t.deepEqual(busy.wds[0]?.ioctl, { skipped: 'busy', detail: 'opened by another process since sysfs was read' });
  t.deepEqual(busy.errs.list, []);
  const denied = probe(copy('unit/softdog'), fakeOpener({ '/dev/watchdog0': new WatchdogError('open', '/dev/watchdog0', E.EACCES) }));
  t.deepEqual(denied.wds[0]?.ioctl, { skipped: 'open failed', detail: 'open on /dev/watchdog0: EACCES (permission denied)' });
  t.deepEqual(
    denied.errs.list.map((e) => [e.path, e.code]),
    [['/dev/watchdog0', 'EACCES']],
  );
});

test('an opener that throws something other than WatchdogError is still contained', (t) => {
  const opener: WatchdogOpener = {
    inspect: () => CHAR,
    open: () => {
      throw new TypeError('boom');
    },
  };
  const { wds, errs } = probe(copy('unit/softdog'), opener);
  t.deepEqual(wds[0]?.ioctl, { skipped: 'open failed', detail: 'boom' });
  t.deepEqual(errs.list.map((e) => e.code), ['EIO']);
});

// --- the real opener's guards ---------------------------------------------------

test('rootOpener: a symlink out of a fixture root is refused before any open', (t) => {
  const root = copy('unit/softdog');
  fs.rmSync(path.join(root, 'dev/watchdog0'));
  fs.symlinkSync('/dev/null', path.join(root, 'dev/watchdog0'));
  const sys = new SysRoot(root);
  const opener = rootOpener(sys);
  t.deepEqual(opener.inspect('/dev/watchdog0'), { type: 'outside-root', target: '/dev/null' });
  t.throws(() => opener.open('/dev/watchdog0'), { instanceOf: WatchdogError, message: 'open on /dev/watchdog0: ENODEV (not openable: outside-root)' });
  const [w] = readWatchdogs(sys, new ErrorSink('watchdog'));
  t.deepEqual(readWatchdogIoctl(w as Watchdog, sys, opener, new ErrorSink('watchdog')), { skipped: 'outside the root', detail: '/dev/watchdog0 leads to /dev/null' });
});

test('rootOpener: what a path is, without opening it', (t) => {
  const root = copy('unit/softdog');
  fs.mkdirSync(path.join(root, 'dev/watchdog9'));
  fs.symlinkSync('watchdog0', path.join(root, 'dev/watchdog-link'));
  const opener = rootOpener(new SysRoot(root));
  t.deepEqual(opener.inspect('/dev/watchdog0'), { type: 'other', what: 'regular file' });
  t.deepEqual(opener.inspect('/dev/watchdog-link'), { type: 'other', what: 'regular file' }, 'a symlink inside the root is followed');
  t.deepEqual(opener.inspect('/dev/watchdog9'), { type: 'other', what: 'directory' });
  t.deepEqual(opener.inspect('/dev/watchdog5'), { type: 'missing' });
  // On / the node's real device number is reported (1:3 is /dev/null on Linux).
  if (fs.existsSync('/dev/null')) t.deepEqual(rootOpener(new SysRoot('/')).inspect('/dev/null'), { type: 'char', dev: '1:3' });
});

// --- fuzz ------------------------------------------------------------------------

const ERRNOS = [E.EIO, E.ENOTTY, E.EOPNOTSUPP, E.EINVAL, E.ENODEV, E.EBADF, E.EFAULT, E.EBUSY];
const REQUESTS = [WDIOC.GETSUPPORT, WDIOC.GETBOOTSTATUS, WDIOC.GETTIMEOUT];
const CODES = new Set(['ENOENT', 'EACCES', 'EIO', 'TOO_LARGE', 'TRUNCATED', 'MALFORMED', 'UNSUPPORTED']);

test('fuzz: arbitrary driver answers and failures never throw, every opened device is closed, output stays well-formed', (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 48 }),
      fc.array(fc.tuple(fc.constantFrom(...REQUESTS), fc.constantFrom(...ERRNOS)), { maxLength: 3 }),
      fc.option(fc.constantFrom(...ERRNOS), { nil: null }),
      fc.option(fc.constantFrom(...ERRNOS), { nil: null }),
      fc.nat({ max: 0xffffffff }),
      (support, fails, writeErrno, openErrno, bootStatus) => {
        const fd = new FakeWatchdogFd({ supportBytes: support, fail: new Map(fails), writeErrno, bootStatus });
        const dev = openErrno === null ? fd : new WatchdogError('open', '/dev/watchdog0', openErrno);
        const { wds, errs } = probe(path.join(FIXTURES, 'unit/softdog'), fakeOpener({ '/dev/watchdog0': dev }));
        const io = wds[0]?.ioctl;
        if (!io) return false;
        if (openErrno === null && !fd.closed) return false;
        if (!errs.list.every((e) => CODES.has(e.code) && e.message.length > 0 && e.path === '/dev/watchdog0')) return false;
        if (JSON.stringify(JSON.parse(JSON.stringify(wds))) !== JSON.stringify(wds)) return false;
        if ('skipped' in io) return typeof io.skipped === 'string' && io.skipped.length > 0;
        return !io.identity.includes('\0') && io.identity.length <= 32 && Number.isInteger(io.options) && (io.bootStatus === null || io.bootStatus === bootStatus >>> 0);
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});
