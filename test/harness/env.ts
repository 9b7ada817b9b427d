// What the VM tests need from the machine, and the guest they boot until the
// real image exists: Debian's kernel with a busybox initramfs built per test.

import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { BootRequest } from '../../tools/qemu/boot.ts';
import { debianKernel, type DebianKernel } from '../../tools/qemu/guest/debian-kernel.ts';
import { guestInitramfs, type GuestSpec } from '../../tools/qemu/guest/initramfs.ts';

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the tools named cannot run here, or null. */
export function missing(...tools: string[]): string | null {
  const absent = tools.filter((tool) => !onPath(tool));
  return absent.length > 0 ? `not installed: ${absent.join(', ')}` : null;
}

let kernel: DebianKernel | null | undefined;
let kernelError = '';

/** Debian's kernel (downloaded once with apt-get download, then cached), or why not. */
export function testKernel(): DebianKernel | string {
  if (kernel === undefined) {
    try {
      kernel = debianKernel();
    } catch (err) {
      kernel = null;
      kernelError = (err as Error).message;
    }
  }
  return kernel ?? `no Debian kernel for the test guest: ${kernelError}`;
}

/** Builds the guest's initramfs in a temporary file removed after the test; returns what to boot. */
export function guestBoot(t: ExecutionContext, k: DebianKernel, spec: GuestSpec, append = ''): BootRequest {
  const dir = mkdtempSync('/tmp/fq-initrd-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const initrd = join(dir, 'initrd.cpio');
  writeFileSync(initrd, guestInitramfs(k, spec));
  return { kind: 'kernel', kernel: k.vmlinuz, initrd, append };
}

/** Lines between two marker lines of the serial output, CRs removed. */
export function between(text: string, begin: string, end: string): string {
  const clean = text.replaceAll('\r', '');
  const a = clean.indexOf(`${begin}\n`);
  const b = clean.indexOf(`\n${end}`, a);
  if (a < 0 || b < 0) throw new Error(`no ${begin} ... ${end} block in the serial output`);
  return clean.slice(a + begin.length + 1, b);
}

/**
 * Live (not zombie) processes in /proc whose command line mentions `needle`
 * (a work directory), as "pid command line".
 */
export function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const state = /^\S+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
      if (cmdline.includes(needle) && state !== 'Z') found.push(`${pid} ${cmdline}`);
    } catch {
      // The process exited while we looked.
    }
  }
  return found;
}
