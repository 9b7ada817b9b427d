// A harness that dies with VMs running leaves no QEMU, swtpm or ipmi_sim
// behind, whichever way it dies: an uncaught exception, process.exit, SIGTERM,
// SIGINT, even SIGKILL (where no handler runs: the parent-death signal does it).
// Checked in /proc.

import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { harnessNamespaces } from '../../tools/qemu/net.ts';
import { registered, registerCleanup, reapAll } from '../../tools/qemu/reaper.ts';
import { guestBoot, missing, processesMentioning, testKernel } from './env.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const skip = missing('qemu-system-x86_64', 'swtpm', 'ipmi_sim', 'setpriv');
const kernel = skip ? skip : testKernel();

interface Started {
  dirs: string[];
  ns: string | null;
  pids: (number | null)[];
}

async function runChild(t: import('ava').ExecutionContext, mode: string, kill?: NodeJS.Signals) {
  if (typeof kernel === 'string') throw new Error(kernel);
  const boot = guestBoot(t, kernel, { modules: [], script: 'exec sleep 3600' });
  if (boot.kind !== 'kernel' || !boot.initrd) throw new Error('unexpected boot request');
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'child-vms.ts'), mode, boot.kernel, boot.initrd], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 60_000;
  while (!out.includes('\n')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`child never reported its VMs:\n${out}\n${err}`);
    await sleep(50);
  }
  const started = JSON.parse(out.split('\n')[0] as string) as Started;
  t.teardown(() => {
    // Only what a SIGKILL legitimately leaves: directories and the namespace, never processes.
    for (const d of started.dirs) rmSync(dirname(d), { recursive: true, force: true });
    if (started.ns && harnessNamespaces().includes(started.ns)) spawn('ip', ['netns', 'del', started.ns]);
  });
  for (const d of started.dirs) t.true(processesMentioning(d).length > 0, `nothing running for ${d} before the failure`);
  if (kill) child.kill(kill);
  else child.stdin.write('fail now\n');
  const how = await exited;
  // The kernel delivers the parent-death signal at once; allow a moment for the exits to be visible.
  let left: string[] = [];
  for (let i = 0; i < 50; i++) {
    left = started.dirs.flatMap((d) => processesMentioning(d));
    if (left.length === 0) break;
    await sleep(100);
  }
  return { started, how, left, err };
}

if (typeof kernel === 'string') test(`reaping (skipped: ${kernel})`, (t) => t.pass());
else {
  test.serial('uncaught exception: QEMU, swtpm and ipmi_sim are killed, dirs and namespace removed', async (t) => {
    const r = await runChild(t, 'throw');
    t.is(r.how.code, 1);
    t.regex(r.err, /deliberate failure/);
    t.deepEqual(r.left, []);
    for (const d of r.started.dirs) t.false(existsSync(d));
    if (r.started.ns) t.false(harnessNamespaces().includes(r.started.ns));
    t.is(r.started.pids.filter((pid) => pid !== null).length, 2);
  });

  test.serial('process.exit with VMs running', async (t) => {
    const r = await runChild(t, 'exit');
    t.is(r.how.code, 3);
    t.deepEqual(r.left, []);
  });

  test.serial('SIGTERM: handlers reap, then the process dies by the signal', async (t) => {
    const r = await runChild(t, 'wait', 'SIGTERM');
    t.is(r.how.signal, 'SIGTERM');
    t.deepEqual(r.left, []);
    if (r.started.ns) t.false(harnessNamespaces().includes(r.started.ns));
  });

  test.serial('SIGINT', async (t) => {
    const r = await runChild(t, 'wait', 'SIGINT');
    t.is(r.how.signal, 'SIGINT');
    t.deepEqual(r.left, []);
  });

  test.serial('SIGKILL: no handler runs, the parent-death signal still takes every child down', async (t) => {
    const r = await runChild(t, 'wait', 'SIGKILL');
    t.is(r.how.signal, 'SIGKILL');
    t.deepEqual(r.left, []);
  });
}

test('registerCleanup: reapAll runs what is registered, newest first, once', (t) => {
  const order: string[] = [];
  registerCleanup('test a', () => order.push('a'));
  const unregister = registerCleanup('test b', () => order.push('b'));
  registerCleanup('test c', () => order.push('c'));
  unregister();
  t.deepEqual(
    registered().filter((l) => l.startsWith('test ')),
    ['test a', 'test c'],
  );
  reapAll();
  reapAll();
  t.deepEqual(order, ['c', 'a']);
});
