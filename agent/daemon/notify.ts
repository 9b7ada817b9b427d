// sd_notify(3) without libsystemd: the protocol is one datagram of
// newline-separated KEY=VALUE lines to the unix socket named by NOTIFY_SOCKET
// (a path, or an abstract name when it starts with '@'). Node has no unix
// datagram sockets, so the send goes through libc; building the address and the
// message is pure and tested on its own.

import { AF_UNIX, MSG_NOSIGNAL, SOCK_CLOEXEC, SOCK_DGRAM, libc } from '../native/libc.ts';

/** sizeof(struct sockaddr_un.sun_path) on Linux. */
const SUN_PATH_MAX = 108;

export class NotifyError extends Error {
  readonly code = 'E_NOTIFY';
  constructor(message: string) {
    super(message);
    this.name = 'NotifyError';
  }
}

/** struct sockaddr_un for NOTIFY_SOCKET, and the length to pass to sendto(2). */
export function notifyAddress(socketName: string): { addr: Buffer; len: number } {
  const abstract = socketName.startsWith('@');
  if (!abstract && !socketName.startsWith('/')) throw new NotifyError(`NOTIFY_SOCKET must be an absolute path or @name, not ${JSON.stringify(socketName)}`);
  const name = Buffer.from(abstract ? `\0${socketName.slice(1)}` : socketName, 'utf8');
  // A path needs room for its NUL terminator; an abstract name is exactly its bytes.
  if (name.length + (abstract ? 0 : 1) > SUN_PATH_MAX) throw new NotifyError(`NOTIFY_SOCKET is longer than ${SUN_PATH_MAX} bytes`);
  const addr = Buffer.alloc(2 + SUN_PATH_MAX);
  addr.writeUInt16LE(AF_UNIX, 0);
  name.copy(addr, 2);
  return { addr, len: 2 + name.length + (abstract ? 0 : 1) };
}

/** The datagram: KEY=VALUE lines; a value may not contain a newline. */
export function notifyMessage(fields: Readonly<Record<string, string | number>>): Buffer {
  const lines = Object.entries(fields).map(([k, v]) => {
    const value = String(v);
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new NotifyError(`bad notify key ${JSON.stringify(k)}`);
    if (value.includes('\n')) throw new NotifyError(`notify value for ${k} contains a newline`);
    return `${k}=${value}`;
  });
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** The watchdog interval systemd asks for, in ms, or null when it asks for none (WATCHDOG_PID names another process). */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return null;
  // sd_watchdog_enabled(3): ping at half the timeout.
  return Math.max(1, Math.floor(usec / 2000));
}

export interface Notifier {
  /** True when systemd asked for notifications (NOTIFY_SOCKET set). */
  readonly enabled: boolean;
  send(fields: Readonly<Record<string, string | number>>): void;
}

/** A notifier for NOTIFY_SOCKET, or one that does nothing when the agent was not started by systemd. */
export function systemdNotifier(env: NodeJS.ProcessEnv): Notifier {
  const socketName = env.NOTIFY_SOCKET;
  if (!socketName) return { enabled: false, send: () => undefined };
  const { addr, len } = notifyAddress(socketName);
  return {
    enabled: true,
    send(fields) {
      const msg = notifyMessage(fields);
      const c = libc();
      const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0) throw new NotifyError(`socket(AF_UNIX, SOCK_DGRAM): errno ${c.errno()}`);
      try {
        const n = c.sendto(fd, msg, msg.length, MSG_NOSIGNAL, addr, len);
        if (n !== msg.length) throw new NotifyError(`sendto ${socketName}: ${n < 0 ? `errno ${c.errno()}` : `short write ${n}/${msg.length}`}`);
      } finally {
        c.close(fd);
      }
    },
  };
}
