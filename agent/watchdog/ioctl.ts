// The Linux watchdog ioctl API as numbers and bytes, no I/O: request codes,
// option values, and the decoding of `struct watchdog_info`.
//
// Request codes are built the way include/uapi/asm-generic/ioctl.h does
// (dir << 30 | size << 16 | type << 8 | nr, _IOC_READ 2, _IOC_WRITE 1), the
// encoding of x86-64 and arm64, the machines the agent runs on. The requests
// themselves are from include/uapi/linux/watchdog.h; SETOPTIONS and KEEPALIVE
// really are _IOR there, and their codes must match the kernel's, not the intent.

import * as os from 'node:os';
import { fail, ok, type Result } from '../probe/errors.ts';

const IOC_WRITE = 1;
const IOC_READ = 2;
/** WATCHDOG_IOCTL_BASE. */
const WATCHDOG_TYPE = 'W'.charCodeAt(0);
const INT_SIZE = 4;
/** sizeof(struct watchdog_info): u32 options, u32 firmware_version, u8 identity[32]. */
export const WATCHDOG_INFO_SIZE = 40;
export const IDENTITY_SIZE = 32;

export function ioc(dir: number, type: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}
const ior = (nr: number, size: number): number => ioc(IOC_READ, WATCHDOG_TYPE, nr, size);
const iowr = (nr: number, size: number): number => ioc(IOC_READ | IOC_WRITE, WATCHDOG_TYPE, nr, size);

export const WDIOC = {
  GETSUPPORT: ior(0, WATCHDOG_INFO_SIZE),
  GETSTATUS: ior(1, INT_SIZE),
  GETBOOTSTATUS: ior(2, INT_SIZE),
  SETOPTIONS: ior(4, INT_SIZE),
  KEEPALIVE: ior(5, INT_SIZE),
  SETTIMEOUT: iowr(6, INT_SIZE),
  GETTIMEOUT: ior(7, INT_SIZE),
  SETPRETIMEOUT: iowr(8, INT_SIZE),
  GETPRETIMEOUT: ior(9, INT_SIZE),
  GETTIMELEFT: ior(10, INT_SIZE),
} as const;

export type WdiocName = keyof typeof WDIOC;

/** `WDIOC_SETTIMEOUT` for a request code, for messages; the hex code when it is not one of ours. */
export function requestName(request: number): string {
  const hit = (Object.keys(WDIOC) as WdiocName[]).find((k) => WDIOC[k] === request >>> 0);
  return hit ? `WDIOC_${hit}` : `ioctl 0x${(request >>> 0).toString(16)}`;
}

/** WDIOS_* for WDIOC_SETOPTIONS. */
export const WDIOS_DISABLECARD = 0x0001;
export const WDIOS_ENABLECARD = 0x0002;

/** The character whose write, before close, lets the driver stop the timer. */
export const MAGIC_CLOSE = 'V';

export interface WatchdogInfo {
  /** WDIOF_* the driver supports. */
  options: number;
  firmwareVersion: number;
  identity: string;
}

// ioctl structs are in the CPU's byte order.
const LITTLE = os.endianness() === 'LE';

export function readNativeU32(buf: Uint8Array, offset: number): number {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return LITTLE ? b.readUInt32LE(offset) : b.readUInt32BE(offset);
}

export function nativeInt(value: number): Buffer {
  const b = Buffer.alloc(INT_SIZE);
  if (LITTLE) b.writeInt32LE(value | 0, 0);
  else b.writeInt32BE(value | 0, 0);
  return b;
}

/** `struct watchdog_info` as GETSUPPORT fills it; identity stops at its first NUL, at most 32 bytes. */
export function decodeWatchdogInfo(buf: Uint8Array): Result<WatchdogInfo> {
  if (buf.byteLength < WATCHDOG_INFO_SIZE) {
    return fail('TRUNCATED', `watchdog_info: ${buf.byteLength} bytes, need ${WATCHDOG_INFO_SIZE}`, buf.byteLength);
  }
  const raw = buf.subarray(8, 8 + IDENTITY_SIZE);
  const nul = raw.indexOf(0);
  return ok({
    options: readNativeU32(buf, 0),
    firmwareVersion: readNativeU32(buf, 4),
    identity: Buffer.from(raw.subarray(0, nul === -1 ? IDENTITY_SIZE : nul)).toString('utf8'),
  });
}
