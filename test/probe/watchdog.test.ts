// Watchdog probe on captured kernels (QEMU q35: i6300ESB without a device
// link + iTCO_wdt; Firecracker: none) and on small hand-written trees
// (softdog, AMT's alarm-only watchdog, a reset caused by the watchdog), plus
// bad input: garbage numbers, a directory where a file should be, binary data.

import test from 'ava';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorSink } from '../../agent/probe/errors.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { decodeWdiof, readWatchdogs } from '../../agent/probe/watchdog.ts';
import { parseSysInt } from '../../agent/probe/nics.ts';

const FIXTURES = path.resolve('test/fixtures');
const made: string[] = [];
test.after.always(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
const run = (root: string) => {
  const errs = new ErrorSink('watchdog');
  return { wds: readWatchdogs(new SysRoot(root), errs), errs: errs.list };
};
const fixture = (name: string) => run(path.join(FIXTURES, name));

function copy(name: string): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'wd-'));
  made.push(dst);
  fs.cpSync(path.join(FIXTURES, name), dst, { recursive: true, verbatimSymlinks: true });
  return dst;
}

test('qemu-q35: i6300ESB (no device link, found through its PCI function) and iTCO_wdt, both hardware', (t) => {
  const { wds, errs } = fixture('qemu-q35');
  t.deepEqual(errs, []);
  t.deepEqual(
    wds.map((w) => w.name),
    ['watchdog0', 'watchdog1'],
  );
  const [esb, tco] = wds;
  t.like(esb, {
    identity: 'i6300ESB timer',
    devNode: '/dev/watchdog0',
    driver: 'i6300ESB timer',
    module: 'i6300esb',
    driverSource: 'identity',
    pciAddress: '0000:00:02.0',
    kind: 'hardware',
    timeout: 30,
    pretimeout: 0,
    minTimeout: 1,
    maxTimeout: 2046,
    timeleft: null,
    nowayout: false,
    state: 'inactive',
    status: 0x200,
    bootstatus: 0,
    options: null,
    lastResetByWatchdog: false,
  });
  t.deepEqual(esb?.statusFlags, ['PRETIMEOUT']);
  t.deepEqual(esb?.bootstatusFlags, []);
  t.like(tco, {
    identity: 'iTCO_wdt',
    devNode: '/dev/watchdog1',
    driver: 'iTCO_wdt',
    module: 'iTCO_wdt',
    driverSource: 'device-link',
    pciAddress: '0000:00:1f.0',
    kind: 'hardware',
    timeout: 30,
    timeleft: 27,
    lastResetByWatchdog: false,
  });
});

test('this-machine (Firecracker): no watchdog at all', (t) => {
  const { wds, errs } = fixture('this-machine');
  t.deepEqual(wds, []);
  t.deepEqual(errs, []);
});

test('softdog only: a software watchdog with its options decoded', (t) => {
  const { wds, errs } = fixture('unit/softdog');
  t.deepEqual(errs, []);
  t.is(wds.length, 1);
  t.like(wds[0], { identity: 'Software Watchdog', kind: 'software', module: 'softdog', driver: null, driverSource: 'identity', devNode: '/dev/watchdog0', timeout: 60, maxTimeout: 65535, options: 0x8180 });
  t.deepEqual(wds[0]?.optionsFlags, ['SETTIMEOUT', 'MAGICCLOSE', 'KEEPALIVEPING']);
  t.deepEqual(wds[0]?.statusFlags, ['MAGICCLOSE', 'KEEPALIVEPING']);
});

test('iamt_wdt is alarm-only and sorts after the hardware TCO timer', (t) => {
  const { wds, errs } = fixture('unit/iamt-wdt');
  t.deepEqual(errs, []);
  t.deepEqual(
    wds.map((w) => [w.name, w.kind]),
    [
      ['watchdog1', 'hardware'],
      ['watchdog0', 'alarm-only'],
    ],
  );
  const amt = wds[1];
  t.like(amt, { identity: 'iamt_wdt', driver: 'mei_wdt', module: 'mei_wdt', driverSource: 'device-link', pciAddress: '0000:00:16.0', minTimeout: 120 });
  t.true(amt?.optionsFlags.includes('ALARMONLY'));
});

test('iamt_wdt without an options file (older kernels) is still alarm-only, from its identity', (t) => {
  const root = copy('unit/iamt-wdt');
  fs.rmSync(path.join(root, 'sys/class/watchdog/watchdog0/options'));
  const { wds } = run(root);
  t.is(wds.find((w) => w.name === 'watchdog0')?.kind, 'alarm-only');
  t.is(wds.find((w) => w.name === 'watchdog0')?.options, null);
});

test('an unknown driver that declares WDIOF_ALARMONLY in options is alarm-only', (t) => {
  const root = copy('unit/softdog');
  fs.writeFileSync(path.join(root, 'sys/class/watchdog/watchdog0/identity'), 'some vendor wdt\n');
  fs.writeFileSync(path.join(root, 'sys/class/watchdog/watchdog0/options'), '0x400\n');
  t.is(run(root).wds[0]?.kind, 'alarm-only');
  fs.writeFileSync(path.join(root, 'sys/class/watchdog/watchdog0/options'), '0x80\n');
  t.is(run(root).wds[0]?.kind, 'hardware');
});

test('bootstatus 32 = WDIOF_CARDRESET: the last reset was this watchdog', (t) => {
  const { wds, errs } = fixture('unit/wdt-cardreset');
  t.deepEqual(errs, []);
  t.like(wds[0], { identity: 'SP5100 TCO timer', driver: 'sp5100-tco', module: 'sp5100_tco', pciAddress: null, kind: 'hardware', bootstatus: 32, lastResetByWatchdog: true });
  t.deepEqual(wds[0]?.bootstatusFlags, ['CARDRESET']);
});

test('bootstatus written in hex and with other causes decodes the same way', (t) => {
  const root = copy('unit/wdt-cardreset');
  fs.writeFileSync(path.join(root, 'sys/class/watchdog/watchdog0/bootstatus'), '0x31\n');
  const w = run(root).wds[0];
  t.is(w?.bootstatus, 0x31);
  t.deepEqual(w?.bootstatusFlags, ['OVERHEAT', 'POWERUNDER', 'CARDRESET']);
  t.true(w?.lastResetByWatchdog);
});

test('bad input: garbage timeout and bootstatus become errors, the rest is still reported', (t) => {
  const root = copy('qemu-q35');
  fs.writeFileSync(path.join(root, 'sys/class/watchdog/watchdog0/timeout'), 'sixty\n');
  fs.writeFileSync(path.join(root, 'sys/class/watchdog/watchdog0/bootstatus'), '0xZZ\n');
  const { wds, errs } = run(root);
  t.deepEqual(
    errs.map((e) => [e.path, e.code]),
    [
      ['/sys/class/watchdog/watchdog0/bootstatus', 'MALFORMED'],
      ['/sys/class/watchdog/watchdog0/timeout', 'MALFORMED'],
    ],
  );
  t.is(wds.length, 2);
  t.like(wds[0], { name: 'watchdog0', identity: 'i6300ESB timer', timeout: null, bootstatus: null, lastResetByWatchdog: null, maxTimeout: 2046 });
  t.is(wds[1]?.timeout, 30);
});

test('bad input: a directory where identity should be, binary data in state', (t) => {
  const root = copy('qemu-q35');
  const identity = path.join(root, 'sys/class/watchdog/watchdog1/identity');
  fs.rmSync(identity);
  fs.mkdirSync(identity);
  fs.writeFileSync(path.join(root, 'sys/class/watchdog/watchdog0/state'), Buffer.from([0x61, 0, 0xff]));
  const { wds, errs } = run(root);
  t.true(errs.some((e) => e.path === '/sys/class/watchdog/watchdog1/identity' && e.code === 'EIO'), JSON.stringify(errs));
  t.true(errs.some((e) => e.path === '/sys/class/watchdog/watchdog0/state' && e.code === 'MALFORMED'));
  const tco = wds.find((w) => w.name === 'watchdog1');
  t.like(tco, { identity: null, driver: 'iTCO_wdt', kind: 'hardware', timeleft: 27 });
  t.is(wds.find((w) => w.name === 'watchdog0')?.state, null);
});

test('bad input: an unexpected state word and nowayout value are errors', (t) => {
  const root = copy('unit/softdog');
  fs.writeFileSync(path.join(root, 'sys/class/watchdog/watchdog0/state'), 'armed\n');
  fs.writeFileSync(path.join(root, 'sys/class/watchdog/watchdog0/nowayout'), '7\n');
  const { wds, errs } = run(root);
  t.deepEqual(errs.map((e) => e.path).sort(), ['/sys/class/watchdog/watchdog0/nowayout', '/sys/class/watchdog/watchdog0/state']);
  t.like(wds[0], { state: null, nowayout: null, timeout: 60 });
});

test('decodeWdiof names every UAPI bit and keeps unknown ones as hex', (t) => {
  t.deepEqual(decodeWdiof(0), []);
  t.deepEqual(decodeWdiof(0x20), ['CARDRESET']);
  t.deepEqual(decodeWdiof(0x8480), ['SETTIMEOUT', 'ALARMONLY', 'KEEPALIVEPING']);
  t.deepEqual(decodeWdiof(0x10800), ['0x10800']);
  t.deepEqual(decodeWdiof(0x4f), ['OVERHEAT', 'FANFAULT', 'EXTERN1', 'EXTERN2', 'POWEROVER']);
});

test('fuzz: any sysfs text parses to a finite number or null, never throws', (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => {
      const n = parseSysInt(s);
      return n === null || Number.isFinite(n);
    }),
  );
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => decodeWdiof(v).every((f) => /^[A-Z0-9]+$|^0x[0-9a-f]+$/.test(f))));
  t.pass();
});

test('fuzz: arbitrary bytes in every watchdog attribute never throw and keep the record well-formed', (t) => {
  const root = copy('unit/softdog');
  const dir = path.join(root, 'sys/class/watchdog/watchdog0');
  const attrs = fs.readdirSync(dir);
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 24 }), { minLength: attrs.length, maxLength: attrs.length }), (contents) => {
      attrs.forEach((a, i) => fs.writeFileSync(path.join(dir, a), contents[i] as Uint8Array));
      const { wds } = run(root);
      return (
        wds.length === 1 &&
        ['hardware', 'software', 'alarm-only'].includes(wds[0]?.kind ?? '') &&
        (wds[0]?.timeout === null || Number.isFinite(wds[0]?.timeout)) &&
        JSON.stringify(JSON.parse(JSON.stringify(wds))) === JSON.stringify(wds)
      );
    }),
    { numRuns: 60 },
  );
  t.pass();
});
