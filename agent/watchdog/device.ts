// The hardware watchdog driver: one open /dev/watchdogN and the ioctls the
// kernel's watchdog core answers (drivers/watchdog/watchdog_dev.c).
//
// Opening the device starts its timer. Closing it after writing the magic
// character 'V' stops the timer (unless the driver has nowayout); closing it
// without that leaves the timer running, which is how one process hands the
// watchdog to the next. A driver without WDIOF_MAGICCLOSE stops on any close.
//
// Every failure is a WatchdogError naming the ioctl, the device and the errno.

import * as fs from 'node:fs';
import * as os from 'node:os';
import { errnoName } from '../native/errno.ts';
import { libc, O_CLOEXEC, type Libc } from '../native/libc.ts';
import { decodeWatchdogInfo, MAGIC_CLOSE, nativeInt, readNativeU32, requestName, WATCHDOG_INFO_SIZE, WDIOC, type WatchdogInfo } from './ioctl.ts';

/** The file descriptor underneath: real (libc) in the agent, scripted in tests. */
export interface WatchdogFd {
  /** 0 on success or -errno; the kernel reads and writes `arg` in place. */
  ioctl(request: number, arg: Buffer): number;
  /** Bytes written, or -errno. */
  write(data: Buffer): number;
  close(): void;
}

const ERRNO = os.constants.errno;

/** What an errno means for a watchdog, by operation first (the kernel reuses EINVAL and EBUSY). */
function explain(op: string, errno: number): string {
  const name = errnoName(errno);
  if (op === 'WDIOC_SETTIMEOUT' && name === 'EINVAL') return 'timeout out of range';
  if (op === 'WDIOC_SETPRETIMEOUT' && name === 'EINVAL') return 'pretimeout out of range: it must be below the timeout';
  if (op === 'WDIOC_SETOPTIONS' && name === 'EBUSY') return 'nowayout: the timer cannot be stopped';
  if (op === 'open' && name === 'EBUSY') return 'already open: the device allows one opener at a time';
  switch (name) {
    case 'ENOTTY':
      return 'not an ioctl this driver knows';
    case 'EOPNOTSUPP':
      return 'the driver does not support this';
    case 'EBADF':
      return 'the file descriptor is not open';
    case 'ENODEV':
      return 'the watchdog device went away';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such device node';
    case 'EFAULT':
      return 'bad buffer address';
    case 'EIO':
      return 'the driver reported an I/O error';
    case 'EINVAL':
      return 'invalid argument';
    default:
      return 'failed';
  }
}

export class WatchdogError extends Error {
  readonly code = 'E_WATCHDOG';
  readonly errnoName: string;
  constructor(
    readonly op: string,
    readonly path: string,
    readonly errno: number,
    detail?: string,
  ) {
    const name = errnoName(errno);
    super(`${op} on ${path}: ${name} (${detail ?? explain(op, errno)})`);
    this.name = 'WatchdogError';
    this.errnoName = name;
  }
}

const isUnsupported = (e: WatchdogError): boolean => e.errnoName === 'ENOTTY' || e.errnoName === 'EOPNOTSUPP';

export class WatchdogDevice {
  private fd: WatchdogFd | null;

  constructor(
    fd: WatchdogFd,
    readonly path: string,
  ) {
    this.fd = fd;
  }

  get closed(): boolean {
    return this.fd === null;
  }

  info(): WatchdogInfo {
    const buf = this.call(WDIOC.GETSUPPORT, Buffer.alloc(WATCHDOG_INFO_SIZE));
    const r = decodeWatchdogInfo(buf);
    if (!r.ok) throw new WatchdogError('WDIOC_GETSUPPORT', this.path, ERRNO.EIO, r.error.message);
    return r.value;
  }

  getTimeout(): number {
    return this.readInt(WDIOC.GETTIMEOUT);
  }

  /** The timeout the driver really set: it may round or clamp, and writes the result back. */
  setTimeout(sec: number): number {
    this.checkSeconds('WDIOC_SETTIMEOUT', sec, 1);
    return readNativeU32(this.call(WDIOC.SETTIMEOUT, nativeInt(sec)), 0);
  }

  getPretimeout(): number {
    return this.readInt(WDIOC.GETPRETIMEOUT);
  }

  /** 0 turns the pretimeout off. SETPRETIMEOUT writes nothing back, so the result is read again. */
  setPretimeout(sec: number): number {
    this.checkSeconds('WDIOC_SETPRETIMEOUT', sec, 0);
    this.call(WDIOC.SETPRETIMEOUT, nativeInt(sec));
    return this.getPretimeout();
  }

  keepalive(): void {
    // The kernel ignores the argument; a valid buffer keeps drivers that read it safe.
    this.call(WDIOC.KEEPALIVE, nativeInt(0));
  }

  /** WDIOF_* now. */
  status(): number {
    return this.readInt(WDIOC.GETSTATUS);
  }

  /** WDIOF_* explaining the last boot (CARDRESET: this watchdog reset the machine). */
  bootStatus(): number {
    return this.readInt(WDIOC.GETBOOTSTATUS);
  }

  /** Seconds before the reset, or null when the driver cannot tell. */
  timeLeft(): number | null {
    try {
      return this.readInt(WDIOC.GETTIMELEFT);
    } catch (e) {
      if (e instanceof WatchdogError && isUnsupported(e)) return null;
      throw e;
    }
  }

  /** WDIOS_DISABLECARD / WDIOS_ENABLECARD. */
  setOptions(flags: number): void {
    this.call(WDIOC.SETOPTIONS, nativeInt(flags));
  }

  /**
   * Writes 'V' and closes: the timer stops unless the driver has nowayout.
   * The descriptor is closed even when the write fails; the error then says
   * the timer was left running.
   */
  magicClose(): void {
    const fd = this.take('magic close');
    let n: number;
    try {
      n = fd.write(Buffer.from(MAGIC_CLOSE, 'latin1'));
    } catch (e) {
      n = -errnoOf(e);
    }
    this.closeFd(fd);
    if (n < 0) throw new WatchdogError('magic close', this.path, -n, `${explain('write', -n)}; closed without the magic character, the timer keeps running`);
    if (n !== 1) throw new WatchdogError('magic close', this.path, ERRNO.EIO, 'short write; closed without the magic character, the timer keeps running');
  }

  /** Plain close: the timer keeps running (for drivers with WDIOF_MAGICCLOSE), so the next owner must feed it. */
  close(): void {
    this.closeFd(this.take('close'));
  }

  private take(op: string): WatchdogFd {
    const fd = this.fd;
    if (fd === null) throw new WatchdogError(op, this.path, ERRNO.EBADF, 'the device was already closed');
    this.fd = null;
    return fd;
  }

  private closeFd(fd: WatchdogFd): void {
    try {
      fd.close();
    } catch (e) {
      throw new WatchdogError('close', this.path, errnoOf(e), messageOf(e));
    }
  }

  private readInt(request: number): number {
    return readNativeU32(this.call(request, nativeInt(0)), 0);
  }

  private call(request: number, arg: Buffer): Buffer {
    const op = requestName(request);
    if (this.fd === null) throw new WatchdogError(op, this.path, ERRNO.EBADF, 'the device was already closed');
    let rc: number;
    try {
      rc = this.fd.ioctl(request, arg);
    } catch (e) {
      throw new WatchdogError(op, this.path, errnoOf(e), messageOf(e));
    }
    if (rc < 0) throw new WatchdogError(op, this.path, -rc);
    return arg;
  }

  private checkSeconds(op: string, sec: number, min: number): void {
    // The kernel takes an unsigned int; a fraction or a huge value would be silently truncated.
    if (!Number.isInteger(sec) || sec < min || sec > 0x7fffffff) {
      throw new WatchdogError(op, this.path, ERRNO.EINVAL, `${sec} is not a whole number of seconds >= ${min}`);
    }
  }
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** errno of a Node fs error (its `code`), EIO when it has none. */
function errnoOf(e: unknown): number {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const n = code === undefined ? undefined : (ERRNO as Record<string, number>)[code];
  return n ?? ERRNO.EIO;
}

/** A real descriptor: ioctl through libc, write and close through Node. */
export function libcWatchdogFd(fd: number, c: Libc = libc()): WatchdogFd {
  return {
    ioctl(request, arg) {
      if (c.ioctl(fd, request, arg) === 0) return 0;
      return -(c.errno() || ERRNO.EIO);
    },
    write(data) {
      try {
        return fs.writeSync(fd, data);
      } catch (e) {
        return -errnoOf(e);
      }
    },
    close() {
      fs.closeSync(fd);
    },
  };
}

/** "major:minor" of a device number, in the form sysfs `dev` files use. */
export function devNumber(rdev: bigint): string {
  // glibc's gnu_dev_major/gnu_dev_minor layout: 32-bit major and minor split around the old 8:8 fields.
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n);
  return `${major}:${minor}`;
}

/**
 * Opens a watchdog: O_WRONLY|O_CLOEXEC, which starts its timer. Only a
 * character device is opened (a FIFO would block the open, a regular file is
 * a fixture or a mistake), and the descriptor must still be the device that
 * was checked.
 */
export function openWatchdog(path: string): WatchdogDevice {
  // Load the FFI first: failing after the open would leave a started timer nobody feeds.
  let c: Libc;
  try {
    c = libc();
  } catch (e) {
    throw new WatchdogError('open', path, ERRNO.ENOSYS, `no ioctl: ${messageOf(e)}`);
  }
  let before: fs.BigIntStats;
  try {
    before = fs.statSync(path, { bigint: true });
  } catch (e) {
    throw new WatchdogError('open', path, errnoOf(e));
  }
  if (!before.isCharacterDevice()) throw new WatchdogError('open', path, ERRNO.ENODEV, 'not a character device');
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_WRONLY | O_CLOEXEC);
  } catch (e) {
    throw new WatchdogError('open', path, errnoOf(e));
  }
  let changed: string | null;
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    changed = st.isCharacterDevice() && st.rdev === before.rdev ? null : `the node changed to ${st.isCharacterDevice() ? devNumber(st.rdev) : 'a non-device'} while it was opened`;
  } catch (e) {
    changed = `fstat failed: ${messageOf(e)}`;
  }
  if (changed !== null) {
    try {
      fs.closeSync(fd);
    } catch {
      // Already failing; the descriptor is gone either way.
    }
    throw new WatchdogError('open', path, ERRNO.ENODEV, changed);
  }
  return new WatchdogDevice(libcWatchdogFd(fd, c), path);
}
