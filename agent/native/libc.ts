// The libc calls the agent makes through koffi, declared once. Each returns
// -1 and sets errno on failure; callers turn that into typed errors.

import { koffi } from './koffi.ts';

export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, addrlen: number): number;
  close(fd: number): number;
  /** errno of the last failed call on this thread. */
  errno(): number;
}

export const AF_UNIX = 1;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_NOSIGNAL = 0x4000;

let cached: Libc | undefined;

export function libc(): Libc {
  if (cached) return cached;
  const k = koffi();
  const lib = k.load('libc.so.6');
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const sendto = lib.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)');
  const close = lib.func('int close(int fd)');
  cached = {
    socket: (d, t, p) => socket(d, t, p) as number,
    sendto: (fd, buf, len, flags, addr, addrlen) => Number(sendto(fd, buf, len, flags, addr, addrlen)),
    close: (fd) => close(fd) as number,
    errno: () => k.errno(),
  };
  return cached;
}
