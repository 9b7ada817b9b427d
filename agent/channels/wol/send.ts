// Sends a magic packet as UDP datagrams, a few times: UDP is lossy, the NIC
// never answers, and every Wake-on-LAN tool repeats the packet for that
// reason. IPv4 sends with SO_BROADCAST, so the limited broadcast
// 255.255.255.255 and a directed one (10.0.0.255) both work. IPv6 has no
// broadcast: the all-nodes group ff02::1 with a zone (ff02::1%eth0) reaches
// the link, but a sleeping NIC's filter is only sure to pass broadcast
// frames, so IPv4 stays the default.

import dgram from 'node:dgram';
import net from 'node:net';
import { cerr, cok, remainingMs, type ChannelResult, type Deadline } from '../types.ts';

export const SEND_COUNT = 3;
export const SEND_SPACING_MS = 100;

export interface WolTarget {
  /** An IPv4 literal, or an IPv6 literal with an optional %zone. Never a name: a broadcast address has none. */
  host: string;
  port: number;
}

/** Accepts only address literals; a zone is an interface name or index. */
export function checkTarget(host: string, port: number): ChannelResult<WolTarget> {
  const [addr = '', zone, ...extra] = host.split('%');
  const family = net.isIP(addr);
  if (family === 0 || extra.length > 0) return cerr('CONFIG', `${JSON.stringify(host.slice(0, 64))} is not an IPv4 or IPv6 address (Wake-on-LAN goes to a broadcast address, e.g. 255.255.255.255 or 192.168.1.255)`);
  if (zone !== undefined && (family !== 6 || !/^[A-Za-z0-9_.:-]{1,15}$/.test(zone))) return cerr('CONFIG', `${JSON.stringify(host.slice(0, 64))}: only an IPv6 address takes a %zone (an interface name)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return cerr('CONFIG', `port ${port} is out of range`);
  return cok({ host, port });
}

/** Errors that the same send will meet again however long one waits. */
const CONFIG_ERRNOS = new Set(['EACCES', 'EPERM', 'EINVAL', 'EADDRNOTAVAIL', 'ENODEV', 'ENXIO', 'EAFNOSUPPORT', 'EMSGSIZE']);

function sendError(e: NodeJS.ErrnoException, t: WolTarget): ChannelResult<never> {
  const what = `sending to ${t.host} port ${t.port}: ${e.code ?? e.message}`;
  return CONFIG_ERRNOS.has(e.code ?? '') ? cerr('CONFIG', what) : cerr('UNREACHABLE', what);
}

function open(t: WolTarget): Promise<ChannelResult<dgram.Socket>> {
  const v6 = net.isIPv6(t.host.split('%')[0] ?? '');
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4' });
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.close();
      resolve(cerr('UNREACHABLE', `cannot open a UDP socket: ${e.code ?? e.message}`));
    });
    s.bind(0, () => {
      s.removeAllListeners('error');
      // Later errors arrive through send callbacks; an unhandled 'error' event would crash the process.
      s.on('error', () => undefined);
      if (!v6) s.setBroadcast(true);
      resolve(cok(s));
    });
  });
}

function sendOnce(s: dgram.Socket, packet: Uint8Array, t: WolTarget, d: Deadline): Promise<ChannelResult<void>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(cerr('TIMEOUT', `sending to ${t.host} port ${t.port} did not complete before the deadline`)), Math.max(1, remainingMs(d)));
    s.send(packet, t.port, t.host, (e) => {
      clearTimeout(timer);
      resolve(e ? sendError(e, t) : cok(undefined));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `packet` up to `count` times, `spacingMs` apart, stopping when the next
 * copy would fall after the deadline. Returns how many copies went out; one is
 * enough for success, since the NIC never says whether any arrived.
 */
export async function sendMagic(t: WolTarget, packet: Uint8Array, d: Deadline, count = SEND_COUNT, spacingMs = SEND_SPACING_MS): Promise<ChannelResult<number>> {
  if (remainingMs(d) <= 0) return cerr('TIMEOUT', 'the deadline passed before the magic packet was sent');
  const sock = await open(t);
  if (!sock.ok) return sock;
  let sent = 0;
  let failed: ChannelResult<never> | null = null;
  try {
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        if (remainingMs(d) <= spacingMs) break;
        await sleep(spacingMs);
      }
      const r = await sendOnce(sock.value, packet, t, d);
      // A send error is this host's (no route, no such interface), not the network losing a copy:
      // the next copy would meet it too, and the ladder retries what is worth retrying.
      if (!r.ok) {
        failed = r;
        break;
      }
      sent++;
    }
  } finally {
    sock.value.close();
  }
  if (sent > 0) return cok(sent);
  return failed ?? cerr('TIMEOUT', 'no copy of the magic packet could be sent before the deadline');
}
