// The BMC's user table (IPMI v2.0 §22.26-22.30): Get/Set User Access, Get/Set
// User Name, Set User Password. User IDs are 1..max (6 bits); ID 1 is the
// null user, whose name is fixed empty. Access (privilege, IPMI messaging) is
// per channel.

import { cok, type Deadline } from '../channels/types.ts';
import { NETFN, type IpmiRequest } from './messages.ts';
import type { Decoded } from './rmcp.ts';
import { call, type CallError, type IpmiTransport } from './transport.ts';

export const USER_CMD = { setUserAccess: 0x43, getUserAccess: 0x44, setUserName: 0x45, getUserName: 0x46, setUserPassword: 0x47 } as const;
/** Privilege limits (table 22-28); 0xF takes all access away on the channel. */
export const PRIVILEGE: Record<number, string> = { 1: 'callback', 2: 'user', 3: 'operator', 4: 'admin', 5: 'oem', 0x0f: 'no-access' };
export const NO_ACCESS = 0x0f;
/** Set User Password operation (byte 2, bits 1:0). */
export const PASSWORD_OP = { disable: 0, enable: 1, set: 2, test: 3 } as const;
export const NAME_BYTES = 16;

export const getUserAccess = (channel: number, user: number): IpmiRequest => ({ netFn: NETFN.app, cmd: USER_CMD.getUserAccess, data: Uint8Array.from([channel & 0x0f, user & 0x3f]) });
export const getUserName = (user: number): IpmiRequest => ({ netFn: NETFN.app, cmd: USER_CMD.getUserName, data: Uint8Array.from([user & 0x3f]) });

export interface AccessSetting {
  privilege: number;
  messaging: boolean;
  linkAuth: boolean;
  callbackOnly: boolean;
}

export function setUserAccess(channel: number, user: number, a: AccessSetting): IpmiRequest {
  // Bit 7: apply the flag bits of this byte too, not only the privilege.
  const b1 = 0x80 | (a.callbackOnly ? 0x40 : 0) | (a.linkAuth ? 0x20 : 0) | (a.messaging ? 0x10 : 0) | (channel & 0x0f);
  return { netFn: NETFN.app, cmd: USER_CMD.setUserAccess, data: Uint8Array.from([b1, user & 0x3f, a.privilege & 0x0f]) };
}

/** `name` of at most 16 bytes, NUL-padded; all zeros clears the name. */
export function setUserName(user: number, name: Uint8Array): IpmiRequest {
  const data = new Uint8Array(1 + NAME_BYTES);
  data[0] = user & 0x3f;
  data.set(name.subarray(0, NAME_BYTES), 1);
  return { netFn: NETFN.app, cmd: USER_CMD.setUserName, data };
}

/**
 * Set User Password. A password is sent in the 16-byte form when it fits (every
 * BMC takes it, and IPMI v2.0 pads it to 20 for RMCP+), else in the 20-byte form
 * (bit 7 of byte 1).
 */
export function setUserPassword(user: number, op: number, password?: Uint8Array): IpmiRequest {
  if (!password) return { netFn: NETFN.app, cmd: USER_CMD.setUserPassword, data: Uint8Array.from([user & 0x3f, op & 0x03]) };
  const size = password.length <= 16 ? 16 : 20;
  const data = new Uint8Array(2 + size);
  data[0] = (size === 20 ? 0x80 : 0) | (user & 0x3f);
  data[1] = op & 0x03;
  data.set(password.subarray(0, size), 2);
  return { netFn: NETFN.app, cmd: USER_CMD.setUserPassword, data };
}

export interface UserAccess {
  maxUsers: number;
  enabledUsers: number;
  /** The BMC's own enable status for this user ID (bits 7:6 of byte 3; many BMCs leave it unspecified). */
  enableStatus: 'unspecified' | 'enabled' | 'disabled' | 'reserved';
  fixedNames: number;
  callbackOnly: boolean;
  linkAuth: boolean;
  messaging: boolean;
  privilege: number;
  privilegeName: string;
}

const ENABLE = ['unspecified', 'enabled', 'disabled', 'reserved'] as const;

export function parseUserAccess(data: Uint8Array): Decoded<UserAccess> {
  if (data.length < 4) return { ok: false, reason: 'short Get User Access reply' };
  const b2 = data[1] ?? 0;
  const a = data[3] ?? 0;
  const privilege = a & 0x0f;
  return {
    ok: true,
    value: {
      maxUsers: (data[0] ?? 0) & 0x3f,
      enabledUsers: b2 & 0x3f,
      enableStatus: ENABLE[b2 >> 6] ?? 'unspecified',
      fixedNames: (data[2] ?? 0) & 0x3f,
      callbackOnly: (a & 0x40) !== 0,
      linkAuth: (a & 0x20) !== 0,
      messaging: (a & 0x10) !== 0,
      privilege,
      privilegeName: PRIVILEGE[privilege] ?? (privilege === 0 ? 'none' : `reserved (${privilege})`),
    },
  };
}

/** The name up to its first NUL; printable ASCII only (a name is what ipmitool -U takes). */
export function parseUserName(data: Uint8Array): Decoded<string> {
  if (data.length < NAME_BYTES) return { ok: false, reason: 'short Get User Name reply' };
  const raw = data.subarray(0, NAME_BYTES);
  const end = raw.indexOf(0);
  const bytes = raw.subarray(0, end === -1 ? NAME_BYTES : end);
  // Erased flash reads 0xFF: no name.
  if (bytes.length > 0 && bytes.every((b) => b === 0xff)) return { ok: true, value: '' };
  if (!bytes.every((b) => b >= 0x20 && b < 0x7f)) return { ok: false, reason: 'user name with non-printable bytes' };
  return { ok: true, value: Buffer.from(bytes).toString('latin1') };
}

export interface UserSlot {
  id: number;
  /** null when the BMC would not say (the null user's fixed name, or a refused read). */
  name: string | null;
  /** Access on each channel asked about. */
  access: ({ channel: number } & UserAccess)[];
  /** Enabled on some channel: IPMI messaging on, or the BMC's enable status says so. */
  enabled: boolean;
}

export interface UserTable {
  maxUsers: number;
  users: UserSlot[];
  /** Reads that failed, per slot; the table is otherwise what the BMC said. */
  errors: string[];
}

const describe = (e: CallError): string => `${e.code}: ${e.message}`;

/** Every slot's name and its access on `channels` (the LAN channels, or 0xE: the channel asked on). */
export async function readUsers(t: IpmiTransport, channels: readonly number[], d: Deadline): Promise<{ ok: true; value: UserTable } | { ok: false; error: CallError }> {
  const chans = channels.length > 0 ? channels : [0x0e];
  const first = await call(t, getUserAccess(chans[0] as number, 1), d, 'Get User Access (user 1)');
  if (!first.ok) return first;
  const head = parseUserAccess(first.value);
  if (!head.ok) return { ok: false, error: { code: 'PROTOCOL', message: head.reason } };
  const maxUsers = head.value.maxUsers;
  const users: UserSlot[] = [];
  const errors: string[] = [];
  for (let id = 1; id <= maxUsers; id++) {
    const access: UserSlot['access'] = [];
    for (const channel of chans) {
      const r = id === 1 && channel === chans[0] ? first : await call(t, getUserAccess(channel, id), d, `Get User Access (user ${id}, channel ${channel})`);
      if (!r.ok) {
        errors.push(describe(r.error));
        if (r.error.code !== 'REFUSED') return { ok: false, error: r.error };
        continue;
      }
      const p = parseUserAccess(r.value);
      if (p.ok) access.push({ channel, ...p.value });
      else errors.push(`user ${id}, channel ${channel}: ${p.reason}`);
    }
    const n = await call(t, getUserName(id), d, `Get User Name (user ${id})`);
    let name: string | null = null;
    if (n.ok) {
      const p = parseUserName(n.value);
      if (p.ok) name = p.value;
      else errors.push(`user ${id}: ${p.reason}`);
    } else if (n.error.code !== 'REFUSED') {
      return { ok: false, error: n.error };
    } else if (id !== 1) {
      errors.push(describe(n.error));
    }
    const enabled = access.some((a) => a.messaging || a.enableStatus === 'enabled');
    users.push({ id, name, access, enabled });
  }
  return cok({ maxUsers, users, errors });
}
