// What the report learns by opening each watchdog: the driver's own support
// flags and boot status through ioctl (sysfs lacks `options` on older kernels,
// and bootstatus there is only as good as the driver's sysfs support).
//
// Opening a watchdog starts its timer, so a device is opened only when sysfs
// says it is inactive and nowayout is off, and it is magic-closed at once,
// which stops the timer again. An active device belongs to someone (the
// daemon, or a handover waiting for the next owner): it is never touched.
// The device node must be a character device inside the probed root whose
// number matches sysfs; fixture trees, whose /dev nodes are empty files, are
// skipped with that reason.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { devNumber, openWatchdog, WatchdogError, type WatchdogDevice } from '../watchdog/device.ts';
import type { WatchdogInfo } from '../watchdog/ioctl.ts';
import type { ErrorSink, ProbeErrorCode } from './errors.ts';
import type { SysRoot } from './sysroot.ts';
import { compareWatchdogs, decodeWdiof, WDIOF_ALARMONLY, WDIOF_CARDRESET, type Watchdog } from './watchdog.ts';

export interface WatchdogIoctlInfo {
  /** WDIOF_* from WDIOC_GETSUPPORT. */
  options: number;
  optionsFlags: string[];
  firmwareVersion: number;
  identity: string;
  /** WDIOC_GETBOOTSTATUS; null when that ioctl failed. */
  bootStatus: number | null;
  bootStatusFlags: string[];
  /** WDIOC_GETTIMEOUT; null when the driver does not know it. */
  timeout: number | null;
}

export interface WatchdogIoctlSkipped {
  skipped: string;
  detail?: string;
}

export type WatchdogIoctl = WatchdogIoctlInfo | WatchdogIoctlSkipped;

/** What sits at a device path, found without opening it. */
export type DevNode =
  | { type: 'char'; dev: string }
  | { type: 'missing' }
  | { type: 'other'; what: string }
  | { type: 'outside-root'; target: string }
  | { type: 'error'; code: ProbeErrorCode; message: string };

export interface WatchdogOpener {
  inspect(devPath: string): DevNode;
  /** Throws WatchdogError. */
  open(devPath: string): WatchdogDevice;
}

function kindOf(st: fs.BigIntStats): string {
  if (st.isFile()) return 'regular file';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isBlockDevice()) return 'block device';
  return 'unknown file type';
}

/** Device nodes under `sys.root`; a symlink that leads out of a non-/ root is refused. */
export function rootOpener(sys: SysRoot): WatchdogOpener {
  const inside = (devPath: string): { real: string } | DevNode => {
    let real: string;
    let root: string;
    try {
      root = fs.realpathSync(sys.root);
      real = fs.realpathSync(sys.resolve(devPath));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { type: 'missing' };
      return { type: 'error', code: code === 'EACCES' ? 'EACCES' : 'EIO', message: `${devPath}: ${(e as Error).message}` };
    }
    if (root !== '/' && !real.startsWith(root + path.sep)) return { type: 'outside-root', target: real };
    return { real };
  };
  return {
    inspect(devPath) {
      const r = inside(devPath);
      if ('type' in r) return r;
      try {
        const st = fs.statSync(r.real, { bigint: true });
        return st.isCharacterDevice() ? { type: 'char', dev: devNumber(st.rdev) } : { type: 'other', what: kindOf(st) };
      } catch (e) {
        return { type: 'error', code: 'EIO', message: `${devPath}: ${(e as Error).message}` };
      }
    },
    open(devPath) {
      const r = inside(devPath);
      if ('type' in r) throw new WatchdogError('open', devPath, os.constants.errno.ENODEV, `not openable: ${r.type}`);
      return openWatchdog(r.real);
    },
  };
}

function codeOf(e: unknown): ProbeErrorCode {
  if (!(e instanceof WatchdogError)) return 'EIO';
  switch (e.errnoName) {
    case 'EACCES':
    case 'EPERM':
      return 'EACCES';
    case 'ENOENT':
      return 'ENOENT';
    case 'ENOTTY':
    case 'EOPNOTSUPP':
      return 'UNSUPPORTED';
    default:
      return 'EIO';
  }
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const skip = (skipped: string, detail?: string): WatchdogIoctlSkipped => (detail === undefined ? { skipped } : { skipped, detail });

/** Whether sysfs allows opening: inactive, nowayout off. Re-reads `state`, the one thing that changes. */
function safeToOpen(w: Watchdog, sys: SysRoot): WatchdogIoctlSkipped | null {
  if (w.nowayout === null) return skip('nowayout unknown', 'a device that might not stop again is not opened');
  if (w.nowayout) return skip('nowayout', 'opening would start a timer nothing can stop');
  const state = sys.readText(`/sys/class/watchdog/${w.name}/state`);
  const now = state.ok ? state.value : w.state;
  if (now === 'active') return skip('active', 'another process holds it or a handover is waiting: not touched');
  if (now !== 'inactive') return skip('state unknown', 'a device whose timer may be running is not opened');
  return null;
}

/** One device's ioctl view; never throws, failures go to `errs`. */
export function readWatchdogIoctl(w: Watchdog, sys: SysRoot, opener: WatchdogOpener, errs: ErrorSink): WatchdogIoctl {
  if (w.devNode === null) return skip('no device node');
  const devPath = w.devNode;
  const unsafe = safeToOpen(w, sys);
  if (unsafe) return unsafe;

  const node = opener.inspect(devPath);
  switch (node.type) {
    case 'missing':
      return skip('no device node');
    case 'other':
      return skip('not a character device', `${devPath} is a ${node.what}`);
    case 'outside-root':
      return skip('outside the root', `${devPath} leads to ${node.target}`);
    case 'error':
      errs.add(devPath, node.code, node.message);
      return skip('unreadable device node');
    case 'char':
      break;
  }
  const sysDev = sys.readText(`/sys/class/watchdog/${w.name}/dev`);
  if (sysDev.ok && sysDev.value !== node.dev) return skip('device number mismatch', `${devPath} is ${node.dev}, sysfs ${w.name} is ${sysDev.value}`);

  let dev: WatchdogDevice;
  try {
    dev = opener.open(devPath);
  } catch (e) {
    if (e instanceof WatchdogError && e.errnoName === 'EBUSY') return skip('busy', 'opened by another process since sysfs was read');
    errs.add(devPath, codeOf(e), message(e));
    return skip('open failed', message(e));
  }
  try {
    return query(dev, devPath, errs);
  } finally {
    try {
      dev.magicClose();
    } catch (e) {
      errs.add(devPath, 'EIO', `${message(e)}; the report opened it and could not stop it`);
    }
  }
}

function query(dev: WatchdogDevice, devPath: string, errs: ErrorSink): WatchdogIoctl {
  let info: WatchdogInfo;
  try {
    info = dev.info();
  } catch (e) {
    errs.add(devPath, codeOf(e), message(e));
    return skip('GETSUPPORT failed', message(e));
  }
  let bootStatus: number | null = null;
  try {
    bootStatus = dev.bootStatus();
  } catch (e) {
    errs.add(devPath, codeOf(e), message(e));
  }
  let timeout: number | null = null;
  try {
    timeout = dev.getTimeout();
  } catch (e) {
    // EOPNOTSUPP is the watchdog core saying it does not know the timeout, not a failure.
    if (!(e instanceof WatchdogError && e.errnoName === 'EOPNOTSUPP')) errs.add(devPath, codeOf(e), message(e));
  }
  return {
    options: info.options,
    optionsFlags: decodeWdiof(info.options),
    firmwareVersion: info.firmwareVersion,
    identity: info.identity,
    bootStatus,
    bootStatusFlags: bootStatus === null ? [] : decodeWdiof(bootStatus),
    timeout,
  };
}

/**
 * Every watchdog with its `ioctl` view. What the driver said overrides sysfs
 * where it is better: its boot status decides `lastResetByWatchdog`, and
 * WDIOF_ALARMONLY in its options makes it alarm-only (and re-sorts).
 */
export function withIoctl(watchdogs: readonly Watchdog[], sys: SysRoot, opener: WatchdogOpener, errs: ErrorSink): Watchdog[] {
  return watchdogs
    .map((w): Watchdog => {
      const ioctl = readWatchdogIoctl(w, sys, opener, errs);
      if ('skipped' in ioctl) return { ...w, ioctl };
      return {
        ...w,
        ioctl,
        kind: (ioctl.options & WDIOF_ALARMONLY) !== 0 ? 'alarm-only' : w.kind,
        lastResetByWatchdog: ioctl.bootStatus === null ? w.lastResetByWatchdog : (ioctl.bootStatus & WDIOF_CARDRESET) !== 0,
      };
    })
    .sort(compareWatchdogs);
}
