// The one interface every out-of-band channel implements. A driver knows its
// protocol and nothing about fencing: it reads the power state and sends one
// request. verify.ts turns any driver into the verified actions (status -> off
// -> verify off -> on -> verify on), so every channel fences the same way.

import type { ChannelName } from './registry.ts';
import { monotonicMs } from '../clock.ts';
export type { ChannelName };

/** What a status read can say. `transitioning` (Redfish PoweringOn/Off) is not an end state. */
export type Observed = 'on' | 'off' | 'transitioning' | 'unknown';
export type PowerState = 'on' | 'off';
export type PowerAction = 'on' | 'off' | 'cycle' | 'reset';

export type ChannelErrorCode =
  /** Wrong user or password, or too little privilege: retrying cannot help and may lock the account. */
  | 'AUTH'
  /** The request cannot work as configured (no such system, an action the device does not offer, a refused cipher suite). */
  | 'CONFIG'
  /** The certificate did not match the pinned fingerprint. */
  | 'TLS'
  /** The device asked to be asked later (IPMI 0xC0, HTTP 409/503): retried with backoff within the deadline. */
  | 'BUSY'
  /** Connection refused or reset: the BMC may be restarting, retried within the deadline. */
  | 'UNREACHABLE'
  /** No valid answer in time. */
  | 'TIMEOUT'
  /** An answer that is not the protocol (garbage, a failed integrity check, an unexpected document). */
  | 'PROTOCOL'
  /** The channel cannot do this action at all. */
  | 'UNSUPPORTED'
  /** The device answered, but the machine did not reach the state asked for before the deadline. */
  | 'STATE';

export interface ChannelError {
  code: ChannelErrorCode;
  message: string;
}

export type ChannelResult<T> = { ok: true; value: T } | { ok: false; error: ChannelError };
export const cok = <T>(value: T): ChannelResult<T> => ({ ok: true, value });
export const cerr = (code: ChannelErrorCode, message: string): ChannelResult<never> => ({ ok: false, error: { code, message } });

/** Errors worth another attempt before the deadline; the rest fail at once. */
export const RETRYABLE: ReadonlySet<ChannelErrorCode> = new Set(['BUSY', 'UNREACHABLE', 'TIMEOUT']);

/** An absolute point on the monotonic clock (monotonicMs()) by which an operation must end. */
export interface Deadline {
  readonly at: number;
}
export const deadlineIn = (ms: number): Deadline => ({ at: monotonicMs() + ms });
export const remainingMs = (d: Deadline): number => Math.max(0, d.at - monotonicMs());
/** An AbortSignal for the time left, for fetch and sockets. */
export const deadlineSignal = (d: Deadline): AbortSignal => AbortSignal.timeout(Math.max(1, Math.ceil(remainingMs(d))));

export interface ChannelDescription {
  channel: ChannelName;
  /** host:port (or URL) the channel talks to; never a credential. */
  target: string;
  /** The requests the device takes (after discovery where the protocol advertises them). */
  actions: PowerAction[];
  /** Whether a status read reflects the machine's real power state. False for Wake-on-LAN and
   *  the reset-only dedicated-server APIs: their status() answers UNSUPPORTED and the ladder
   *  reports a sent request as unverified, never as done. */
  verifiable: boolean;
}

/** One protocol's driver: what a channel folder implements. */
export interface PowerDriver {
  describe(): ChannelDescription;
  /** One status read (a driver may retransmit inside it; it never retries a whole exchange). */
  status(d: Deadline): Promise<ChannelResult<Observed>>;
  /** Sends one power request. Its reply proves nothing: the caller verifies by reading status. */
  request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>>;
  /** Ends any session (logout, Close Session); never fails loudly, sessions must not leak. */
  close(d: Deadline): Promise<void>;
}

/** How to reach a device. Secrets are held in memory only, never in argv, logs or output. */
export interface ChannelOptions {
  /** The device or service; each channel says whether it needs one (ChannelEntry.host). */
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  /** `sha256:HEX` of the device's certificate, for the HTTPS channels. */
  tlsFingerprint?: string;
  /** Plain HTTP for the HTTP channels: only when asked for. */
  insecureHttp?: boolean;
  /** IPMI: allow cipher suites 0-2 and IPMI 1.5, which give no real integrity. */
  allowWeakCiphers?: boolean;
  /** The channel's own settings, keyed by the names of its ChannelFlags (outlet, vm, server, mac...). */
  params?: Readonly<Record<string, string>>;
  /** The channel's own secrets (community, API token, SecureOn password), keyed by the secret flag's name. */
  secrets?: Readonly<Record<string, string>>;
}

/** A setting one channel takes beyond the common ones: a CLI flag and a key of ChannelOptions.params or .secrets. */
export interface ChannelFlag {
  /** Without the dashes. A secret flag is named `...-file` and names a file whose first line is the secret. */
  name: string;
  /** Placeholder in help; absent for a boolean flag (its param is then "true" when given). */
  value?: string;
  help: string;
  secret?: boolean;
  required?: boolean;
}

/** What the CLI needs to know about a channel before loading it. */
export interface ChannelEntry {
  host: 'required' | 'optional' | 'none';
  password: 'required' | 'optional' | 'none';
  flags: readonly ChannelFlag[];
  load(): Promise<ChannelModule>;
}

export interface ChannelModule {
  name: ChannelName;
  defaultPort(opts: ChannelOptions): number;
  /** Checks the options and builds a driver; no I/O happens until its first call. */
  open(opts: ChannelOptions): ChannelResult<PowerDriver>;
}
