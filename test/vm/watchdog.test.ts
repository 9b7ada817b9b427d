// The hardware watchdog proven on QEMU's i6300ESB with -action watchdog=reset:
// the preboot's agent arms it and keeps it fed while healthy; stopping the
// agent, failing a health check or overrunning a boot stage each stop the
// feeding, QMP reports WATCHDOG and the VM resets; after the reset the report
// says the last reset was the watchdog's.

import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { imageKernel, IMAGE_OUT } from '../../tools/qemu/boot.ts';
import { loadProfile, type Profile } from '../../tools/qemu/profile.ts';
import { startVm, type Vm } from '../../tools/qemu/vm.ts';
import type { Report } from '../../agent/probe/report.ts';
import { missing } from '../harness/env.ts';

const TIMEOUT_SEC = 5;
const BOOT_MS = 240_000;
const why = missing('qemu-system-x86_64', 'swtpm') ?? (existsSync(`${IMAGE_OUT}/initramfs.img`) ? null : 'image/out/initramfs.img missing: run `make image` (make test does)');
const serial = why ? test.skip : test.serial;
if (why) console.log(`test/vm/watchdog: skipped: ${why}`);

function profileWith(watchdog: Record<string, unknown>): Profile {
  const base = loadProfile('server-bmc');
  const config = { node: { name: 'wd-node' }, watchdog: { timeoutSec: TIMEOUT_SEC, ...watchdog } };
  return { ...base, fwCfg: [{ name: 'opt/fortros/config', string: JSON.stringify(config) }] };
}

async function withVm(t: ExecutionContext, watchdog: Record<string, unknown>, fn: (vm: Vm) => Promise<void>): Promise<void> {
  t.timeout(BOOT_MS + 180_000);
  const vm = await startVm(profileWith(watchdog), { boot: imageKernel('fortros.agent=run fortros.debug=shell') });
  try {
    await fn(vm);
  } finally {
    await vm.stop();
  }
}

/** Waits for "watchdog armed" and returns the line's figures. */
async function armed(t: ExecutionContext, vm: Vm): Promise<{ device: string; sinceMainMs: number; sinceProcessStartMs: number }> {
  const m = await vm.waitForSerial(/watchdog armed device=(\S+).*sinceMainMs=(\d+) sinceProcessStartMs=(\d+)/, BOOT_MS);
  const r = { device: m[1] as string, sinceMainMs: Number(m[2]), sinceProcessStartMs: Number(m[3]) };
  t.log(`armed ${r.device}: ${r.sinceMainMs} ms after main(), ${r.sinceProcessStartMs} ms after the process started (TCG)`);
  t.regex(vm.serial.output(), /identity="?i6300ESB timer/);
  return r;
}

/** Time from `since` (ms, performance.now()) to QMP's WATCHDOG event, then the RESET that follows. */
async function resetAfter(t: ExecutionContext, vm: Vm, mark: number, since: number, what: string): Promise<number> {
  await vm.qmp.waitFor('WATCHDOG', undefined, (TIMEOUT_SEC + 30) * 1000, mark);
  const ms = performance.now() - since;
  await vm.qmp.waitFor('RESET', undefined, 30_000, mark);
  t.log(`${what}: WATCHDOG ${Math.round(ms)} ms later`);
  return ms;
}

/** After the reset the agent comes back; its report (run from the shell) must name the watchdog reset. */
async function reportAfterReset(vm: Vm, since: number): Promise<Report> {
  await vm.waitForSerial(/watchdog armed/, BOOT_MS, since);
  const at = vm.serial.mark();
  vm.sendSerial('/usr/bin/agent report --json --frame 2>/dev/null\n');
  const m = await vm.waitForSerial(/-----BEGIN FORTROS REPORT-----\r?\n(\{.*\})\r?\n-----END FORTROS REPORT-----/, 120_000, at);
  return JSON.parse(m[1] as string) as Report;
}

serial('armed and healthy: the VM stays up for 3x the timeout; no reset was a watchdog reset', async (t) => {
  await withVm(t, {}, async (vm) => {
    await armed(t, vm);
    const mark = vm.qmp.mark();
    await new Promise((r) => setTimeout(r, 3 * TIMEOUT_SEC * 1000));
    t.deepEqual(vm.qmp.eventsSince(mark).filter((e) => e.event === 'WATCHDOG' || e.event === 'RESET'), []);
    t.is((await vm.qmp.status()).status, 'running');
  });
});

serial('agent stopped (kill -STOP): WATCHDOG within timeout + 2 s, reset, and the report says so', async (t) => {
  await withVm(t, {}, async (vm) => {
    await armed(t, vm);
    const mark = vm.qmp.mark();
    const serialMark = vm.serial.mark();
    vm.sendSerial('kill -STOP $(pidof agent)\n');
    const since = performance.now();
    const ms = await resetAfter(t, vm, mark, since, 'kill -STOP');
    t.true(ms <= (TIMEOUT_SEC + 2) * 1000, `${ms} ms`);
    const r = await reportAfterReset(vm, serialMark);
    const esb = r.watchdogs.find((w) => w.identity === 'i6300ESB timer');
    t.true(esb?.lastResetByWatchdog, JSON.stringify(esb));
  });
});

serial('a failing health check stops the feeding: same reset', async (t) => {
  const file = '/usr/lib/modules-load.d/fortros.conf';
  await withVm(t, { checks: [{ kind: 'file', path: file }], checkIntervalSec: 1 }, async (vm) => {
    await armed(t, vm);
    await vm.waitForSerial(/agent ready/, BOOT_MS);
    const mark = vm.qmp.mark();
    vm.sendSerial(`rm ${file}\n`);
    const since = performance.now();
    const ms = await resetAfter(t, vm, mark, since, 'failing check');
    t.regex(vm.serial.output(), /watchdog not fed: node unhealthy.*check file/);
    // The check runs every second and the feeding every timeout/3: both delay the stop.
    t.true(ms <= (TIMEOUT_SEC + 1 + TIMEOUT_SEC / 3 + 2) * 1000, `${ms} ms`);
  });
});

serial('a preboot stage that overruns its deadline stops the feeding: same reset', async (t) => {
  await withVm(t, { stageDeadlinesSec: { probe: 0.001 } }, async (vm) => {
    await armed(t, vm);
    const mark = vm.qmp.mark();
    await vm.waitForSerial(/probe done/, BOOT_MS);
    const since = performance.now();
    await resetAfter(t, vm, mark, since, 'stage overrun');
    t.regex(vm.serial.output(), /boot stage probe overran its 1 ms deadline/);
  });
});
