// WS-Management faults (DSP0226 §14) and HTTP statuses as channel errors.
// Pure, so the mapping is tested without a server.

import type { ChannelError } from '../types.ts';
import { NS } from './envelope.ts';
import type { SoapFault } from './parse.ts';

const WSEN = NS.wsen;

/** Subcode namespace+local -> the channel's error code. Unlisted subcodes are PROTOCOL. */
const BY_SUBCODE: ReadonlyMap<string, ChannelError['code']> = new Map([
  // The ResourceURI or To names nothing here: the class is absent or the namespace wrong.
  [`${NS.wsa}|DestinationUnreachable`, 'CONFIG'],
  [`${NS.wsman}|InvalidSelectors`, 'CONFIG'],
  [`${NS.wsa}|ActionNotSupported`, 'UNSUPPORTED'],
  [`${NS.wsman}|ActionNotSupported`, 'UNSUPPORTED'],
  [`${NS.wsman}|AccessDenied`, 'AUTH'],
  [`${NS.wsman}|Concurrency`, 'BUSY'],
  [`${NS.wsman}|QuotaLimit`, 'BUSY'],
  [`${NS.wsman}|TimedOut`, 'TIMEOUT'],
  [`${WSEN}|TimedOut`, 'TIMEOUT'],
  [`${WSEN}|InvalidEnumerationContext`, 'PROTOCOL'],
  [`${NS.wsman}|SchemaValidationError`, 'PROTOCOL'],
  [`${NS.wsman}|InternalError`, 'PROTOCOL'],
]);

export function faultError(f: SoapFault, what: string): ChannelError {
  const sub = f.subcode ? `${f.subcode.local}` : f.code ? f.code.local : 'unknown';
  const detail = f.detail ? ` [${f.detail.replace(/^.*\/faultDetail\//, '')}]` : '';
  const message = `${what}: SOAP fault ${sub}${detail}${f.reason ? `: ${f.reason}` : ''}`;
  const code = f.subcode ? BY_SUBCODE.get(`${f.subcode.ns}|${f.subcode.local}`) : undefined;
  if (code) return { code, message };
  // SOAP 1.2: a Receiver fault without a known subcode is the service's own trouble.
  return { code: 'PROTOCOL', message };
}

export function httpError(status: number, what: string): ChannelError {
  const message = `${what}: HTTP ${status}`;
  if (status === 403) return { code: 'AUTH', message };
  if (status === 429 || status === 503) return { code: 'BUSY', message };
  if (status === 502 || status === 504) return { code: 'UNREACHABLE', message };
  if (status === 404) return { code: 'CONFIG', message: `${message} (no WS-Management service at /wsman)` };
  return { code: 'PROTOCOL', message };
}

/** Belt and braces: a device that echoes a request back must not put the password into our messages. */
export function redact(e: ChannelError, secret: string): ChannelError {
  if (secret.length === 0 || !e.message.includes(secret)) return e;
  return { code: e.code, message: e.message.split(secret).join('***') };
}
