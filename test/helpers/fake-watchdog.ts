// A scripted watchdog descriptor that answers the way the kernel's watchdog
// core does (drivers/watchdog/watchdog_dev.c): EOPNOTSUPP for a feature the
// driver lacks, EINVAL for an out-of-range timeout, ENOTTY for an unknown
// request, the timeout written back by SETTIMEOUT, the magic character
// deciding whether close stops the timer. It records what it was asked, so
// tests assert the bytes and the order the driver saw. Opening starts the
// timer, as on a real device.

import * as os from 'node:os';
import type { WatchdogFd } from '../../agent/watchdog/device.ts';
import { requestName, WATCHDOG_INFO_SIZE, WDIOC, WDIOS_DISABLECARD, WDIOS_ENABLECARD } from '../../agent/watchdog/ioctl.ts';

const E = os.constants.errno;
export const WDIOF_SETTIMEOUT = 0x0080;
export const WDIOF_MAGICCLOSE = 0x0100;
export const WDIOF_PRETIMEOUT = 0x0200;
export const WDIOF_KEEPALIVEPING = 0x8000;

export interface FakeDriver {
  identity: string;
  options: number;
  firmwareVersion: number;
  timeout: number;
  minTimeout: number;
  maxTimeout: number;
  /** What the driver makes of a valid timeout (hardware granularity, a smaller hardware maximum). */
  adjustTimeout: (t: number) => number;
  /** The core's pretimeout support (a pretimeout governor or WDIOF_PRETIMEOUT). */
  pretimeout: boolean;
  /** null: no get_timeleft op. */
  timeLeft: number | null;
  bootStatus: number;
  status: number;
  nowayout: boolean;
  /** Requests that fail with this errno before the core sees them (a driver's own ioctl op, a dying device). */
  fail: Map<number, number>;
  /** Raw bytes for GETSUPPORT instead of the encoded fields. */
  supportBytes: Uint8Array | null;
  /** errno for every write. */
  writeErrno: number | null;
}

/** i6300ESB as QEMU presents it: 30 s default, 1..2046, no timeleft. */
export const I6300ESB: FakeDriver = {
  identity: 'i6300ESB timer',
  options: WDIOF_SETTIMEOUT | WDIOF_KEEPALIVEPING | WDIOF_MAGICCLOSE,
  firmwareVersion: 0,
  timeout: 30,
  minTimeout: 1,
  maxTimeout: 2046,
  adjustTimeout: (t) => t,
  pretimeout: false,
  timeLeft: null,
  bootStatus: 0,
  status: 0,
  nowayout: false,
  fail: new Map(),
  supportBytes: null,
  writeErrno: null,
};

export class FakeWatchdogFd implements WatchdogFd {
  readonly d: FakeDriver;
  /** 'ioctl WDIOC_X', 'write <text>', 'close', in order. */
  readonly events: string[] = [];
  readonly writes: Buffer[] = [];
  pretimeoutSec = 0;
  running = true;
  pings = 0;
  closed = false;
  private allowRelease = false;

  constructor(driver: Partial<FakeDriver> = {}) {
    this.d = { ...I6300ESB, fail: new Map(), ...driver };
  }

  ioctl(request: number, arg: Buffer): number {
    this.events.push(`ioctl ${requestName(request)}`);
    if (this.closed) return -E.EBADF;
    const forced = this.d.fail.get(request);
    if (forced !== undefined) return -forced;
    const d = this.d;
    const put = (v: number): number => {
      arg.writeUInt32LE(v >>> 0, 0);
      return 0;
    };
    const val = (): number => arg.readUInt32LE(0);
    switch (request) {
      case WDIOC.GETSUPPORT: {
        if (d.supportBytes) {
          arg.fill(0);
          arg.set(d.supportBytes.subarray(0, Math.min(arg.length, d.supportBytes.length)));
          return 0;
        }
        const b = Buffer.alloc(WATCHDOG_INFO_SIZE);
        b.writeUInt32LE(d.options >>> 0, 0);
        b.writeUInt32LE(d.firmwareVersion >>> 0, 4);
        b.write(d.identity, 8, 32, 'utf8');
        b.copy(arg);
        return 0;
      }
      case WDIOC.GETSTATUS:
        return put(d.status | (this.allowRelease ? WDIOF_MAGICCLOSE : 0));
      case WDIOC.GETBOOTSTATUS:
        return put(d.bootStatus);
      case WDIOC.SETOPTIONS: {
        const v = val();
        if (v & WDIOS_DISABLECARD) {
          if (d.nowayout) return -E.EBUSY;
          this.running = false;
        }
        if (v & WDIOS_ENABLECARD) this.running = true;
        return 0;
      }
      case WDIOC.KEEPALIVE:
        if (!(d.options & WDIOF_KEEPALIVEPING)) return -E.EOPNOTSUPP;
        this.pings++;
        return 0;
      case WDIOC.SETTIMEOUT: {
        if (!(d.options & WDIOF_SETTIMEOUT)) return -E.EOPNOTSUPP;
        const v = val();
        if (v < d.minTimeout || v > d.maxTimeout) return -E.EINVAL;
        d.timeout = d.adjustTimeout(v);
        if (this.pretimeoutSec >= d.timeout) this.pretimeoutSec = 0;
        this.pings++;
        if (d.timeout === 0) return -E.EOPNOTSUPP;
        return put(d.timeout);
      }
      case WDIOC.GETTIMEOUT:
        if (d.timeout === 0) return -E.EOPNOTSUPP;
        return put(d.timeout);
      case WDIOC.GETTIMELEFT:
        if (d.timeLeft === null) return -E.EOPNOTSUPP;
        return put(d.timeLeft);
      case WDIOC.SETPRETIMEOUT: {
        if (!d.pretimeout) return -E.EOPNOTSUPP;
        const v = val();
        if (v !== 0 && v >= d.timeout) return -E.EINVAL;
        this.pretimeoutSec = v;
        return 0;
      }
      case WDIOC.GETPRETIMEOUT:
        return put(this.pretimeoutSec);
      default:
        return -E.ENOTTY;
    }
  }

  write(data: Buffer): number {
    this.events.push(`write ${data.toString('latin1')}`);
    this.writes.push(Buffer.from(data));
    if (this.closed) return -E.EBADF;
    if (this.d.writeErrno !== null) return -this.d.writeErrno;
    this.allowRelease = data.includes('V'.charCodeAt(0));
    this.pings++;
    return data.length;
  }

  close(): void {
    this.events.push('close');
    if (this.closed) throw Object.assign(new Error('EBADF: bad file descriptor, close'), { code: 'EBADF' });
    this.closed = true;
    if (this.running && (this.allowRelease || !(this.d.options & WDIOF_MAGICCLOSE)) && !this.d.nowayout) this.running = false;
    this.allowRelease = false;
  }

  /** Requests in the order they arrived. */
  get requests(): string[] {
    return this.events.filter((e) => e.startsWith('ioctl ')).map((e) => e.slice(6));
  }
}
