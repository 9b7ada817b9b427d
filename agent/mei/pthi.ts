// PTHI (AMTHI), the AMT host interface: framing and status codes. Request header
// 12 bytes little-endian {u8 1, u8 1, u16 0, u32 command, u32 length}; the reply
// adds a u32 status. `length` counts every byte after the 12-byte header, in both
// directions, so a reply's length includes its status (intel/lms AMTHICommand.h
// checks `Length == size - sizeof(header)`). Requests are 0x04000000|cmd, replies
// 0x04800000|cmd; GET_AMT_STATE is the exception (0x01000001/0x01800001). Facts from
// rpc-go pkg/pthi/types.go and status.go, MeshCentral amt-mei.js (amt-me.md 1b).

import { LeWriter, decodeLe } from './le.ts';
import { merr, mok, type MeiResult } from './types.ts';

export const PTHI_REQUEST_HEADER_LENGTH = 12;
export const PTHI_RESPONSE_HEADER_LENGTH = 16;

export const PTHI_CMD = {
  UNPROVISION: 0x10,
  GET_PROVISIONING_STATE: 0x11,
  GET_CODE_VERSIONS: 0x1a,
  ENUMERATE_HASH_HANDLES: 0x2c,
  GET_CERT_HASH_ENTRY: 0x2d,
  GET_PKI_FQDN_SUFFIX: 0x36,
  GET_REMOTE_ACCESS_CONNECTION_STATUS: 0x46,
  GET_LAN_INTERFACE_SETTINGS: 0x48,
  GET_UUID: 0x5c,
  GET_LOCAL_SYSTEM_ACCOUNT: 0x67,
  GET_CONTROL_MODE: 0x6b,
} as const;

export const PTHI_GET_AMT_STATE_REQUEST = 0x01000001;
export const PTHI_GET_AMT_STATE_RESPONSE = 0x01800001;
export const pthiRequestCode = (cmd: number): number => (0x04000000 | cmd) >>> 0;
export const pthiResponseCode = (requestCode: number): number =>
  requestCode === PTHI_GET_AMT_STATE_REQUEST ? PTHI_GET_AMT_STATE_RESPONSE : (requestCode | 0x00800000) >>> 0;

export const PTHI_STATUS = {
  SUCCESS: 0,
  INTERNAL_ERROR: 1,
  NOT_READY: 2,
  INVALID_AMT_MODE: 3,
  INVALID_MESSAGE_LENGTH: 4,
  NOT_PERMITTED: 16,
  MAX_LIMIT_REACHED: 23,
  INVALID_PARAMETER: 36,
  RNG_GENERATION_IN_PROGRESS: 47,
  RNG_NOT_READY: 48,
  CERTIFICATE_NOT_READY: 49,
  INVALID_HANDLE: 2053,
  NOT_FOUND: 2068,
} as const;

const STATUS_NAMES = new Map<number, string>(Object.entries(PTHI_STATUS).map(([k, v]) => [v, `AMT_STATUS_${k}`]));
export const pthiStatusName = (s: number): string => STATUS_NAMES.get(s) ?? `AMT status ${s}`;

/** A whole request: header then payload; `command` is the full code (pthiRequestCode(cmd)). */
export function encodePthiRequest(command: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return new LeWriter().u8(1).u8(1).u16(0).u32(command).u32(payload.length).bytes(payload).done();
}

export interface PthiReply {
  status: number;
  /** The bytes after the status. */
  body: Uint8Array;
}

/**
 * Checks a reply against the request it answers: header version 1.x, the matching
 * response code, a length that is the message's, then the status. A wrong code or
 * length is PROTOCOL (the connection can no longer be trusted); a firmware refusal
 * is STATUS with the status number.
 */
export function decodePthiReply(bytes: Uint8Array, requestCode: number): MeiResult<PthiReply> {
  const expected = pthiResponseCode(requestCode);
  const framed = decodeLe(bytes, 'PTHI reply', (r) => {
    const major = r.u8('header version major');
    r.u8('header version minor');
    r.u16('header reserved');
    const command = r.u32('header command');
    const length = r.u32('header length');
    const status = r.u32('header status');
    if (major !== 1) r.fail(`header version ${major}, expected 1`);
    if (command !== expected) r.fail(`command 0x${command.toString(16).padStart(8, '0')}, expected 0x${expected.toString(16).padStart(8, '0')}`);
    if (length !== bytes.length - PTHI_REQUEST_HEADER_LENGTH) r.fail(`header length ${length}, message has ${bytes.length - PTHI_REQUEST_HEADER_LENGTH} bytes after the header`);
    return { status, body: bytes.slice(PTHI_RESPONSE_HEADER_LENGTH) };
  });
  if (!framed.ok) return framed;
  const { status } = framed.value;
  if (status !== PTHI_STATUS.SUCCESS) return merr('STATUS', `PTHI 0x${(requestCode & 0xff).toString(16)}: ${pthiStatusName(status)}`, status);
  return mok(framed.value);
}
