// An HTTP reply that is not a success, as a channel error. Pure, so the
// mapping is tested without a server.

import type { ChannelError } from '../types.ts';
import { parseFault } from './parse.ts';

export function replyError(status: number, body: Uint8Array, what: string): ChannelError {
  const fault = parseFault(body);
  const detail = [fault.messageIds[0], fault.text].filter(Boolean).join(': ');
  const message = `${what}: HTTP ${status}${detail ? ` (${detail})` : ''}`;
  if (status === 401 || status === 403) return { code: 'AUTH', message };
  // 409 right after a power-off (iDRAC: ActionParameterValueConflict) and 503 are "ask again later".
  if (status === 409 || status === 503) return { code: 'BUSY', message };
  if (status === 502 || status === 504) return { code: 'UNREACHABLE', message };
  if (status === 400 && fault.messageIds.some((id) => /\.(ActionParameterNotSupported|ActionParameterValueNotInList|ActionNotSupported|ActionParameterValueError)$/.test(id)))
    return { code: 'UNSUPPORTED', message };
  if (status === 404 || status === 405) return { code: 'CONFIG', message };
  return { code: 'PROTOCOL', message };
}

/** Belt and braces: a device that echoes a request back must not put the password into our messages. */
export function redact(e: ChannelError, secret: string): ChannelError {
  if (secret.length < 1 || !e.message.includes(secret)) return e;
  return { code: e.code, message: e.message.split(secret).join('***') };
}
