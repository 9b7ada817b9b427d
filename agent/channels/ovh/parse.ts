// OVH API replies (JSON): the server time (GET /auth/time: a bare number), a
// dedicated.server.Task ({taskId, function, status}) and the error document
// {"errorCode"?, "httpCode"?, "message"}. A value or a typed error, never an exception.

import { cerr, cok, type ChannelError, type ChannelResult } from '../types.ts';
import { excerpt, statusError } from '../http/api.ts';

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

export function parseTime(json: unknown): ChannelResult<number> {
  return typeof json === 'number' && Number.isInteger(json) && json > 1_000_000_000 && json < 100_000_000_000 ? cok(json) : cerr('PROTOCOL', 'GET /auth/time did not answer a Unix time');
}

export type TaskState = 'pending' | 'done' | 'failed';

const PENDING = new Set(['init', 'todo', 'doing']);
const FAILED = new Set(['cancelled', 'customerError', 'ovhError', 'ovhCustomerError', 'error']);

export function parseTask(json: unknown): ChannelResult<{ id: number; state: TaskState; status: string; comment?: string }> {
  const o = obj(json);
  const id = o?.taskId;
  const status = o?.status;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return cerr('PROTOCOL', 'the task has no taskId');
  if (typeof status !== 'string') return cerr('PROTOCOL', `task ${id} has no status`);
  const comment = typeof o?.comment === 'string' ? excerpt(o.comment) : undefined;
  const state: TaskState | undefined = status === 'done' ? 'done' : PENDING.has(status) ? 'pending' : FAILED.has(status) ? 'failed' : undefined;
  if (state === undefined) return cerr('PROTOCOL', `task ${id}: unknown status ${JSON.stringify(excerpt(status))}`);
  return cok({ id, state, status, ...(comment ? { comment } : {}) });
}

/** OVH refuses a bad signature with 400 INVALID_SIGNATURE and an unknown consumer key with 403 INVALID_CREDENTIAL: both AUTH. */
export function ovhError(status: number, json: unknown, what: string): ChannelError {
  const o = obj(json);
  const code = typeof o?.errorCode === 'string' ? o.errorCode : undefined;
  const message = typeof o?.message === 'string' ? o.message : undefined;
  const detail = [code, message].filter(Boolean).join(': ');
  if (code === 'INVALID_SIGNATURE' || code === 'INVALID_CREDENTIAL' || code === 'NOT_CREDENTIAL' || code === 'NOT_GRANTED_CALL' || code === 'INVALID_KEY') {
    return { code: 'AUTH', message: `${what}: HTTP ${status}, the credentials were refused: ${excerpt(detail)}` };
  }
  if (code === 'QUERY_TIME_OUT') return { code: 'BUSY', message: `${what}: ${excerpt(detail)}` };
  return statusError(status, what, detail || undefined);
}
