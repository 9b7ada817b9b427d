// Watchdog devices from /sys/class/watchdog: what each one is, whether it can
// reset the machine, its timeouts, and whether it caused the last reset.
//
// Attributes per Documentation/ABI/testing/sysfs-class-watchdog; `status` and
// `options` are printed "0x%x", `bootstatus` "%u" (drivers/watchdog/watchdog_dev.c).
// Some drivers register without a parent (kernel 6.1's i6300esb, see
// test/fixtures/qemu-q35/README.md), so there is no `device` link and the
// driver is recognised from `identity` instead.

import { ErrorSink } from './errors.ts';
import type { SysRoot } from './sysroot.ts';
import { followDevice, isDir, PCI_ADDRESS, pciFunctionOf, readIntAttr, readPciIds } from './nics.ts';
import type { WatchdogIoctl } from './watchdog-ioctl.ts';

export type WatchdogKind = 'hardware' | 'software' | 'alarm-only';

export interface Watchdog {
  name: string;
  /** `/dev/watchdogN` when that node exists. */
  devNode: string | null;
  identity: string | null;
  /** Bound driver's name as sysfs shows it. */
  driver: string | null;
  /** Kernel module that provides it, from the identity table (null when unknown). */
  module: string | null;
  /** How `driver` was found: the `device/driver` link, or the identity table plus the PCI function. */
  driverSource: 'device-link' | 'identity' | null;
  /** The PCI function it sits on or below (iTCO_wdt: the LPC bridge). */
  pciAddress: string | null;
  kind: WatchdogKind;
  timeout: number | null;
  pretimeout: number | null;
  minTimeout: number | null;
  maxTimeout: number | null;
  timeleft: number | null;
  nowayout: boolean | null;
  state: 'active' | 'inactive' | null;
  status: number | null;
  statusFlags: string[];
  bootstatus: number | null;
  bootstatusFlags: string[];
  /** WDIOF_* the driver supports (the `options` file, newer kernels). */
  options: number | null;
  optionsFlags: string[];
  /** WDIOF_CARDRESET in bootstatus; null when bootstatus could not be read. */
  lastResetByWatchdog: boolean | null;
  /** What the driver answered through ioctl (watchdog-ioctl.ts); null here: only the report opens devices. */
  ioctl: WatchdogIoctl | null;
}

/** WDIOF_* bits, include/uapi/linux/watchdog.h. */
export const WDIOF: readonly (readonly [number, string])[] = [
  [0x0001, 'OVERHEAT'],
  [0x0002, 'FANFAULT'],
  [0x0004, 'EXTERN1'],
  [0x0008, 'EXTERN2'],
  [0x0010, 'POWERUNDER'],
  [0x0020, 'CARDRESET'],
  [0x0040, 'POWEROVER'],
  [0x0080, 'SETTIMEOUT'],
  [0x0100, 'MAGICCLOSE'],
  [0x0200, 'PRETIMEOUT'],
  [0x0400, 'ALARMONLY'],
  [0x8000, 'KEEPALIVEPING'],
];
export const WDIOF_CARDRESET = 0x0020;
export const WDIOF_ALARMONLY = 0x0400;
export const WDIOF_MAGICCLOSE = 0x0100;

export function decodeWdiof(value: number): string[] {
  const names = WDIOF.filter(([bit]) => (value & bit) !== 0).map(([, name]) => name);
  const known = WDIOF.reduce((acc, [bit]) => acc | bit, 0);
  const rest = value & ~known;
  if (rest !== 0) names.push(`0x${(rest >>> 0).toString(16)}`);
  return names;
}

interface KnownWatchdog {
  identity: string;
  module: string;
  kind: WatchdogKind;
  /** PCI vendor:device of the function that is the watchdog itself, when it is one. */
  pci?: readonly [number, number];
  means: string;
}

// Identity strings are the `identity` member of each driver's watchdog_info
// (drivers/watchdog/*.c); the kinds follow their `options`.
const KNOWN: readonly KnownWatchdog[] = [
  { identity: 'i6300ESB timer', module: 'i6300esb', kind: 'hardware', pci: [0x8086, 0x25ab], means: 'Intel 6300ESB watchdog, a PCI function (QEMU -device i6300esb)' },
  { identity: 'iTCO_wdt', module: 'iTCO_wdt', kind: 'hardware', means: 'Intel TCO timer, a platform device below the LPC/SMBus bridge' },
  { identity: 'SP5100 TCO timer', module: 'sp5100_tco', kind: 'hardware', means: 'AMD/ATI SB700-SP5100 and FCH TCO timer' },
  { identity: 'Software Watchdog', module: 'softdog', kind: 'software', means: 'softdog: a kernel timer, useless once the kernel hangs' },
  // mei_wdt: WDIOF_ALARMONLY, it only tells AMT that the host stopped feeding it.
  { identity: 'iamt_wdt', module: 'mei_wdt', kind: 'alarm-only', means: 'Intel AMT watchdog over MEI; raises an AMT alarm, never resets' },
];

function readText(sys: SysRoot, errs: ErrorSink, p: string): string | null {
  const r = sys.readText(p);
  if (r.ok) return r.value;
  if (r.error.code !== 'ENOENT') errs.add(p, r.error.code, r.error.message);
  return null;
}

/** The PCI function with these ids, so a parentless watchdog still names its hardware. */
function findPciFunction(sys: SysRoot, vendorId: number, deviceId: number): { address: string; driver: string | null } | null {
  const r = sys.list('/sys/bus/pci/devices');
  const addrs = r.ok ? r.value.filter((a) => PCI_ADDRESS.test(a)) : [];
  // Unreadable ids are the PCI probe's to report; here they only mean "not this one".
  const quiet = new ErrorSink('watchdog');
  for (const address of addrs) {
    const dir = `/sys/bus/pci/devices/${address}`;
    const ids = readPciIds(sys, quiet, dir);
    if (ids && ids.vendorId === vendorId && ids.deviceId === deviceId) {
      return { address, driver: sys.linkName(`${dir}/driver`) ?? null };
    }
  }
  return null;
}

function readOne(sys: SysRoot, errs: ErrorSink, name: string): Watchdog {
  const dir = `/sys/class/watchdog/${name}`;
  const num = (attr: string): number | null => readIntAttr(sys, errs, `${dir}/${attr}`) ?? null;
  const identity = readText(sys, errs, `${dir}/identity`);
  const known = KNOWN.find((k) => k.identity === identity) ?? null;

  let driver: string | null = null;
  let driverSource: Watchdog['driverSource'] = null;
  let pciAddress: string | null = null;
  const dev = followDevice(sys, `${dir}/device`);
  if (dev) {
    driver = sys.linkName(`${dir}/device/driver`) ?? null;
    if (driver) driverSource = 'device-link';
    pciAddress = pciFunctionOf(dev)?.address ?? null;
  } else if (known?.pci) {
    const fn = findPciFunction(sys, known.pci[0], known.pci[1]);
    pciAddress = fn?.address ?? null;
    driver = fn?.driver ?? null;
    driverSource = 'identity';
  } else if (known) {
    driverSource = 'identity';
  }

  const options = num('options');
  const status = num('status');
  const bootstatus = num('bootstatus');
  const nowayout = num('nowayout');
  const stateText = readText(sys, errs, `${dir}/state`);
  if (stateText !== null && stateText !== 'active' && stateText !== 'inactive') {
    errs.add(`${dir}/state`, 'MALFORMED', `${dir}/state: expected active or inactive, got ${JSON.stringify(stateText.slice(0, 40))}`);
  }
  if (nowayout !== null && nowayout !== 0 && nowayout !== 1) {
    errs.add(`${dir}/nowayout`, 'MALFORMED', `${dir}/nowayout: expected 0 or 1, got ${nowayout}`);
  }

  let kind: WatchdogKind;
  if (options !== null && (options & WDIOF_ALARMONLY) !== 0) kind = 'alarm-only';
  else if (known) kind = known.kind;
  else kind = driver === 'softdog' ? 'software' : 'hardware';

  const devNode = `/dev/${name}`;
  return {
    name,
    devNode: sys.exists(devNode) ? devNode : null,
    identity,
    driver,
    module: known?.module ?? null,
    driverSource,
    pciAddress,
    kind,
    timeout: num('timeout'),
    pretimeout: num('pretimeout'),
    minTimeout: num('min_timeout'),
    maxTimeout: num('max_timeout'),
    timeleft: num('timeleft'),
    nowayout: nowayout === 0 ? false : nowayout === 1 ? true : null,
    state: stateText === 'active' || stateText === 'inactive' ? stateText : null,
    status,
    statusFlags: status === null ? [] : decodeWdiof(status),
    bootstatus,
    bootstatusFlags: bootstatus === null ? [] : decodeWdiof(bootstatus),
    options,
    optionsFlags: options === null ? [] : decodeWdiof(options),
    lastResetByWatchdog: bootstatus === null ? null : (bootstatus & WDIOF_CARDRESET) !== 0,
    ioctl: null,
  };
}

const KIND_ORDER: Record<WatchdogKind, number> = { hardware: 0, software: 1, 'alarm-only': 2 };
const index = (name: string): number => Number(/\d+$/.exec(name)?.[0] ?? 0);

export const compareWatchdogs = (a: Watchdog, b: Watchdog): number => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || index(a.name) - index(b.name);

/** Hardware watchdogs first (the driver arms the first one), then by device number. */
export function readWatchdogs(sys: SysRoot, errs: ErrorSink): Watchdog[] {
  const names = errs.take('/sys/class/watchdog', sys.list('/sys/class/watchdog')) ?? [];
  return names
    .filter((n) => /^watchdog\d+$/.test(n) && isDir(sys, `/sys/class/watchdog/${n}`))
    .map((n) => readOne(sys, errs, n))
    .sort(compareWatchdogs);
}
