// The harness CLI as a person runs it: boot streams the console and returns
// when the guest powers off; fleet prefixes each VM's lines; mistakes exit 2.

import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { guestBoot, missing, processesMentioning, testKernel } from './env.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'tools/qemu/cli.ts', ...args], { cwd: ROOT, timeout: 180_000 });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

test('usage mistakes exit 2 with the usage text', async (t) => {
  for (const args of [[], ['boot'], ['fleet', 'vps'], ['boot', 'vps', '--initrd', '/x'], ['boot', 'vps', '--uefi', '/a.efi', '--kernel', '/k'], ['boot', 'vps', '--bogus']]) {
    const r = await cli(...args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.err, /usage:/);
  }
  const p = await cli('profiles');
  t.is(p.code, 0);
  t.deepEqual(
    p.out
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[0]),
    ['amt-desktop', 'hap-disabled', 'server-bmc', 'server-bmc-oob', 'vps'],
  );
});

test('a missing kernel is a failure (1) that names the file', async (t) => {
  const r = await cli('boot', 'vps', '--kernel', '/nonexistent/vmlinuz');
  t.is(r.code, 1);
  t.regex(r.err, /\/nonexistent\/vmlinuz does not exist/);
});

const skip = missing('qemu-system-x86_64');
const kernel = skip ? skip : testKernel();
if (typeof kernel === 'string') test(`CLI boots (skipped: ${kernel})`, (t) => t.pass());
else {
  const script = 'echo "hello from $(cat /sys/class/dmi/id/sys_vendor) $(cat /proc/cmdline | grep -o "node=[0-9]*")"\npoweroff -f';

  test.serial('boot: streams the console and exits 0 when the guest powers off', async (t) => {
    const b = guestBoot(t, kernel, { modules: [], script });
    if (b.kind !== 'kernel' || !b.initrd) return t.fail();
    const r = await cli('boot', 'vps', '--kernel', b.kernel, '--initrd', b.initrd, '--append', 'node=7', '--timeout', '120');
    t.is(r.code, 0, r.err);
    t.regex(r.out, /hello from DigitalOcean node=7/);
    t.regex(r.err, /vps-0 in \/tmp\/fq-/);
  });

  test.serial('fleet: every VM streams with its name, all power off', async (t) => {
    const b = guestBoot(t, kernel, { modules: [], script });
    if (b.kind !== 'kernel' || !b.initrd) return t.fail();
    const r = await cli('fleet', 'vps', '2', '--kernel', b.kernel, '--initrd', b.initrd, '--timeout', '120');
    t.is(r.code, 0, r.err);
    t.regex(r.out, /^\[vps-0\] hello from DigitalOcean/m);
    t.regex(r.out, /^\[vps-1\] hello from DigitalOcean/m);
  });

  test.serial('boot: a guest that never powers off times out with 1, and nothing is left running', async (t) => {
    const b = guestBoot(t, kernel, { modules: [], script: 'exec sleep 3600' });
    if (b.kind !== 'kernel' || !b.initrd) return t.fail();
    const r = await cli('boot', 'vps', '--kernel', b.kernel, '--initrd', b.initrd, '--timeout', '3');
    t.is(r.code, 1);
    t.regex(r.err, /still running after 3/);
    const dir = /vps-0 in (\S+)/.exec(r.err)?.[1];
    t.truthy(dir);
    t.deepEqual(processesMentioning(dir as string), []);
  });
}
