// The BMC in band: the kernel's IPMI device (/dev/ipmi0, or the older
// /dev/ipmi/0 and /dev/ipmidev/0) driven with IPMICTL_SEND_COMMAND and
// IPMICTL_RECEIVE_MSG_TRUNC through koffi. The driver frames the message for
// KCS/BT/SSIF and matches the BMC's reply to our msgid; we match msgids too
// because async events and late replies to abandoned requests share the queue.
// Waiting is poll(2) in short slices with the event loop served in between.
// Any error after open closes the fd, whose state is then unknown; the next
// command opens the node afresh (an action's undo steps need that), until
// close() is called.

import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { cerr, cok, remainingMs, type ChannelErrorCode, type ChannelResult, type Deadline } from '../channels/types.ts';
import { koffi } from '../native/koffi.ts';
import { errnoName } from '../native/errno.ts';
import { libc, O_CLOEXEC, O_NONBLOCK, O_RDWR, POLLIN } from '../native/libc.ts';
import {
  ADDR_ROOM,
  DATA_ROOM,
  decodeRecv,
  encodeRecv,
  encodeReq,
  IPMICTL_GET_MY_ADDRESS_CMD,
  IPMICTL_RECEIVE_MSG_TRUNC,
  IPMICTL_SEND_COMMAND,
  RECV_SIZE,
  RESPONSE_RECV_TYPE,
  systemInterfaceAddr,
} from './device-abi.ts';
import type { IpmiRequest, IpmiResponse } from './messages.ts';
import type { IpmiTransport } from './transport.ts';

export const DEVICE_PATHS: readonly string[] = ['/dev/ipmi0', '/dev/ipmi/0', '/dev/ipmidev/0'];

const E = constants.errno;
/** The longest the event loop is held by one poll(2). */
const POLL_SLICE_MS = 5;
/** Messages for others (events, late replies) skipped while waiting for ours. */
const MAX_SKIPPED = 64;

/** Native memory the kernel reads and writes through the structs' pointers. */
export interface NativeBlock {
  bytes: Buffer;
  address: bigint;
  free(): void;
}

/** The system calls the device makes; tests substitute a fake driver. */
export interface DeviceOps {
  open(path: string, flags: number): number;
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  close(fd: number): number;
  errno(): number;
  alloc(size: number): NativeBlock;
}

export function nativeOps(): DeviceOps {
  const c = libc();
  const k = koffi();
  return {
    open: (p, f) => c.open(p, f),
    ioctl: (fd, r, a) => c.ioctl(fd, r, a),
    poll: (fds, n, ms) => c.poll(fds, n, ms),
    close: (fd) => c.close(fd),
    errno: () => c.errno(),
    alloc: (size) => {
      const ptr: unknown = k.alloc('uint8_t', size);
      const bytes = Buffer.from(k.view(ptr, size));
      bytes.fill(0);
      return { bytes, address: k.address(ptr), free: () => k.free(ptr) };
    },
  };
}

function openErrorCode(errno: number): ChannelErrorCode {
  if (errno === E.ENOENT || errno === E.ENXIO || errno === E.ENODEV) return 'UNSUPPORTED';
  if (errno === E.EACCES || errno === E.EPERM) return 'AUTH';
  if (errno === E.EBUSY) return 'BUSY';
  return 'UNREACHABLE';
}

const sleepTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

export class IpmiDevice implements IpmiTransport {
  private fd: number;
  private msgid = 0;
  private readonly addr: NativeBlock;
  private readonly data: NativeBlock;
  private readonly siAddr = systemInterfaceAddr();
  private busy = false;
  private released = false;

  private constructor(
    readonly path: string,
    fd: number,
    private readonly ops: DeviceOps,
  ) {
    this.fd = fd;
    this.addr = ops.alloc(ADDR_ROOM);
    this.data = ops.alloc(DATA_ROOM);
  }

  /**
   * Opens the first device node that exists and proves it is an IPMI device
   * (IPMICTL_GET_MY_ADDRESS_CMD: ENOTTY otherwise). No node: UNSUPPORTED.
   */
  static open(paths: readonly string[] = DEVICE_PATHS, ops?: DeviceOps): ChannelResult<IpmiDevice> {
    // Every live `agent report` asks: without a device node, do not load the FFI at all
    // (in the single binary that is an asset written out and dlopen'ed).
    if (!ops && !paths.some((p) => existsSync(p))) return cerr('UNSUPPORTED', `no BMC device (${paths.join(', ')} absent: is ipmi_devintf loaded?)`);
    let o: DeviceOps;
    try {
      o = ops ?? nativeOps();
    } catch (e) {
      return cerr('UNSUPPORTED', `cannot reach the IPMI device: ${(e as Error).message}`);
    }
    for (const path of paths) {
      const fd = o.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        const errno = o.errno();
        if (errno === E.ENOENT || errno === E.ENOTDIR) continue;
        return cerr(openErrorCode(errno), `${path}: ${errnoName(errno)}`);
      }
      const probe = new Uint8Array(4);
      if (o.ioctl(fd, IPMICTL_GET_MY_ADDRESS_CMD, probe) < 0) {
        const errno = o.errno();
        o.close(fd);
        const code: ChannelErrorCode = errno === E.ENOTTY || errno === E.EINVAL ? 'UNSUPPORTED' : 'UNREACHABLE';
        return cerr(code, `${path}: ${errno === E.ENOTTY ? 'not an IPMI device (ENOTTY)' : errnoName(errno)}`);
      }
      try {
        return cok(new IpmiDevice(path, fd, o));
      } catch (e) {
        // No native memory for the buffers: the fd must not outlive the failure.
        o.close(fd);
        return cerr('UNREACHABLE', `${path}: ${(e as Error).message}`);
      }
    }
    return cerr('UNSUPPORTED', `no BMC device (${paths.join(', ')} absent: is ipmi_devintf loaded?)`);
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  async command(req: IpmiRequest, d: Deadline): Promise<ChannelResult<IpmiResponse>> {
    if (this.released) return cerr('UNREACHABLE', `${this.path} is closed`);
    if (this.fd < 0) {
      const fd = this.ops.open(this.path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) return cerr('UNREACHABLE', `${this.path}: reopen after an error: ${errnoName(this.ops.errno())}`);
      this.fd = fd;
    }
    if (req.data.length > DATA_ROOM) return cerr('CONFIG', `request of ${req.data.length} bytes is too large`);
    // One request in flight: the shared data buffer holds it until the reply is read.
    if (this.busy) return cerr('BUSY', `${this.path}: another request is in flight`);
    this.busy = true;
    try {
      const r = await this.exchange(req, d);
      if (!r.ok) this.dropFd();
      return r;
    } finally {
      this.busy = false;
    }
  }

  private async exchange(req: IpmiRequest, d: Deadline): Promise<ChannelResult<IpmiResponse>> {
    const msgid = (this.msgid = (this.msgid + 1) % 0x7fffffff);
    this.siAddr.copy(this.addr.bytes);
    this.data.bytes.set(req.data);
    const send = encodeReq({ addr: this.addr.address, addrLen: this.siAddr.length, msgid, netFn: req.netFn, cmd: req.cmd, dataLen: req.data.length, data: this.data.address });
    if (this.ops.ioctl(this.fd, IPMICTL_SEND_COMMAND, send) < 0) {
      const errno = this.ops.errno();
      return cerr(errno === E.ENOTTY ? 'UNSUPPORTED' : 'UNREACHABLE', `${this.path}: send: ${errnoName(errno)}`);
    }
    const pfd = Buffer.alloc(8);
    let skipped = 0;
    for (;;) {
      const left = remainingMs(d);
      if (left <= 0) return cerr('TIMEOUT', `${this.path}: no reply to netFn 0x${req.netFn.toString(16)} command 0x${req.cmd.toString(16)} in time`);
      pfd.writeInt32LE(this.fd, 0);
      pfd.writeInt16LE(POLLIN, 4);
      pfd.writeInt16LE(0, 6);
      const n = this.ops.poll(pfd, 1, Math.max(1, Math.min(POLL_SLICE_MS, Math.ceil(left))));
      if (n < 0 && this.ops.errno() !== E.EINTR) return cerr('UNREACHABLE', `${this.path}: poll: ${errnoName(this.ops.errno())}`);
      if (n <= 0 || (pfd.readInt16LE(6) & POLLIN) === 0) {
        await sleepTurn();
        continue;
      }
      const recv = encodeRecv(this.addr.address, this.addr.bytes.length, this.data.address, this.data.bytes.length);
      const rc = this.ops.ioctl(this.fd, IPMICTL_RECEIVE_MSG_TRUNC, recv);
      if (rc < 0) {
        const errno = this.ops.errno();
        if (errno === E.EAGAIN || errno === E.EINTR) {
          // poll said readable but the queue was empty (another reader of this fd): wait a turn, never spin.
          await sleepTurn();
          continue;
        }
        if (errno !== E.EMSGSIZE) return cerr('UNREACHABLE', `${this.path}: receive: ${errnoName(errno)}`);
      }
      const got = decodeRecv(recv.subarray(0, RECV_SIZE), this.data.bytes);
      if (!got.ok) return cerr('PROTOCOL', `${this.path}: ${got.reason}`);
      const m = got.value;
      if (m.recvType !== RESPONSE_RECV_TYPE || m.msgid !== msgid) {
        if (++skipped > MAX_SKIPPED) return cerr('PROTOCOL', `${this.path}: more than ${MAX_SKIPPED} messages that are not our reply`);
        continue;
      }
      if (rc < 0) return cerr('PROTOCOL', `${this.path}: the reply is larger than ${this.data.bytes.length} bytes`);
      if (m.netFn !== (req.netFn | 1) || m.cmd !== req.cmd) {
        return cerr('PROTOCOL', `${this.path}: reply netFn 0x${m.netFn.toString(16)} command 0x${m.cmd.toString(16)} to netFn 0x${req.netFn.toString(16)} command 0x${req.cmd.toString(16)}`);
      }
      if (m.data.length < 1) return cerr('PROTOCOL', `${this.path}: a reply without a completion code`);
      return cok({ netFn: m.netFn & ~1, cmd: m.cmd, rqSeq: msgid & 0x3f, completion: m.data[0] ?? 0, data: m.data.subarray(1) });
    }
  }

  private dropFd(): void {
    if (this.fd >= 0) this.ops.close(this.fd);
    this.fd = -1;
  }

  /** Idempotent; frees the native buffers. */
  close(): void {
    if (this.released) return;
    this.released = true;
    this.dropFd();
    this.addr.free();
    this.data.free();
  }
}
