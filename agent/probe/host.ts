// Who this machine is, in the words of its own kernel: the report's `host` section.

import type { ErrorSink } from './errors.ts';
import type { SysRoot } from './sysroot.ts';

export interface HostReport {
  hostname: string | null;
  kernel: string | null;
  arch: string;
  bootId: string | null;
  bootMode: 'uefi' | 'bios';
  cpuModel: string | null;
  cpuCount: number | null;
  memTotalKiB: number | null;
  uptimeSec: number | null;
}

export function readHost(sys: SysRoot, errs: ErrorSink): HostReport {
  const cpuinfo = sys.textOr('/proc/cpuinfo') ?? '';
  const models = [...cpuinfo.matchAll(/^model name\s*:\s*(.+)$/gm)].map((m) => (m[1] as string).trim());
  const processors = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const mem = /^MemTotal:\s+(\d+)\s+kB$/m.exec(sys.textOr('/proc/meminfo') ?? '');
  const uptime = /^(\d+(?:\.\d+)?)\s/.exec(sys.textOr('/proc/uptime') ?? '');
  const bootId = sys.textOr('/proc/sys/kernel/random/boot_id') ?? null;
  if (bootId !== null && !/^[0-9a-f-]{36}$/.test(bootId)) {
    errs.add('/proc/sys/kernel/random/boot_id', 'MALFORMED', 'boot_id is not a UUID');
  }
  return {
    hostname: sys.textOr('/proc/sys/kernel/hostname') ?? null,
    kernel: sys.textOr('/proc/sys/kernel/osrelease') ?? null,
    arch: process.arch === 'x64' ? 'x86_64' : process.arch,
    bootId: bootId !== null && /^[0-9a-f-]{36}$/.test(bootId) ? bootId : null,
    bootMode: sys.exists('/sys/firmware/efi') ? 'uefi' : 'bios',
    cpuModel: models[0] ?? null,
    cpuCount: processors > 0 ? processors : null,
    memTotalKiB: mem ? Number(mem[1]) : null,
    uptimeSec: uptime ? Number(uptime[1]) : null,
  };
}
