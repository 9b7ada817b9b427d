// A minimal test guest: busybox, the kernel modules a test names (with their
// dependencies) and an init that mounts the kernel filesystems, loads them and
// then runs the test's script. The script's output is the serial console.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newcArchive, type CpioEntry } from './cpio.ts';
import type { DebianKernel } from './debian-kernel.ts';
import { loadOrder } from './modules.ts';

export interface GuestSpec {
  /** Module names to load, e.g. ["i6300esb", "ipmi_si", "ipmi_devintf"]; dependencies are added first. */
  modules: readonly string[];
  /** Shell (busybox ash) run as PID 1's last step; end it with `poweroff -f` or `exec sh` for an interactive console. */
  script: string;
  /** Extra files by absolute guest path. */
  files?: Readonly<Record<string, string | Uint8Array>>;
}

const PRELUDE = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin /run
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Kernel messages would interleave with what the script prints.
dmesg -n 1
while read -r m; do
	insmod "/modules/$m" || echo "init: insmod $m failed"
done </modules.list
`;

export function guestInitramfs(k: DebianKernel, spec: GuestSpec): Buffer {
  const order = loadOrder(k.deps, spec.modules);
  const entries: CpioEntry[] = [
    { kind: 'dir', path: 'bin' },
    { kind: 'dir', path: 'modules' },
    { kind: 'file', path: 'bin/busybox', data: readFileSync(k.busybox), mode: 0o755 },
    { kind: 'file', path: 'init', data: Buffer.from(`${PRELUDE}\n${spec.script}\n`), mode: 0o755 },
  ];
  const names = order.map((rel) => rel.slice(rel.lastIndexOf('/') + 1));
  if (new Set(names).size !== names.length) throw new Error('two modules share a file name');
  order.forEach((rel, i) => entries.push({ kind: 'file', path: `modules/${names[i]}`, data: readFileSync(join(k.modulesDir, rel)) }));
  entries.push({ kind: 'file', path: 'modules.list', data: Buffer.from(names.map((n) => `${n}\n`).join('')) });
  const dirs = new Set<string>(['bin', 'modules']);
  for (const [path, data] of Object.entries(spec.files ?? {})) {
    const rel = path.replace(/^\/+/, '');
    const parts = rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ kind: 'dir', path: d });
      }
    }
    entries.push({ kind: 'file', path: rel, data: typeof data === 'string' ? Buffer.from(data) : data, mode: 0o755 });
  }
  return newcArchive(entries);
}
