// The watchdog driver: request codes against the kernel's known values,
// watchdog_info decoding (fuzzed), WatchdogDevice against a descriptor that
// answers like the kernel's watchdog core, and the real libc path on files
// that are not watchdogs (this machine has none, and no test opens one).

import test from 'ava';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { devNumber, libcWatchdogFd, openWatchdog, WatchdogDevice, WatchdogError } from '../../agent/watchdog/device.ts';
import { decodeWatchdogInfo, ioc, requestName, WATCHDOG_INFO_SIZE, WDIOC, WDIOS_DISABLECARD, WDIOS_ENABLECARD } from '../../agent/watchdog/ioctl.ts';
import { FakeWatchdogFd, WDIOF_KEEPALIVEPING, WDIOF_MAGICCLOSE, WDIOF_SETTIMEOUT } from '../helpers/fake-watchdog.ts';

const E = os.constants.errno;
const DEV = '/dev/watchdog0';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wd-dev-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function fake(driver: ConstructorParameters<typeof FakeWatchdogFd>[0] = {}): { fd: FakeWatchdogFd; dev: WatchdogDevice } {
  const fd = new FakeWatchdogFd(driver);
  return { fd, dev: new WatchdogDevice(fd, DEV) };
}

function watchdogError(t: import('ava').ExecutionContext, fn: () => unknown, expected: { op: string; errnoName: string; message?: string | RegExp }): WatchdogError {
  const e = t.throws(fn, { instanceOf: WatchdogError });
  t.is(e?.code, 'E_WATCHDOG');
  t.is(e?.op, expected.op);
  t.is(e?.errnoName, expected.errnoName);
  t.is(e?.errno, E[expected.errnoName as keyof typeof E]);
  if (typeof expected.message === 'string') t.is(e?.message, expected.message);
  else if (expected.message) t.regex(e?.message ?? '', expected.message);
  return e as WatchdogError;
}

// --- request codes and watchdog_info ---------------------------------------

test('request codes are the kernel values (include/uapi/linux/watchdog.h on x86-64/arm64)', (t) => {
  t.deepEqual(
    { ...WDIOC },
    {
      GETSUPPORT: 0x80285700,
      GETSTATUS: 0x80045701,
      GETBOOTSTATUS: 0x80045702,
      SETOPTIONS: 0x80045704,
      KEEPALIVE: 0x80045705,
      SETTIMEOUT: 0xc0045706,
      GETTIMEOUT: 0x80045707,
      SETPRETIMEOUT: 0xc0045708,
      GETPRETIMEOUT: 0x80045709,
      GETTIMELEFT: 0x8004570a,
    },
  );
  t.is(WDIOS_DISABLECARD, 1);
  t.is(WDIOS_ENABLECARD, 2);
  // A non-watchdog code for contrast: TCGETS-style _IOR('T', 1, 4).
  t.is(ioc(2, 0x54, 1, 4), 0x80045401);
  t.is(requestName(0xc0045706), 'WDIOC_SETTIMEOUT');
  t.is(requestName(0x541b), 'ioctl 0x541b');
});

function infoBytes(options: number, fw: number, identity: Uint8Array): Buffer {
  const b = Buffer.alloc(WATCHDOG_INFO_SIZE);
  b.writeUInt32LE(options, 0);
  b.writeUInt32LE(fw, 4);
  b.set(identity.subarray(0, 32), 8);
  return b;
}

test('decodeWatchdogInfo: i6300ESB, a 32-byte identity without NUL, a longer buffer', (t) => {
  t.deepEqual(decodeWatchdogInfo(infoBytes(0x8180, 0, Buffer.from('i6300ESB timer'))), { ok: true, value: { options: 0x8180, firmwareVersion: 0, identity: 'i6300ESB timer' } });
  const full = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345');
  const r = decodeWatchdogInfo(Buffer.concat([infoBytes(0x400, 7, full), Buffer.from('trailing garbage')]));
  t.deepEqual(r, { ok: true, value: { options: 0x400, firmwareVersion: 7, identity: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345' } });
  // Bytes after the first NUL are not part of the name.
  const afterNul = decodeWatchdogInfo(infoBytes(0, 0, Buffer.from('iTCO_wdt\0junk')));
  t.is(afterNul.ok && afterNul.value.identity, 'iTCO_wdt');
});

test('decodeWatchdogInfo: a short buffer is TRUNCATED, with where it ended', (t) => {
  t.deepEqual(decodeWatchdogInfo(Buffer.alloc(39)), { ok: false, error: { code: 'TRUNCATED', message: 'watchdog_info: 39 bytes, need 40', offset: 39 } });
  t.deepEqual(decodeWatchdogInfo(new Uint8Array(0)), { ok: false, error: { code: 'TRUNCATED', message: 'watchdog_info: 0 bytes, need 40', offset: 0 } });
});

test('decodeWatchdogInfo fuzz: arbitrary bytes never throw; ok exactly when 40+ bytes; fields well-formed', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
      const r = decodeWatchdogInfo(b);
      if (b.length < WATCHDOG_INFO_SIZE) return !r.ok && r.error.code === 'TRUNCATED' && r.error.offset === b.length;
      if (!r.ok) return false;
      const v = r.value;
      return (
        Number.isInteger(v.options) && v.options >= 0 && v.options <= 0xffffffff &&
        Number.isInteger(v.firmwareVersion) && v.firmwareVersion >= 0 && v.firmwareVersion <= 0xffffffff &&
        !v.identity.includes('\0') && v.identity.length <= 32 &&
        JSON.stringify(JSON.parse(JSON.stringify(v))) === JSON.stringify(v)
      );
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('decodeWatchdogInfo fuzz: encoded fields come back unchanged', (t) => {
  fc.assert(
    fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.stringMatching(/^[\x20-\x7e]{0,32}$/), (options, fw, identity) => {
      const r = decodeWatchdogInfo(infoBytes(options, fw, Buffer.from(identity)));
      return r.ok && r.value.options === options && r.value.firmwareVersion === fw && r.value.identity === identity;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

// --- WatchdogDevice over a kernel-like descriptor --------------------------

test('info, status, boot status, timeout and keepalive read what the driver holds', (t) => {
  const { fd, dev } = fake({ bootStatus: 0x20, status: 0x8000, timeLeft: 25 });
  t.deepEqual(dev.info(), { options: WDIOF_SETTIMEOUT | WDIOF_KEEPALIVEPING | WDIOF_MAGICCLOSE, firmwareVersion: 0, identity: 'i6300ESB timer' });
  t.is(dev.bootStatus(), 0x20);
  t.is(dev.status(), 0x8000);
  t.is(dev.getTimeout(), 30);
  t.is(dev.timeLeft(), 25);
  dev.keepalive();
  dev.keepalive();
  t.is(fd.pings, 2);
  t.deepEqual(fd.requests, ['WDIOC_GETSUPPORT', 'WDIOC_GETBOOTSTATUS', 'WDIOC_GETSTATUS', 'WDIOC_GETTIMEOUT', 'WDIOC_GETTIMELEFT', 'WDIOC_KEEPALIVE', 'WDIOC_KEEPALIVE']);
});

test('setTimeout returns what the driver set: a driver whose hardware tops out at 60 s clamps 120 to 60', (t) => {
  const { fd, dev } = fake({ maxTimeout: 65535, adjustTimeout: (s) => Math.min(s, 60) });
  t.is(dev.setTimeout(120), 60);
  t.is(dev.getTimeout(), 60);
  t.is(dev.setTimeout(45), 45);
  t.is(fd.d.timeout, 45);
  // SETTIMEOUT also pings, as the kernel does.
  t.is(fd.pings, 2);
});

test('EINVAL on SETTIMEOUT: the timeout is outside the driver range', (t) => {
  const { fd, dev } = fake();
  watchdogError(t, () => dev.setTimeout(5000), { op: 'WDIOC_SETTIMEOUT', errnoName: 'EINVAL', message: 'WDIOC_SETTIMEOUT on /dev/watchdog0: EINVAL (timeout out of range)' });
  t.is(fd.d.timeout, 30);
  t.deepEqual(fd.requests, ['WDIOC_SETTIMEOUT']);
});

test('a fractional or zero timeout is refused before any ioctl (the kernel would truncate it)', (t) => {
  const { fd, dev } = fake();
  watchdogError(t, () => dev.setTimeout(1.5), { op: 'WDIOC_SETTIMEOUT', errnoName: 'EINVAL', message: /1\.5 is not a whole number of seconds >= 1/ });
  watchdogError(t, () => dev.setTimeout(0), { op: 'WDIOC_SETTIMEOUT', errnoName: 'EINVAL' });
  watchdogError(t, () => dev.setPretimeout(-1), { op: 'WDIOC_SETPRETIMEOUT', errnoName: 'EINVAL' });
  t.deepEqual(fd.requests, []);
});

test('SETTIMEOUT on a driver without WDIOF_SETTIMEOUT: EOPNOTSUPP', (t) => {
  const { dev } = fake({ options: WDIOF_KEEPALIVEPING | WDIOF_MAGICCLOSE });
  watchdogError(t, () => dev.setTimeout(30), { op: 'WDIOC_SETTIMEOUT', errnoName: 'EOPNOTSUPP', message: 'WDIOC_SETTIMEOUT on /dev/watchdog0: EOPNOTSUPP (the driver does not support this)' });
});

test('pretimeout: set and read back; EOPNOTSUPP without support; EINVAL at or above the timeout', (t) => {
  const withPre = fake({ pretimeout: true });
  t.is(withPre.dev.setPretimeout(10), 10);
  t.is(withPre.dev.getPretimeout(), 10);
  t.is(withPre.dev.setPretimeout(0), 0);
  watchdogError(t, () => withPre.dev.setPretimeout(30), {
    op: 'WDIOC_SETPRETIMEOUT',
    errnoName: 'EINVAL',
    message: 'WDIOC_SETPRETIMEOUT on /dev/watchdog0: EINVAL (pretimeout out of range: it must be below the timeout)',
  });
  const without = fake();
  watchdogError(t, () => without.dev.setPretimeout(5), { op: 'WDIOC_SETPRETIMEOUT', errnoName: 'EOPNOTSUPP' });
});

test('ENOTTY: a legacy driver that knows no pretimeout or timeleft ioctl', (t) => {
  const { dev } = fake({ fail: new Map([[WDIOC.GETPRETIMEOUT, E.ENOTTY], [WDIOC.GETTIMELEFT, E.ENOTTY]]) });
  watchdogError(t, () => dev.getPretimeout(), { op: 'WDIOC_GETPRETIMEOUT', errnoName: 'ENOTTY', message: 'WDIOC_GETPRETIMEOUT on /dev/watchdog0: ENOTTY (not an ioctl this driver knows)' });
  t.is(dev.timeLeft(), null);
});

test('timeLeft is null without get_timeleft (EOPNOTSUPP) and an error for anything else', (t) => {
  t.is(fake({ timeLeft: null }).dev.timeLeft(), null);
  const { dev } = fake({ fail: new Map([[WDIOC.GETTIMELEFT, E.EIO]]) });
  watchdogError(t, () => dev.timeLeft(), { op: 'WDIOC_GETTIMELEFT', errnoName: 'EIO' });
});

test('EBADF: the descriptor underneath was closed by someone else', (t) => {
  const { fd, dev } = fake();
  fd.closed = true;
  watchdogError(t, () => dev.keepalive(), { op: 'WDIOC_KEEPALIVE', errnoName: 'EBADF', message: 'WDIOC_KEEPALIVE on /dev/watchdog0: EBADF (the file descriptor is not open)' });
  watchdogError(t, () => dev.info(), { op: 'WDIOC_GETSUPPORT', errnoName: 'EBADF' });
});

test('ENODEV: the device went away (driver unbound)', (t) => {
  const { dev } = fake({ fail: new Map([[WDIOC.KEEPALIVE, E.ENODEV]]) });
  watchdogError(t, () => dev.keepalive(), { op: 'WDIOC_KEEPALIVE', errnoName: 'ENODEV', message: /went away/ });
});

test('KEEPALIVE on a driver without WDIOF_KEEPALIVEPING: EOPNOTSUPP', (t) => {
  const { dev } = fake({ options: WDIOF_SETTIMEOUT });
  watchdogError(t, () => dev.keepalive(), { op: 'WDIOC_KEEPALIVE', errnoName: 'EOPNOTSUPP' });
});

test('setOptions: DISABLECARD stops the timer, ENABLECARD starts it; nowayout refuses with EBUSY', (t) => {
  const { fd, dev } = fake();
  dev.setOptions(WDIOS_DISABLECARD);
  t.false(fd.running);
  dev.setOptions(WDIOS_ENABLECARD);
  t.true(fd.running);
  const stuck = fake({ nowayout: true });
  watchdogError(t, () => stuck.dev.setOptions(WDIOS_DISABLECARD), { op: 'WDIOC_SETOPTIONS', errnoName: 'EBUSY', message: /nowayout: the timer cannot be stopped/ });
  t.true(stuck.fd.running);
});

test('the int argument reaches the driver in native byte order', (t) => {
  const seen: Buffer[] = [];
  const fd = new FakeWatchdogFd({ maxTimeout: 100000 });
  const spy = { ioctl: (r: number, a: Buffer) => (seen.push(Buffer.from(a)), fd.ioctl(r, a)), write: (b: Buffer) => fd.write(b), close: () => fd.close() };
  new WatchdogDevice(spy, DEV).setTimeout(0x012345);
  t.deepEqual([...(seen[0] ?? [])], os.endianness() === 'LE' ? [0x45, 0x23, 0x01, 0x00] : [0x00, 0x01, 0x23, 0x45]);
});

test('magicClose writes exactly "V", then closes; the timer stops', (t) => {
  const { fd, dev } = fake();
  dev.keepalive();
  dev.magicClose();
  t.deepEqual(fd.events, ['ioctl WDIOC_KEEPALIVE', 'write V', 'close']);
  t.deepEqual(fd.writes, [Buffer.from('V')]);
  t.false(fd.running);
  t.true(dev.closed);
});

test('magicClose with nowayout: closed, and the timer keeps running (the kernel refuses to stop it)', (t) => {
  const { fd, dev } = fake({ nowayout: true });
  dev.magicClose();
  t.true(fd.closed);
  t.true(fd.running);
});

test('plain close leaves the timer running: the handover', (t) => {
  const { fd, dev } = fake();
  dev.setTimeout(600);
  dev.close();
  t.deepEqual(fd.events, ['ioctl WDIOC_SETTIMEOUT', 'close']);
  t.true(fd.running);
  t.is(fd.d.timeout, 600);
});

test('magicClose whose write fails still closes, and says the timer keeps running', (t) => {
  const { fd, dev } = fake({ writeErrno: E.EIO });
  watchdogError(t, () => dev.magicClose(), { op: 'magic close', errnoName: 'EIO', message: /closed without the magic character, the timer keeps running/ });
  t.deepEqual(fd.events, ['write V', 'close']);
  t.true(fd.closed);
  t.true(fd.running);
  t.true(dev.closed);
});

test('use after close: every call is a WatchdogError and nothing reaches the descriptor', (t) => {
  const { fd, dev } = fake();
  dev.close();
  const before = fd.events.length;
  const calls: [string, () => unknown][] = [
    ['WDIOC_GETSUPPORT', () => dev.info()],
    ['WDIOC_GETTIMEOUT', () => dev.getTimeout()],
    ['WDIOC_SETTIMEOUT', () => dev.setTimeout(10)],
    ['WDIOC_GETPRETIMEOUT', () => dev.getPretimeout()],
    ['WDIOC_SETPRETIMEOUT', () => dev.setPretimeout(1)],
    ['WDIOC_KEEPALIVE', () => dev.keepalive()],
    ['WDIOC_GETSTATUS', () => dev.status()],
    ['WDIOC_GETBOOTSTATUS', () => dev.bootStatus()],
    ['WDIOC_GETTIMELEFT', () => dev.timeLeft()],
    ['WDIOC_SETOPTIONS', () => dev.setOptions(WDIOS_DISABLECARD)],
    ['magic close', () => dev.magicClose()],
    ['close', () => dev.close()],
  ];
  for (const [op, fn] of calls) watchdogError(t, fn, { op, errnoName: 'EBADF', message: `${op} on /dev/watchdog0: EBADF (the device was already closed)` });
  t.is(fd.events.length, before);
});

test('a descriptor that throws (a raw exception) becomes a WatchdogError', (t) => {
  const boom = {
    ioctl: (): number => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    },
    write: (): number => 1,
    close: (): void => {
      throw Object.assign(new Error('EBADF: bad file descriptor, close'), { code: 'EBADF' });
    },
  };
  const dev = new WatchdogDevice(boom, DEV);
  watchdogError(t, () => dev.keepalive(), { op: 'WDIOC_KEEPALIVE', errnoName: 'EIO' });
  watchdogError(t, () => dev.close(), { op: 'close', errnoName: 'EBADF' });
  let closes = 0;
  const badWrite = {
    ioctl: (): number => 0,
    write: (): number => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
    close: (): void => void closes++,
  };
  watchdogError(t, () => new WatchdogDevice(badWrite, DEV).magicClose(), { op: 'magic close', errnoName: 'ENOSPC', message: /the timer keeps running/ });
  t.is(closes, 1);
});

// --- the real descriptor, on files that are not watchdogs ------------------

test('libc ioctl on a real descriptor: ENOTTY for a watchdog request, the int written in place for FIONREAD', (t) => {
  const file = path.join(dir, 'plain');
  fs.writeFileSync(file, 'eleven byte');
  const n = fs.openSync(file, fs.constants.O_WRONLY);
  const fd = libcWatchdogFd(n);
  t.is(fd.ioctl(WDIOC.GETSUPPORT, Buffer.alloc(WATCHDOG_INFO_SIZE)), -E.ENOTTY);
  const out = Buffer.alloc(4, 0xff);
  // FIONREAD on a regular file: the bytes left to read (asm-generic/ioctls.h 0x541B).
  t.is(fd.ioctl(0x541b, out), 0);
  t.is(out.readInt32LE(0), 11);
  t.is(fd.write(Buffer.from('V')), 1);
  const dev = new WatchdogDevice(fd, file);
  watchdogError(t, () => dev.info(), { op: 'WDIOC_GETSUPPORT', errnoName: 'ENOTTY', message: `WDIOC_GETSUPPORT on ${file}: ENOTTY (not an ioctl this driver knows)` });
  dev.close();
  t.is(fd.ioctl(WDIOC.KEEPALIVE, Buffer.alloc(4)), -E.EBADF);
  t.is(fd.write(Buffer.from('V')), -E.EBADF);
  // The write went to the file: proof the descriptor was the one opened.
  t.is(fs.readFileSync(file, 'utf8'), 'Vleven byte');
});

test('openWatchdog opens only character devices: a regular file, a missing node and a FIFO are refused unopened', (t) => {
  const file = path.join(dir, 'watchdog0');
  fs.writeFileSync(file, 'x');
  watchdogError(t, () => openWatchdog(file), { op: 'open', errnoName: 'ENODEV', message: `open on ${file}: ENODEV (not a character device)` });
  t.is(fs.readFileSync(file, 'utf8'), 'x');
  watchdogError(t, () => openWatchdog(path.join(dir, 'absent')), { op: 'open', errnoName: 'ENOENT', message: /no such device node/ });
  const fifo = path.join(dir, 'fifo');
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    // Opening a FIFO for writing with no reader would block forever.
    watchdogError(t, () => openWatchdog(fifo), { op: 'open', errnoName: 'ENODEV', message: /not a character device/ });
  } else {
    t.log('mkfifo unavailable: FIFO case not run');
  }
});

test('openWatchdog on /dev/null (a character device, not a watchdog): ioctls fail with ENOTTY, magic close works', (t) => {
  if (!fs.existsSync('/dev/null') || !fs.statSync('/dev/null').isCharacterDevice()) return t.pass('no /dev/null character device here');
  t.is(devNumber(fs.statSync('/dev/null', { bigint: true }).rdev), '1:3');
  const dev = openWatchdog('/dev/null');
  watchdogError(t, () => dev.info(), { op: 'WDIOC_GETSUPPORT', errnoName: 'ENOTTY' });
  watchdogError(t, () => dev.setTimeout(30), { op: 'WDIOC_SETTIMEOUT', errnoName: 'ENOTTY' });
  dev.magicClose();
  t.true(dev.closed);
});

test('devNumber splits dev_t the way glibc does, including large majors and minors', (t) => {
  t.is(devNumber(0x0103n), '1:3');
  t.is(devNumber(0x0a82n), '10:130');
  // major 248, minor 0: the dynamic watchdog major on many kernels.
  t.is(devNumber(0xf800n), '248:0');
  // major 0x1234, minor 0x56789: high bits of both live above bit 32 / 20.
  const rdev = (0x56789n & 0xffn) | ((0x1234n & 0xfffn) << 8n) | ((0x56789n & ~0xffn) << 12n) | ((0x1234n & ~0xfffn) << 32n);
  t.is(devNumber(rdev), `${0x1234}:${0x56789}`);
});
