// The Wake-on-LAN relay request on the daemon's control socket, one JSON line
// each way:
//   -> {"op":"wol-relay","mac":"aa:bb:cc:dd:ee:ff","broadcast":"255.255.255.255","port":9,"secureon":"a1b2c3d4"}
//   <- {"result":{"sent":3}}   or   {"error":{"code":"BUSY","message":"..."}}
// With "peers":"NODE" the daemon does not send itself: it asks gossip members
// to wake NODE (which it must hold dead) on their own segments, and "sent"
// counts the members asked. No SecureOn password travels that way.
// `secureon` (hex, 4 or 6 bytes) is optional and never echoed back. The
// daemon relays for exactly the MAC in the request, to the address and port
// in it, and nothing else.

import { cerr, cok, type ChannelErrorCode, type ChannelResult } from '../types.ts';
import { formatMac, parseMac } from './magic.ts';
import { checkTarget } from './send.ts';

export const RELAY_OP = 'wol-relay';
/** A reply is a short line; anything longer is not the daemon's. */
export const MAX_RELAY_REPLY_BYTES = 4096;

export interface RelayRequest {
  mac: Uint8Array;
  broadcast: string;
  port: number;
  secureOn: Uint8Array | null;
  /** The dead member to have gossip peers wake; null: the daemon sends on its own segment. */
  peers: string | null;
}

/** A member name as the gossip layer takes it. */
export const MEMBER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function encodeRelayRequest(r: RelayRequest): string {
  const body: Record<string, string | number> = { op: RELAY_OP, mac: formatMac(r.mac), broadcast: r.broadcast, port: r.port };
  if (r.secureOn) body.secureon = hex(r.secureOn);
  if (r.peers !== null) body.peers = r.peers;
  return `${JSON.stringify(body)}\n`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The daemon's side: a request already read as JSON, checked field by field. Errors never quote the password. */
export function parseRelayRequest(v: unknown): ChannelResult<RelayRequest> {
  if (!isRecord(v) || v.op !== RELAY_OP) return cerr('CONFIG', `not a ${RELAY_OP} request`);
  const known = new Set(['op', 'mac', 'broadcast', 'port', 'secureon', 'peers']);
  const extra = Object.keys(v).find((k) => !known.has(k));
  if (extra !== undefined) return cerr('CONFIG', `unknown field ${JSON.stringify(extra.slice(0, 32))}`);
  if (typeof v.mac !== 'string') return cerr('CONFIG', 'mac must be a string');
  const mac = parseMac(v.mac);
  if (!mac.ok) return cerr('CONFIG', mac.error.message);
  const broadcast = v.broadcast ?? '255.255.255.255';
  const port = v.port ?? 9;
  if (typeof broadcast !== 'string') return cerr('CONFIG', 'broadcast must be a string');
  if (typeof port !== 'number') return cerr('CONFIG', 'port must be a number');
  const target = checkTarget(broadcast, port);
  if (!target.ok) return target;
  let secureOn: Uint8Array | null = null;
  if (v.secureon !== undefined) {
    if (typeof v.secureon !== 'string' || !/^(?:[0-9a-f]{8}|[0-9a-f]{12})$/.test(v.secureon)) return cerr('CONFIG', 'secureon must be 8 or 12 lower-case hex digits');
    secureOn = Uint8Array.from(Buffer.from(v.secureon, 'hex'));
  }
  let peers: string | null = null;
  if (v.peers !== undefined) {
    if (typeof v.peers !== 'string' || !MEMBER_NAME.test(v.peers)) return cerr('CONFIG', 'peers must be a member name');
    if (secureOn !== null) return cerr('CONFIG', 'a SecureOn password is not sent to other members');
    peers = v.peers;
  }
  return cok({ mac: mac.value, broadcast, port, secureOn, peers });
}

const CHANNEL_CODES: readonly ChannelErrorCode[] = ['AUTH', 'CONFIG', 'TLS', 'BUSY', 'UNREACHABLE', 'TIMEOUT', 'PROTOCOL', 'UNSUPPORTED', 'STATE'];

/** The channel's side: the daemon's one reply line. */
export function parseRelayReply(line: string): ChannelResult<number> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return cerr('PROTOCOL', 'the daemon replied with something that is not JSON');
  }
  if (!isRecord(v)) return cerr('PROTOCOL', 'the reply is not a JSON object');
  if (isRecord(v.error)) {
    const code = typeof v.error.code === 'string' ? v.error.code : '';
    const message = typeof v.error.message === 'string' ? v.error.message.slice(0, 300) : '';
    // A daemon without the relay answers UNKNOWN_OP: a version mismatch, not worth a retry.
    if (code === 'UNKNOWN_OP') return cerr('CONFIG', 'the agent daemon does not relay Wake-on-LAN (an older version?)');
    const known = CHANNEL_CODES.find((c) => c === code);
    return cerr(known ?? 'PROTOCOL', `the daemon refused the relay: ${known ? '' : `${JSON.stringify(code.slice(0, 32))}: `}${message}`);
  }
  const sent = isRecord(v.result) ? v.result.sent : undefined;
  if (typeof sent !== 'number' || !Number.isSafeInteger(sent) || sent < 1) return cerr('PROTOCOL', 'the reply does not say how many packets the daemon sent');
  return cok(sent);
}
