// The libc calls the agent makes through koffi, declared once. Each returns
// -1 and sets errno on failure; callers turn that into typed errors.

import { koffi } from './koffi.ts';

export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, addrlen: number): number;
  close(fd: number): number;
  /** `arg` is passed as a pointer to the buffer's memory; the kernel reads and writes it in place. */
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  /** open(2) without O_CREAT (no mode). */
  open(path: string, flags: number): number;
  /** Fills `buf` from its start; returns the byte count. */
  read(fd: number, buf: Uint8Array, len: number): number;
  write(fd: number, buf: Uint8Array, len: number): number;
  /** `fds` is an array of struct pollfd (8 bytes each: i32 fd, i16 events, i16 revents), updated in place. */
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  /** errno of the last failed call on this thread. */
  errno(): number;
}

export const AF_UNIX = 1;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_NOSIGNAL = 0x4000;
/** Same bit as SOCK_CLOEXEC on x86-64 and arm64; fs.constants does not export it. */
export const O_CLOEXEC = 0o2000000;
export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
/** struct pollfd event bits (asm-generic/poll.h). */
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

let cached: Libc | undefined;

export function libc(): Libc {
  if (cached) return cached;
  const k = koffi();
  const lib = k.load('libc.so.6');
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const sendto = lib.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)');
  const close = lib.func('int close(int fd)');
  // ioctl is variadic in libc; declaring it so keeps the call correct on every ABI.
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, ...)');
  // open is variadic too, but its mode is read only with O_CREAT, which the agent never passes.
  const open = lib.func('int open(const char *path, int flags)');
  const read = lib.func('intptr_t read(int fd, void *buf, size_t len)');
  const write = lib.func('intptr_t write(int fd, const void *buf, size_t len)');
  const poll = lib.func('int poll(void *fds, unsigned long nfds, int timeout)');
  cached = {
    socket: (d, t, p) => socket(d, t, p) as number,
    sendto: (fd, buf, len, flags, addr, addrlen) => Number(sendto(fd, buf, len, flags, addr, addrlen)),
    close: (fd) => close(fd) as number,
    ioctl: (fd, request, arg) => ioctl(fd, request, 'void *', arg) as number,
    open: (path, flags) => open(path, flags) as number,
    read: (fd, buf, len) => Number(read(fd, buf, len)),
    write: (fd, buf, len) => Number(write(fd, buf, len)),
    poll: (fds, nfds, timeoutMs) => poll(fds, nfds, timeoutMs) as number,
    errno: () => k.errno(),
  };
  return cached;
}
