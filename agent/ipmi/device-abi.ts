// The Linux IPMI device interface (include/uapi/linux/ipmi.h) as bytes, for
// LP64 (x86-64, arm64): struct ipmi_req and struct ipmi_recv carry pointers,
// so they are laid out here by hand and the pointers are addresses of native
// memory the caller owns. Pure: building and reading the structs, no I/O.

import type { Decoded } from './rmcp.ts';

const IOC_WRITE = 1;
const IOC_READ = 2;
const IPMI_IOC_MAGIC = 0x69; // 'i'
const ioc = (dir: number, nr: number, size: number): number => ((dir << 30) | (size << 16) | (IPMI_IOC_MAGIC << 8) | nr) >>> 0;

/** struct ipmi_req: addr*, u32 addr_len, long msgid, struct ipmi_msg { u8 netfn, u8 cmd, u16 data_len, u8 *data }. */
export const REQ_SIZE = 40;
/** struct ipmi_recv: int recv_type, addr*, u32 addr_len, long msgid, struct ipmi_msg. */
export const RECV_SIZE = 48;
/** struct ipmi_system_interface_addr: int addr_type, short channel, u8 lun (padded to 8). */
export const SI_ADDR_SIZE = 8;
/** Room for any address the driver may write back on receive (IPMI_MAX_ADDR_SIZE 32 + the header). */
export const ADDR_ROOM = 40;
/** The kernel's IPMI_MAX_MSG_LENGTH is 272; more room costs nothing. */
export const DATA_ROOM = 1024;

export const IPMICTL_SEND_COMMAND = ioc(IOC_READ, 13, REQ_SIZE);
export const IPMICTL_RECEIVE_MSG_TRUNC = ioc(IOC_READ | IOC_WRITE, 11, RECV_SIZE);
/** Reads our IPMB address from the driver without talking to the BMC: proves the fd is an IPMI device. */
export const IPMICTL_GET_MY_ADDRESS_CMD = ioc(IOC_READ, 18, 4);

export const SYSTEM_INTERFACE_ADDR_TYPE = 0x0c;
/** IPMI_BMC_CHANNEL: the BMC itself, through the system interface. */
export const BMC_CHANNEL = 0x0f;
export const RESPONSE_RECV_TYPE = 1;

export function systemInterfaceAddr(): Buffer {
  const b = Buffer.alloc(SI_ADDR_SIZE);
  b.writeInt32LE(SYSTEM_INTERFACE_ADDR_TYPE, 0);
  b.writeInt16LE(BMC_CHANNEL, 4);
  b[6] = 0; // LUN 0
  return b;
}

export interface ReqFields {
  addr: bigint;
  addrLen: number;
  msgid: number;
  netFn: number;
  cmd: number;
  dataLen: number;
  data: bigint;
}

export function encodeReq(f: ReqFields): Buffer {
  const b = Buffer.alloc(REQ_SIZE);
  b.writeBigUInt64LE(f.addr, 0);
  b.writeUInt32LE(f.addrLen, 8);
  b.writeBigInt64LE(BigInt(f.msgid), 16);
  b[24] = f.netFn & 0xff;
  b[25] = f.cmd & 0xff;
  b.writeUInt16LE(f.dataLen, 26);
  b.writeBigUInt64LE(f.data, 32);
  return b;
}

/** An empty ipmi_recv: the driver fills it; addr/data point at the caller's buffers of the given sizes. */
export function encodeRecv(addr: bigint, addrLen: number, data: bigint, dataLen: number): Buffer {
  const b = Buffer.alloc(RECV_SIZE);
  b.writeBigUInt64LE(addr, 8);
  b.writeUInt32LE(addrLen, 16);
  b.writeUInt16LE(dataLen, 34);
  b.writeBigUInt64LE(data, 40);
  return b;
}

export interface Received {
  recvType: number;
  msgid: number;
  netFn: number;
  cmd: number;
  /** The message's bytes; for a response the first is the completion code. */
  data: Buffer;
}

/**
 * Reads what the driver wrote into an ipmi_recv. `data` is the buffer its data
 * pointer named; a length beyond it (a driver or a fake gone wrong) is an error.
 */
export function decodeRecv(recv: Uint8Array, data: Uint8Array): Decoded<Received> {
  if (recv.length < RECV_SIZE) return { ok: false, reason: `short ipmi_recv (${recv.length} bytes)` };
  const b = Buffer.from(recv.buffer, recv.byteOffset, recv.length);
  const dataLen = b.readUInt16LE(34);
  if (dataLen > data.length) return { ok: false, reason: `ipmi_recv data_len ${dataLen} exceeds the ${data.length}-byte buffer` };
  const msgid = b.readBigInt64LE(24);
  if (msgid < BigInt(Number.MIN_SAFE_INTEGER) || msgid > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'ipmi_recv msgid out of range' };
  return {
    ok: true,
    value: {
      recvType: b.readInt32LE(0),
      msgid: Number(msgid),
      netFn: b[32] ?? 0,
      cmd: b[33] ?? 0,
      data: Buffer.from(data.subarray(0, dataLen)),
    },
  };
}
