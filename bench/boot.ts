// Time from QEMU's start to the report's END marker, per harness profile, beside
// the floor: the same kernel, the same profile's devices and an initramfs that is
// only busybox printing a marker. The difference is what the preboot costs:
// unpacking the initramfs, systemd to its target, Node starting, the probes.
// Runs are interleaved (floor, image, floor, image...) so drift hits both.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageKernel, IMAGE_OUT } from '../tools/qemu/boot.ts';
import { newcArchive } from '../tools/qemu/guest/cpio.ts';
import { loadProfile } from '../tools/qemu/profile.ts';
import { startVm } from '../tools/qemu/vm.ts';
import type { BootRequest } from '../tools/qemu/boot.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PROFILES = (process.env.BENCH_PROFILES ?? 'amt-desktop,server-bmc,vps,hap-disabled').split(',');
const BUSYBOX = '/bin/busybox';
const TIMEOUT_MS = 300_000;

const work = mkdtempSync('/tmp/bench-boot-');
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const floorInitrd = join(work, 'floor.cpio');
writeFileSync(
  floorInitrd,
  newcArchive([
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: 'bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 },
    { kind: 'file', path: 'init', data: Buffer.from('#!/bin/busybox sh\n/bin/busybox echo FLOOR-DONE\n/bin/busybox poweroff -f\n'), mode: 0o755 },
  ]),
);
const floor: BootRequest = { kind: 'kernel', kernel: join(IMAGE_OUT, 'vmlinuz'), initrd: floorInitrd, append: 'quiet' };
const image = imageKernel('fortros.agent=report');

async function timeBoot(profile: string, boot: BootRequest, marker: RegExp): Promise<number> {
  const t0 = process.hrtime.bigint();
  const vm = await startVm(loadProfile(profile), { boot });
  try {
    await vm.waitForSerial(marker, TIMEOUT_MS);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  } finally {
    await vm.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

const rows: { profile: string; floor: number; image: number }[] = [];
for (const profile of PROFILES) {
  const f: number[] = [];
  const i: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    f.push(await timeBoot(profile, floor, /FLOOR-DONE\r?\n/));
    i.push(await timeBoot(profile, image, /-----END FORTROS REPORT-----\r?\n/));
  }
  rows.push({ profile, floor: median(f), image: median(i) });
}

// Where one image boot's time goes: console milestones, timed as they arrive from QEMU's start.
const MILESTONES: [RegExp, string][] = [
  [/Linux version/, 'kernel starts'],
  [/Trying to unpack rootfs|Unpacking initramfs/, 'initramfs unpack begins'],
  [/Freeing initrd memory/, 'initramfs unpacked'],
  [/systemd 2\d\d|Welcome to/, 'systemd starts'],
  [/Reached target.*Basic System/, 'basic.target'],
  [/report done/, 'agent: report done'],
  [/-----END FORTROS REPORT-----/, 'END marker'],
];
const breakdownProfile = process.env.BENCH_BREAKDOWN ?? PROFILES[0] ?? 'server-bmc';
const seen: string[] = [];
{
  const t0 = process.hrtime.bigint();
  const vm = await startVm(loadProfile(breakdownProfile), { boot: imageKernel('fortros.agent=report') });
  let out = '';
  const done = new Set<string>();
  vm.serial.subscribe((chunk) => {
    out += chunk;
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    for (const [re, name] of MILESTONES) {
      if (!done.has(name) && re.test(out)) {
        done.add(name);
        seen.push(`${(ms / 1000).toFixed(2).padStart(7)} s  ${name}`);
      }
    }
  });
  try {
    await vm.waitForSerial(/-----END FORTROS REPORT-----\r?\n/, TIMEOUT_MS);
  } finally {
    await vm.stop();
  }
}

const initrd = join(IMAGE_OUT, 'initramfs.img');
const unpacked = execFileSync('sh', ['-c', `zstd -dc '${initrd}' | wc -c`]).toString().trim();
console.log(`boot benchmark: QEMU start to the report's END marker, median of ${RUNS}, TCG, 1 vCPU (${execFileSync('nproc').toString().trim()} host cores)`);
console.log(`${'profile'.padEnd(16)} ${'floor s'.padStart(8)} ${'image s'.padStart(8)} ${'x floor'.padStart(8)}`);
for (const r of rows) console.log(`${r.profile.padEnd(16)} ${(r.floor / 1000).toFixed(2).padStart(8)} ${(r.image / 1000).toFixed(2).padStart(8)} ${(r.image / r.floor).toFixed(2).padStart(8)}`);
console.log(`image: vmlinuz ${mib(statSync(join(IMAGE_OUT, 'vmlinuz')).size)} MiB, initramfs.img ${mib(statSync(initrd).size)} MiB compressed (${mib(Number(unpacked))} MiB unpacked), agent.efi ${mib(statSync(join(IMAGE_OUT, 'agent.efi')).size)} MiB`);
console.log(`one ${breakdownProfile} boot, console milestones from QEMU's start:`);
for (const line of seen) console.log(line);
const worst = Math.max(...rows.map((r) => r.image / r.floor));
const size = statSync(initrd).size / 2 ** 20;
console.log(`targets: boot <= 1.50x floor -> ${worst.toFixed(2)}x ${worst <= 1.5 ? 'met' : 'MISSED'}; initramfs <= 40 MiB compressed -> ${size.toFixed(1)} MiB ${size <= 40 ? 'met' : 'MISSED'}`);
process.exit(0);
