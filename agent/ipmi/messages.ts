// IPMI LAN messages (IPMI v2.0 §13.8 table 13-4) and the commands the power
// channel uses: requester 0x81 (remote console SWID), responder 0x20 (BMC),
// two's-complement checksums over each half.

import type { Decoded } from './rmcp.ts';

const BMC_ADDR = 0x20;
const CONSOLE_SWID = 0x81;

export const NETFN = { chassis: 0x00, app: 0x06 } as const;
export const CMD = {
  getDeviceId: 0x01,
  getChannelAuthCapabilities: 0x38,
  setSessionPrivilege: 0x3b,
  closeSession: 0x3c,
  getChassisStatus: 0x01,
  chassisControl: 0x02,
} as const;

export const PRIV = { user: 2, operator: 3, admin: 4 } as const;

/** Chassis Control data byte (§28.3). */
export const CONTROL = { off: 0, on: 1, cycle: 2, reset: 3, diag: 4, soft: 5 } as const;

const checksum = (b: Uint8Array, from: number, to: number): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += b[i] ?? 0;
  return -s & 0xff;
};

export interface IpmiRequest {
  netFn: number;
  cmd: number;
  data: Uint8Array;
}

/** `rqSeq` is 6 bits; it lets a reply be matched to its request. */
export function encodeRequest(r: IpmiRequest, rqSeq: number): Buffer {
  const b = Buffer.alloc(7 + r.data.length);
  b[0] = BMC_ADDR;
  b[1] = (r.netFn << 2) & 0xff;
  b[2] = checksum(b, 0, 2);
  b[3] = CONSOLE_SWID;
  b[4] = (rqSeq & 0x3f) << 2;
  b[5] = r.cmd;
  Buffer.from(r.data).copy(b, 6);
  b[b.length - 1] = checksum(b, 3, b.length - 1);
  return b;
}

export interface IpmiResponse {
  netFn: number;
  cmd: number;
  rqSeq: number;
  completion: number;
  data: Buffer;
}

export function decodeResponse(b: Uint8Array): Decoded<IpmiResponse> {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  if (buf.length < 8) return { ok: false, reason: 'short IPMI message' };
  if (checksum(buf, 0, 2) !== buf[2]) return { ok: false, reason: 'bad IPMI header checksum' };
  if (checksum(buf, 3, buf.length - 1) !== buf[buf.length - 1]) return { ok: false, reason: 'bad IPMI data checksum' };
  const netFn = (buf[1] ?? 0) >> 2;
  if ((netFn & 1) === 0) return { ok: false, reason: 'an IPMI request where a response was expected' };
  return {
    ok: true,
    value: { netFn: netFn & ~1, cmd: buf[5] ?? 0, rqSeq: (buf[4] ?? 0) >> 2, completion: buf[6] ?? 0, data: buf.subarray(7, buf.length - 1) },
  };
}

export const getChannelAuthCaps = (priv: number): IpmiRequest => ({
  netFn: NETFN.app,
  cmd: CMD.getChannelAuthCapabilities,
  // 0x80: ask for IPMI v2.0 extended data; 0x0E: the channel this request arrives on.
  data: Uint8Array.from([0x8e, priv]),
});

export interface AuthCaps {
  /** The BMC speaks RMCP+ (IPMI v2.0) on this channel. */
  v20: boolean;
  /** The BMC speaks IPMI v1.5 sessions on this channel. */
  v15: boolean;
}

export function parseAuthCaps(data: Uint8Array): Decoded<AuthCaps> {
  if (data.length < 8) return { ok: false, reason: 'short Get Channel Authentication Capabilities reply' };
  const extended = ((data[1] ?? 0) & 0x80) !== 0;
  const ext = data[3] ?? 0;
  // Without the extended bit the BMC is a v1.5-only one that ignored our request for v2.0 data.
  return { ok: true, value: { v20: extended && (ext & 0x02) !== 0, v15: !extended || (ext & 0x01) !== 0 } };
}

export const setSessionPrivilege = (priv: number): IpmiRequest => ({ netFn: NETFN.app, cmd: CMD.setSessionPrivilege, data: Uint8Array.from([priv]) });

export function closeSession(bmcSid: number): IpmiRequest {
  const data = Buffer.alloc(4);
  data.writeUInt32LE(bmcSid >>> 0);
  return { netFn: NETFN.app, cmd: CMD.closeSession, data };
}

export const getChassisStatus = (): IpmiRequest => ({ netFn: NETFN.chassis, cmd: CMD.getChassisStatus, data: new Uint8Array(0) });
export const chassisControl = (c: number): IpmiRequest => ({ netFn: NETFN.chassis, cmd: CMD.chassisControl, data: Uint8Array.from([c]) });
export const getDeviceId = (): IpmiRequest => ({ netFn: NETFN.app, cmd: CMD.getDeviceId, data: new Uint8Array(0) });

/** Current power state byte, bit 0 (§28.2). */
export function parseChassisStatus(data: Uint8Array): Decoded<{ powerOn: boolean }> {
  if (data.length < 3) return { ok: false, reason: 'short Get Chassis Status reply' };
  return { ok: true, value: { powerOn: ((data[0] ?? 0) & 0x01) !== 0 } };
}

export interface DeviceId {
  deviceId: number;
  firmware: string;
  ipmiVersion: string;
  manufacturer: number;
  product: number;
}

export function parseDeviceId(data: Uint8Array): Decoded<DeviceId> {
  if (data.length < 11) return { ok: false, reason: 'short Get Device ID reply' };
  const b = Buffer.from(data.buffer, data.byteOffset, data.length);
  const minor = b[3] ?? 0;
  const ver = b[4] ?? 0;
  return {
    ok: true,
    value: {
      deviceId: b[0] ?? 0,
      // Minor firmware revision is BCD.
      firmware: `${(b[2] ?? 0) & 0x7f}.${(minor >> 4).toString()}${(minor & 0x0f).toString()}`,
      ipmiVersion: `${ver & 0x0f}.${ver >> 4}`,
      manufacturer: b.readUIntLE(6, 3) & 0x0fffff,
      product: b.readUInt16LE(9),
    },
  };
}
