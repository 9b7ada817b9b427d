// Asks the local agent daemon to send the magic packet (--relay-socket): one
// request line, one reply line over its control socket, all inside the
// deadline. The daemon's node sits on the segment of the machine to wake;
// this one need not.

import { createConnection } from 'node:net';
import { cerr, remainingMs, type ChannelResult, type Deadline } from '../types.ts';
import { encodeRelayRequest, MAX_RELAY_REPLY_BYTES, parseRelayReply, type RelayRequest } from './relay-codec.ts';

function connectError(path: string, e: NodeJS.ErrnoException): ChannelResult<never> {
  // A daemon restarting is worth another try; a socket we may not open is not.
  if (e.code === 'EACCES' || e.code === 'EPERM') return cerr('CONFIG', `not allowed to connect to ${path} (the daemon's socket is root's)`);
  if (e.code === 'ENOTSOCK') return cerr('CONFIG', `${path} is not a socket`);
  return cerr('UNREACHABLE', `no agent daemon answers on ${path}: ${e.code ?? e.message}`);
}

/** Sends one relay request; the value is how many copies the daemon sent. */
export function relayMagic(path: string, req: RelayRequest, d: Deadline): Promise<ChannelResult<number>> {
  return new Promise((resolve) => {
    if (remainingMs(d) <= 0) return resolve(cerr('TIMEOUT', 'the deadline passed before the relay was asked'));
    let settled = false;
    let connected = false;
    let buf = Buffer.alloc(0);
    const sock = createConnection(path);
    const settle = (r: ChannelResult<number>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => settle(cerr('TIMEOUT', `the agent daemon on ${path} did not answer the relay request in time`)), Math.max(1, remainingMs(d)));
    sock.once('connect', () => {
      connected = true;
      sock.write(encodeRelayRequest(req));
    });
    sock.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      const nl = buf.indexOf(0x0a);
      if (nl === -1 && buf.length <= MAX_RELAY_REPLY_BYTES) return;
      if (nl === -1 || nl > MAX_RELAY_REPLY_BYTES) return settle(cerr('PROTOCOL', `the daemon's reply is longer than ${MAX_RELAY_REPLY_BYTES} bytes`));
      settle(parseRelayReply(buf.subarray(0, nl).toString('utf8')));
    });
    sock.once('end', () => settle(cerr('PROTOCOL', 'the daemon closed the connection without a complete reply')));
    sock.once('error', (e: NodeJS.ErrnoException) => settle(connected ? cerr('UNREACHABLE', `the relay connection failed: ${e.code ?? e.message}`) : connectError(path, e)));
  });
}
