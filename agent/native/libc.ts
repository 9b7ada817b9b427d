// The libc calls the agent makes through koffi, declared once. Each returns
// -1 and sets errno on failure; callers turn that into typed errors.

import { koffi } from './koffi.ts';

export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, addrlen: number): number;
  close(fd: number): number;
  /** `arg` is passed as a pointer to the buffer's memory; the kernel reads and writes it in place. */
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  /** errno of the last failed call on this thread. */
  errno(): number;
}

export const AF_UNIX = 1;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_NOSIGNAL = 0x4000;
/** Same bit as SOCK_CLOEXEC on x86-64 and arm64; fs.constants does not export it. */
export const O_CLOEXEC = 0o2000000;

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
  cached = {
    socket: (d, t, p) => socket(d, t, p) as number,
    sendto: (fd, buf, len, flags, addr, addrlen) => Number(sendto(fd, buf, len, flags, addr, addrlen)),
    close: (fd) => close(fd) as number,
    ioctl: (fd, request, arg) => ioctl(fd, request, 'void *', arg) as number,
    errno: () => k.errno(),
  };
  return cached;
}
