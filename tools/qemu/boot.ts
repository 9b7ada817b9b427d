// What a VM boots: a kernel + initramfs directly (fast, and the only way to
// pass a command line), or the UKI through OVMF like a real node's firmware.
// Defaults to the image `make image` writes.

import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BootSource } from './qemu-args.ts';

export const IMAGE_OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../../image/out');

/** Debian's ovmf package (12): the 4 MiB builds without Secure Boot, which need no SMM. */
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export type BootRequest =
  | { kind: 'kernel'; kernel: string; initrd?: string; append?: string }
  | { kind: 'uefi'; efi: string };

/**
 * systemd in an initrd starts initrd.target unless told otherwise, and would wait
 * for a root file system the preboot does not have; the UKI embeds this too.
 */
export const PREBOOT_UNIT = 'rd.systemd.unit=fortros-preboot.target';

/** The image's kernel and initramfs with the preboot's unit; `append` follows (e.g. fortros.agent=report). */
export function imageKernel(append = ''): BootRequest {
  return { kind: 'kernel', kernel: join(IMAGE_OUT, 'vmlinuz'), initrd: join(IMAGE_OUT, 'initramfs.img'), append: [PREBOOT_UNIT, append].filter(Boolean).join(' ') };
}

export function imageUki(): BootRequest {
  return { kind: 'uefi', efi: join(IMAGE_OUT, 'agent.efi') };
}

function need(path: string, what: string): void {
  if (!existsSync(path)) throw new Error(`${what} ${path} does not exist${path.startsWith(IMAGE_OUT) ? ' (run `make image`)' : ''}`);
}

/**
 * Turns a request into what QEMU needs, preparing per-VM files in `dir`: the
 * UKI as EFI/BOOT/BOOTX64.EFI of a directory QEMU presents as a FAT disk, and
 * a private copy of the OVMF variable store (firmware writes to it).
 */
export function prepareBoot(req: BootRequest, dir: string): BootSource {
  if (req.kind === 'kernel') {
    need(req.kernel, 'kernel');
    if (req.initrd) need(req.initrd, 'initramfs');
    // The harness reads the console on the first serial port.
    const append = ['console=ttyS0', req.append ?? ''].filter((s) => s.length > 0).join(' ');
    return req.initrd ? { kind: 'kernel', kernel: req.kernel, initrd: req.initrd, append } : { kind: 'kernel', kernel: req.kernel, append };
  }
  need(req.efi, 'UKI');
  need(OVMF_CODE, 'OVMF firmware (Debian package ovmf)');
  const espDir = join(dir, 'esp');
  mkdirSync(join(espDir, 'EFI', 'BOOT'), { recursive: true });
  copyFileSync(req.efi, join(espDir, 'EFI', 'BOOT', 'BOOTX64.EFI'));
  const vars = join(dir, 'OVMF_VARS.fd');
  copyFileSync(OVMF_VARS, vars);
  return { kind: 'uefi', code: OVMF_CODE, vars, espDir };
}
