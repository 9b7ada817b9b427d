// The MEI contract every layer above the kernel device is written against. The
// device transport (/dev/mei*, ioctl through koffi) and the simulated ME firmware
// under test/fakes/me/ both implement MeiBus, so PTHI, MKHI, the watchdog client
// and LME/APF run unchanged on either.

import type { Deadline } from '../channels/types.ts';

export type MeiErrorCode =
  /** No /dev/mei* node, or the mei driver is not loaded: this machine has no reachable ME. */
  | 'NO_DEVICE'
  /** The firmware has no client with that GUID (ENOTTY/ENOENT from CONNECT_CLIENT): e.g. no AMT on this SKU. */
  | 'NO_CLIENT'
  /** Another holder has the client or the device (EBUSY after the retries). */
  | 'BUSY'
  /** Not root, or the node's permissions refuse us. */
  | 'PERMISSION'
  /** No whole answer within the deadline. */
  | 'TIMEOUT'
  /** The device went away or reset under us (ENODEV, POLLHUP) after the reopen attempts. */
  | 'RESET'
  /** An answer that is not the protocol: wrong length, wrong command code, a header that lies. */
  | 'PROTOCOL'
  /** The firmware answered with a non-success status (PTHI status, MKHI result). */
  | 'STATUS'
  /** Any other system error, with errno in the message. */
  | 'IO';

export interface MeiError {
  code: MeiErrorCode;
  message: string;
  /** PTHI/MKHI status when code is STATUS. */
  status?: number;
}

export type MeiResult<T> = { ok: true; value: T } | { ok: false; error: MeiError };
export const mok = <T>(value: T): MeiResult<T> => ({ ok: true, value });
export const merr = (code: MeiErrorCode, message: string, status?: number): MeiResult<never> => ({
  ok: false,
  error: status === undefined ? { code, message } : { code, message, status },
});

/** One connected firmware client: whole messages each way, at most max_msg_length bytes. */
export interface MeiConnection {
  /** From IOCTL_MEI_CONNECT_CLIENT: the largest message either side may send. */
  readonly maxMessageLength: number;
  readonly protocolVersion: number;
  /** Writes one whole message. */
  send(message: Uint8Array, d: Deadline): Promise<MeiResult<void>>;
  /** The next whole message from the firmware (LME sends unasked ones too). */
  receive(d: Deadline): Promise<MeiResult<Uint8Array>>;
  /** Idempotent; a pending receive ends with RESET. */
  close(): void;
}

/** Where connections come from: /dev/mei0..3 on a real machine, the simulated firmware in tests. */
export interface MeiBus {
  /** `guid` in canonical text form, e.g. "12f80028-b4b7-4b2d-aca8-46e0ff65814c". */
  connect(guid: string, d: Deadline): Promise<MeiResult<MeiConnection>>;
  /** Human name of what the bus is ("/dev/mei0", "simulated ME 16.1"), for evidence and errors. */
  describe(): string;
}
