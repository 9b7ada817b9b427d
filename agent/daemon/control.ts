// The daemon's local control socket: `agent members` and `agent status` ask a
// running daemon over a unix stream socket, one newline-terminated JSON request
// and one JSON reply line per connection. The socket is 0600 (root's daemon,
// root's CLI) and every connection is bounded in bytes, time and number, so a
// stuck or hostile local client cannot hold the daemon's event loop or memory.

import { chmodSync, lstatSync, mkdirSync, renameSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { MemberState, MemberView } from '../gossip/types.ts';

export type ControlOp = 'members' | 'status';

/** What a handler of its own returns: sent as {"result": value} or {"error": error}. */
export type OpReply = { ok: true; value: Record<string, unknown> } | { ok: false; error: { code: string; message: string } };

export interface ControlHandlers {
  members(): MemberView[];
  status(): Record<string, unknown>;
  /** `wol-relay` (agent/daemon/wol-relay.ts); without it the op is unknown. Awaited within the connection's time bound. */
  wolRelay?(req: Readonly<Record<string, unknown>>): Promise<OpReply>;
}

export const MAX_REQUEST_BYTES = 4096;
export const IDLE_TIMEOUT_MS = 2000;
export const MAX_CONNECTIONS = 32;
/** A client trickling bytes resets the idle timer; this bounds a connection's whole life. */
export const MAX_CONNECTION_MS = 5000;
/** A member list of 10,000 nodes is about 1.5 MB of JSON. */
export const MAX_REPLY_BYTES = 16 * 1024 * 1024;

/** Codes in a server's error reply. */
export type ControlRequestErrorCode = 'TOO_LARGE' | 'MALFORMED' | 'UNKNOWN_OP' | 'INTERNAL';

export type ControlErrorCode =
  | 'NO_DAEMON' // no socket, or nobody listening on it
  | 'DENIED' // the socket exists and we may not connect (not root)
  | 'TIMEOUT'
  | 'MALFORMED' // a reply that is not one JSON line of the expected shape
  | 'DAEMON_ERROR'; // the daemon answered with an error

export interface ControlError {
  code: ControlErrorCode;
  message: string;
}

/** Why the daemon could not open its control socket. */
export class ControlSocketError extends Error {
  constructor(
    readonly code: 'IN_USE' | 'NOT_A_SOCKET' | 'IO',
    message: string,
  ) {
    super(message);
    this.name = 'ControlSocketError';
  }
}

export type ControlResult<T> = { ok: true; value: T } | { ok: false; error: ControlError };

const fail = (code: ControlErrorCode, message: string): ControlResult<never> => ({ ok: false, error: { code, message } });

function errorLine(code: ControlRequestErrorCode, message: string): string {
  return `${JSON.stringify({ error: { code, message } })}\n`;
}

async function answer(line: string, handlers: ControlHandlers): Promise<{ reply: string; refused: ControlRequestErrorCode | null }> {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch {
    return { reply: errorLine('MALFORMED', 'the request is not JSON'), refused: 'MALFORMED' };
  }
  const op = typeof req === 'object' && req !== null && !Array.isArray(req) ? (req as { op?: unknown }).op : undefined;
  if (op === 'wol-relay' && handlers.wolRelay) {
    try {
      const r = await handlers.wolRelay(req as Record<string, unknown>);
      return { reply: `${JSON.stringify(r.ok ? { result: r.value } : { error: r.error })}\n`, refused: null };
    } catch (e) {
      return { reply: errorLine('INTERNAL', (e as Error).message), refused: 'INTERNAL' };
    }
  }
  if (op !== 'members' && op !== 'status') return { reply: errorLine('UNKNOWN_OP', 'the request is {"op":"members"} or {"op":"status"}'), refused: 'UNKNOWN_OP' };
  try {
    const result = op === 'members' ? handlers.members() : handlers.status();
    return { reply: `${JSON.stringify({ result })}\n`, refused: null };
  } catch (e) {
    return { reply: errorLine('INTERNAL', (e as Error).message), refused: 'INTERNAL' };
  }
}

function serve(sock: Socket, handlers: ControlHandlers, log: Logger): void {
  let buf = '';
  let done = false;
  let asked = false;
  const finish = (reply: string, refused: ControlRequestErrorCode | null): void => {
    if (done || sock.destroyed) return;
    done = true;
    if (refused) log.warn({ code: refused }, 'control request refused');
    sock.end(reply);
  };
  sock.setEncoding('utf8');
  sock.setTimeout(IDLE_TIMEOUT_MS, () => sock.destroy());
  const deadline = setTimeout(() => sock.destroy(), MAX_CONNECTION_MS);
  sock.once('close', () => clearTimeout(deadline));
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: string) => {
    if (done || asked) return;
    buf += chunk;
    const nl = buf.indexOf('\n');
    if (nl === -1 && Buffer.byteLength(buf) <= MAX_REQUEST_BYTES) return;
    if (nl === -1 || Buffer.byteLength(buf.slice(0, nl)) > MAX_REQUEST_BYTES) {
      finish(errorLine('TOO_LARGE', `a request is one line of at most ${MAX_REQUEST_BYTES} bytes`), 'TOO_LARGE');
      return;
    }
    asked = true;
    void answer(buf.slice(0, nl), handlers).then((r) => finish(r.reply, r.refused));
  });
}

/** Throws ControlSocketError when another daemon answers on `path`, or `path` is something other than a socket. */
async function clearStale(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ControlSocketError('IO', `${path}: ${(e as Error).message}`);
  }
  if (!isSocket) throw new ControlSocketError('NOT_A_SOCKET', `${path} exists and is not a socket; not replacing it`);
  const live = await new Promise<boolean>((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new ControlSocketError('IN_USE', `another agent is listening on ${path}`);
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Listens on `path`. The socket is bound under a temporary name, made 0600 and
 * renamed into place, so no client ever sees it with looser permissions and a
 * stale socket from a crashed daemon is replaced in one step.
 */
export async function startControl(path: string, handlers: ControlHandlers, log: Logger): Promise<{ close(): Promise<void> }> {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new ControlSocketError('IO', `${dirname(path)}: ${(e as Error).message}`);
  }
  await clearStale(path);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    unlinkSync(tmp);
  } catch {
    // Absent, the usual case.
  }
  const conns = new Set<Socket>();
  const server = createServer((sock) => {
    conns.add(sock);
    sock.once('close', () => conns.delete(sock));
    serve(sock, handlers, log);
  });
  server.maxConnections = MAX_CONNECTIONS;
  try {
    await listen(server, tmp);
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    server.close();
    throw new ControlSocketError('IO', `${path}: ${(e as Error).message}`);
  }
  const ino = lstatSync(path).ino;
  server.on('error', (e) => log.error({ err: e.message }, 'control socket error'));
  log.debug({ path }, 'control socket listening');
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        server.close(() => resolve());
        // The path was renamed into place, so the server does not know it: remove it, unless another daemon took it since.
        try {
          if (lstatSync(path).ino === ino) unlinkSync(path);
        } catch {
          // Already gone.
        }
      }),
  };
}

const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

function isMemberView(v: unknown): v is MemberView {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.name === 'string' &&
    typeof m.addr === 'string' &&
    STATES.includes(m.state as MemberState) &&
    Number.isSafeInteger(m.incarnation) &&
    typeof m.attested === 'boolean' &&
    typeof m.updatedAt === 'number' &&
    Number.isFinite(m.updatedAt) &&
    typeof m.self === 'boolean'
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseReply(op: ControlOp, line: string): ControlResult<MemberView[] | Record<string, unknown>> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return fail('MALFORMED', 'the daemon replied with something that is not JSON');
  }
  if (!isRecord(v)) return fail('MALFORMED', 'the reply is not a JSON object');
  if (isRecord(v.error)) {
    const e = v.error;
    return fail('DAEMON_ERROR', `${typeof e.code === 'string' ? e.code : 'ERROR'}: ${typeof e.message === 'string' ? e.message : ''}`);
  }
  const result = v.result;
  if (op === 'members') {
    if (!Array.isArray(result) || !result.every(isMemberView)) return fail('MALFORMED', 'the reply is not a list of members');
    return { ok: true, value: result };
  }
  if (!isRecord(result)) return fail('MALFORMED', 'the status reply is not an object');
  return { ok: true, value: result };
}

function connectFailure(path: string, e: NodeJS.ErrnoException): ControlResult<never> {
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'ENOTSOCK') return fail('NO_DAEMON', `no agent daemon is listening on ${path}`);
  if (e.code === 'EACCES' || e.code === 'EPERM') return fail('DENIED', `not allowed to connect to ${path} (the daemon's socket is root's)`);
  return fail('NO_DAEMON', `cannot reach the agent daemon on ${path}: ${e.code ?? e.message}`);
}

export function queryControl(path: string, op: 'members', timeoutMs?: number): Promise<ControlResult<MemberView[]>>;
export function queryControl(path: string, op: 'status', timeoutMs?: number): Promise<ControlResult<Record<string, unknown>>>;
export function queryControl(path: string, op: ControlOp, timeoutMs = 3000): Promise<ControlResult<MemberView[] | Record<string, unknown>>> {
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    const chunks: Buffer[] = [];
    let size = 0;
    const sock = createConnection(path);
    const settle = (r: ControlResult<MemberView[] | Record<string, unknown>>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => settle(fail('TIMEOUT', `the agent daemon on ${path} did not answer within ${timeoutMs} ms`)), timeoutMs);
    sock.once('connect', () => {
      connected = true;
      sock.write(`${JSON.stringify({ op })}\n`);
    });
    sock.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_REPLY_BYTES) return settle(fail('MALFORMED', `the reply is larger than ${MAX_REPLY_BYTES} bytes`));
      chunks.push(b);
      if (b.indexOf(0x0a) === -1) return;
      const text = Buffer.concat(chunks).toString('utf8');
      settle(parseReply(op, text.slice(0, text.indexOf('\n'))));
    });
    sock.once('end', () => settle(fail('MALFORMED', 'the daemon closed the connection without a complete reply')));
    sock.once('error', (e: NodeJS.ErrnoException) => settle(connected ? fail('MALFORMED', `connection failed mid-reply: ${e.code ?? e.message}`) : connectFailure(path, e)));
  });
}
