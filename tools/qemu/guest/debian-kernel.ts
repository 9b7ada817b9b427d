// Debian's own kernel and busybox for test guests, until the real image exists
// (and for tests that only need the emulated hardware to show up). The .debs
// come from `apt-get download`, are unpacked with dpkg-deb and never installed;
// both are cached under image/out/cache/harness-debs (gitignored).

import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_OUT } from '../boot.ts';
import { parseModulesDep } from './modules.ts';

export const DEFAULT_CACHE = join(IMAGE_OUT, 'cache', 'harness-debs');

export interface DebianKernel {
  version: string;
  vmlinuz: string;
  /** lib/modules/<version> of the unpacked package. */
  modulesDir: string;
  /** A static busybox for the initramfs. */
  busybox: string;
  /** modules.dep, parsed. */
  deps: Map<string, string[]>;
}

function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
}

/** The versioned package behind the linux-image-amd64 metapackage. */
function kernelPackage(): string | null {
  try {
    const out = sh('apt-cache', ['depends', 'linux-image-amd64']);
    return /Depends:\s+(linux-image-[0-9][^\s]*)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

function cached(dir: string, prefix: string): string | null {
  if (!existsSync(dir)) return null;
  const hits = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.deb'))
    .sort();
  return hits.length > 0 ? join(dir, hits[hits.length - 1] as string) : null;
}

/** Downloads into a private directory, then moves in: test files running in parallel may fetch at once. */
function download(dir: string, pkg: string): void {
  const tmp = mkdtempSync(join(dir, '.dl-'));
  try {
    sh('apt-get', ['download', pkg], tmp);
    for (const f of readdirSync(tmp)) if (f.endsWith('.deb')) renameSync(join(tmp, f), join(dir, f));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Unpacks once; `prepare` runs on the fresh tree before it appears under its final name. */
function unpacked(deb: string, dir: string, prepare: (root: string) => void = () => undefined): string {
  const target = join(dir, 'unpacked', deb.slice(deb.lastIndexOf('/') + 1, -4));
  if (existsSync(target)) return target;
  mkdirSync(join(dir, 'unpacked'), { recursive: true });
  const tmp = mkdtempSync(join(dir, 'unpacked', '.x-'));
  sh('dpkg-deb', ['-x', deb, tmp]);
  prepare(tmp);
  try {
    renameSync(tmp, target);
  } catch {
    // Another process finished the same unpacking first.
    rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

export function debianKernel(cacheDir = DEFAULT_CACHE): DebianKernel {
  mkdirSync(cacheDir, { recursive: true });
  const pkg = kernelPackage();
  let kdeb = cached(cacheDir, pkg ?? 'linux-image-');
  // `make image` downloads the same package into image/out/cache first: link it, not a second 68 MB fetch.
  const fromImage = kdeb ? null : cached(join(IMAGE_OUT, 'cache'), pkg ?? 'linux-image-');
  if (fromImage) {
    linkSync(fromImage, join(cacheDir, fromImage.slice(fromImage.lastIndexOf('/') + 1)));
    kdeb = cached(cacheDir, pkg ?? 'linux-image-');
  }
  if (!kdeb) {
    if (!pkg) throw new Error('cannot resolve linux-image-amd64 (run apt-get update)');
    download(cacheDir, pkg);
    kdeb = cached(cacheDir, pkg);
  }
  let bdeb = cached(cacheDir, 'busybox-static_');
  if (!bdeb) {
    download(cacheDir, 'busybox-static');
    bdeb = cached(cacheDir, 'busybox-static_');
  }
  if (!kdeb || !bdeb) throw new Error(`apt-get download left no kernel or busybox .deb in ${cacheDir}`);

  const busybox = join(unpacked(bdeb, cacheDir), 'bin', 'busybox');
  const versionOf = (root: string): string => {
    const versions = readdirSync(join(root, 'lib', 'modules'));
    if (versions.length !== 1 || versions[0] === undefined) throw new Error(`${root}: expected one kernel version, found ${versions.join(', ')}`);
    return versions[0];
  };
  // The package ships no modules.dep (its postinst runs depmod); busybox's depmod writes one.
  const kroot = unpacked(kdeb, cacheDir, (root) => sh(busybox, ['depmod', '-b', root, versionOf(root)]));
  const version = versionOf(kroot);
  const modulesDir = join(kroot, 'lib', 'modules', version);
  const depFile = join(modulesDir, 'modules.dep');
  return { version, vmlinuz: join(kroot, 'boot', `vmlinuz-${version}`), modulesDir, busybox, deps: parseModulesDep(readFileSync(depFile, 'utf8')) };
}
