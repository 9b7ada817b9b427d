// The real MEI transport: /dev/mei0..3 through koffi. Open the node, connect the
// firmware client with IOCTL_MEI_CONNECT_CLIENT (in: the GUID in uuid_le order,
// out: u32 max_msg_length, u8 protocol_version), then whole messages by write()
// and read() (Linux include/uapi/linux/mei.h; rpc-go pkg/heci/linux.go). The node
// is opened non-blocking and waited on with poll(…, 0) in a bounded loop of short
// sleeps, so the event loop never blocks on the firmware. The connect ioctl itself
// is a synchronous call (koffi cannot call variadic ioctl asynchronously); the
// kernel bounds it (MEI_CL_CONNECT_TIMEOUT) and it normally returns in milliseconds.
//
// Errors: no node -> NO_DEVICE; EACCES/EPERM -> PERMISSION; ENOTTY/ENOENT on
// connect (no such client on this firmware) -> NO_CLIENT; EBUSY on connect ->
// retried with a growing backoff, bounded by count and deadline, then BUSY;
// ENODEV on connect -> reopened (bounded), then RESET; ENODEV/POLLHUP/POLLERR on an
// open connection -> RESET (the client layer reconnects on its next request);
// a write longer than max_msg_length (EFBIG) -> PROTOCOL.

import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import type { Deadline } from '../channels/types.ts';
import { remainingMs } from '../channels/types.ts';
import { errnoName } from '../native/errno.ts';
import { O_CLOEXEC, O_NONBLOCK, O_RDWR, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, libc, type Libc } from '../native/libc.ts';
import { guidToUuidLe } from './guid.ts';
import { merr, mok, type MeiBus, type MeiConnection, type MeiErrorCode, type MeiResult } from './types.ts';

export const IOCTL_MEI_CONNECT_CLIENT = 0xc0104801;
export const MEI_DEVICE_PATHS: readonly string[] = ['/dev/mei0', '/dev/mei1', '/dev/mei2', '/dev/mei3'];

const E = constants.errno;

/** The system calls the transport makes; tests replace some (the ioctl, open) and keep the rest real. */
export type MeiSys = Pick<Libc, 'open' | 'close' | 'ioctl' | 'read' | 'write' | 'poll' | 'errno'>;

export interface DeviceBusOptions {
  paths?: readonly string[];
  sys?: MeiSys;
  /** EBUSY on connect: attempts and backoff (rpc-go: 8 attempts, 750 ms x attempt). */
  busyAttempts?: number;
  busyBackoffMs?: (attempt: number) => number;
  /** ENODEV on connect: how many times the node is reopened. */
  reopenAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class DeviceBus implements MeiBus {
  private readonly paths: readonly string[];
  private readonly sysOverride: MeiSys | undefined;
  private lastPath: string | null = null;

  constructor(private readonly opts: DeviceBusOptions = {}) {
    this.paths = opts.paths ?? MEI_DEVICE_PATHS;
    this.sysOverride = opts.sys;
  }

  describe(): string {
    return this.lastPath ?? this.paths.join(',');
  }

  async connect(guid: string, d: Deadline): Promise<MeiResult<MeiConnection>> {
    const uuid = guidToUuidLe(guid);
    if (!uuid) return merr('IO', `'${guid}' is not a GUID`);
    let sys: MeiSys;
    try {
      sys = this.sysOverride ?? libc();
    } catch (e) {
      return merr('NO_DEVICE', `cannot make system calls here: ${(e as Error).message}`);
    }
    const seen: { path: string; code: MeiErrorCode; message: string }[] = [];
    for (const path of this.paths) {
      const r = await this.connectOn(sys, path, uuid, guid, d);
      if (r.ok) {
        this.lastPath = path;
        return r;
      }
      // Only "this node does not have it" moves on; anything else is this node's answer.
      if (r.error.code !== 'NO_DEVICE' && r.error.code !== 'NO_CLIENT') return r;
      seen.push({ path, code: r.error.code, message: r.error.message });
    }
    const clientless = seen.filter((s) => s.code === 'NO_CLIENT');
    if (clientless.length > 0) return merr('NO_CLIENT', clientless.map((s) => s.message).join('; '));
    return merr('NO_DEVICE', `no MEI device node (${this.paths.join(', ')}): is the mei_me driver loaded?`);
  }

  private async connectOn(sys: MeiSys, path: string, uuid: Uint8Array, guid: string, d: Deadline): Promise<MeiResult<MeiConnection>> {
    const busyAttempts = this.opts.busyAttempts ?? 8;
    const backoff = this.opts.busyBackoffMs ?? ((n: number) => 750 * n);
    const reopenAttempts = this.opts.reopenAttempts ?? 2;
    const sleep = this.opts.sleep ?? defaultSleep;
    let busy = 0;
    let reopened = 0;
    for (;;) {
      const fd = sys.open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
      if (fd < 0) {
        const errno = sys.errno();
        if (errno === E.ENOENT || errno === E.ENXIO || errno === E.ENODEV) return merr('NO_DEVICE', `${path}: ${errnoName(errno)}`);
        if (errno === E.EACCES || errno === E.EPERM) return merr('PERMISSION', `${path}: ${errnoName(errno)} (the agent must run as root)`);
        return merr('IO', `open ${path}: ${errnoName(errno)}`);
      }
      const arg = new Uint8Array(16);
      arg.set(uuid);
      if (sys.ioctl(fd, IOCTL_MEI_CONNECT_CLIENT, arg) === 0) {
        const dv = new DataView(arg.buffer);
        const max = dv.getUint32(0, true);
        if (max === 0) {
          sys.close(fd);
          return merr('PROTOCOL', `${path}: client ${guid} reports max_msg_length 0`);
        }
        return mok(new DeviceConnection(sys, fd, path, max, arg[4] as number));
      }
      const errno = sys.errno();
      sys.close(fd);
      if (errno === E.ENOTTY || errno === E.ENOENT) return merr('NO_CLIENT', `${path}: no firmware client ${guid} (${errnoName(errno)})`);
      if (errno === E.EACCES || errno === E.EPERM) return merr('PERMISSION', `${path}: ${errnoName(errno)}`);
      if (errno === E.EBUSY) {
        busy++;
        const wait = backoff(busy);
        if (busy >= busyAttempts || wait >= remainingMs(d)) return merr('BUSY', `${path}: client ${guid} busy after ${busy} attempts (another program, e.g. LMS, holds it)`);
        await sleep(wait);
        continue;
      }
      if (errno === E.ENODEV) {
        reopened++;
        if (reopened > reopenAttempts || remainingMs(d) === 0) return merr('RESET', `${path}: device went away while connecting (reopened ${reopened - 1} times)`);
        await sleep(Math.min(300, remainingMs(d)));
        continue;
      }
      return merr('IO', `${path}: connect ${guid}: ${errnoName(errno)}`);
    }
  }
}

class DeviceConnection implements MeiConnection {
  private closed = false;
  private readonly pfd = new Uint8Array(8);

  constructor(
    private readonly sys: MeiSys,
    private readonly fd: number,
    private readonly path: string,
    readonly maxMessageLength: number,
    readonly protocolVersion: number,
  ) {
    new DataView(this.pfd.buffer).setInt32(0, fd, true);
  }

  async send(message: Uint8Array, d: Deadline): Promise<MeiResult<void>> {
    if (message.length > this.maxMessageLength) {
      return merr('PROTOCOL', `${this.path}: message of ${message.length} bytes exceeds max_msg_length ${this.maxMessageLength}`);
    }
    for (;;) {
      if (this.closed) return merr('RESET', `${this.path}: connection closed`);
      const n = this.sys.write(this.fd, message, message.length);
      if (n === message.length) return mok(undefined);
      if (n >= 0) return this.fail('PROTOCOL', `short write of ${n} of ${message.length} bytes`);
      const errno = this.sys.errno();
      if (errno === E.EINTR) continue;
      if (errno === E.EAGAIN || errno === E.EBUSY) {
        const ready = await this.waitFor(POLLOUT, d);
        if (!ready.ok) return ready;
        continue;
      }
      return this.failErrno(errno, 'write');
    }
  }

  async receive(d: Deadline): Promise<MeiResult<Uint8Array>> {
    const buf = new Uint8Array(this.maxMessageLength);
    for (;;) {
      if (this.closed) return merr('RESET', `${this.path}: connection closed`);
      const ready = await this.waitFor(POLLIN, d);
      if (!ready.ok) return ready;
      const n = this.sys.read(this.fd, buf, buf.length);
      if (n > 0) return mok(buf.slice(0, n));
      if (n === 0) return this.fail('RESET', 'end of file: the firmware client disconnected');
      const errno = this.sys.errno();
      if (errno === E.EINTR || errno === E.EAGAIN) continue;
      return this.failErrno(errno, 'read');
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sys.close(this.fd);
  }

  /** Polls without blocking, sleeping 1 ms growing to 20 ms between looks, until ready or the deadline. */
  private async waitFor(events: number, d: Deadline): Promise<MeiResult<void>> {
    const dv = new DataView(this.pfd.buffer);
    let step = 1;
    for (;;) {
      if (this.closed) return merr('RESET', `${this.path}: connection closed`);
      dv.setInt16(4, events, true);
      dv.setInt16(6, 0, true);
      const r = this.sys.poll(this.pfd, 1, 0);
      if (r < 0) {
        const errno = this.sys.errno();
        if (errno !== E.EINTR) return this.failErrno(errno, 'poll');
      } else if (r > 0) {
        const rev = dv.getInt16(6, true);
        if (rev & events) return mok(undefined);
        if (rev & (POLLHUP | POLLERR | POLLNVAL)) return this.fail('RESET', `poll: ${rev & POLLHUP ? 'hang-up' : rev & POLLNVAL ? 'invalid fd' : 'error'} (device reset)`);
      }
      const left = remainingMs(d);
      if (left <= 0) return this.fail('TIMEOUT', `no ${events === POLLIN ? 'answer' : 'room to write'} before the deadline`);
      await new Promise((res) => setTimeout(res, Math.min(step, left)));
      step = Math.min(20, step * 2);
    }
  }

  private fail<T>(code: MeiErrorCode, message: string): MeiResult<T> {
    this.close();
    return merr(code, `${this.path}: ${message}`);
  }

  private failErrno<T>(errno: number, op: string): MeiResult<T> {
    if (errno === E.ENODEV) return this.fail('RESET', `${op}: ${errnoName(errno)} (device reset)`);
    if (errno === E.EFBIG) return this.fail('PROTOCOL', `${op}: ${errnoName(errno)} (message longer than max_msg_length)`);
    return this.fail('IO', `${op}: ${errnoName(errno)}`);
  }
}


/** The bus for this machine, or NO_DEVICE when no MEI node exists (checked without opening it). */
export function openDeviceBus(opts: DeviceBusOptions = {}, exists: (p: string) => boolean = existsSync): MeiResult<MeiBus> {
  const paths = opts.paths ?? MEI_DEVICE_PATHS;
  if (!paths.some(exists)) return merr('NO_DEVICE', `no MEI device node (${paths.join(', ')}): no Intel ME, or the mei_me driver is not loaded`);
  return mok(new DeviceBus(opts));
}
