// The transport failures every HTTP channel must turn into the right error
// within its deadline, checked the same way for each: a fake answering
// garbage (PROTOCOL), a fake that accepts and never answers (TIMEOUT at the
// deadline, not before), and a loopback port with nothing listening
// (UNREACHABLE well within the deadline).

import type { ExecutionContext } from 'ava';
import net from 'node:net';
import { deadlineIn, type Deadline } from '../../agent/channels/types.ts';
import type { FenceResult } from '../../agent/channels/verify.ts';
import type { ApiServer } from './api-server.ts';

/** A loopback port with nothing listening (taken from the kernel and given back at once). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface TransportCase {
  /** The fake's server; its mode is switched to garbage, then silent. */
  server: ApiServer;
  /** The path the API lives under, kept on the closed port's URL (OVH's /1.0). */
  basePath?: string;
  /** One action through verify.ts's Channel, with a driver opened on `endpoint`. */
  run(endpoint: string, deadline: Deadline): Promise<FenceResult>;
}

const DEADLINE_MS = 600;

const code = (r: FenceResult): string | null => (r.ok ? null : r.error.code);

/** Runs `c.run` and returns its result with the milliseconds it took. */
async function timed(c: TransportCase, endpoint: string, ms: number): Promise<[FenceResult, number]> {
  const t0 = performance.now();
  const r = await c.run(endpoint, deadlineIn(ms));
  return [r, performance.now() - t0];
}

/** Garbage is PROTOCOL; a silent endpoint is TIMEOUT at the 600 ms deadline; a closed port is UNREACHABLE before it. */
export async function checkTransport(t: ExecutionContext, c: TransportCase): Promise<void> {
  const own = c.server.url + (c.basePath ?? '');
  c.server.mode = 'garbage';
  const [garbage] = await timed(c, own, 2000);
  t.is(code(garbage), 'PROTOCOL');
  c.server.mode = 'silent';
  const [silent, silentMs] = await timed(c, own, DEADLINE_MS);
  t.is(code(silent), 'TIMEOUT');
  // The upper bounds leave room for a loaded CI machine; the lower one says the deadline, not an early give-up, ended it.
  t.true(silentMs >= DEADLINE_MS - 10 && silentMs < 1000, `silent endpoint took ${silentMs} ms`);
  const [closed, closedMs] = await timed(c, `http://127.0.0.1:${await closedPort()}${c.basePath ?? ''}`, DEADLINE_MS);
  t.is(code(closed), 'UNREACHABLE');
  t.true(closedMs < 1000, `closed port took ${closedMs} ms`);
  t.log(`silent: ${Math.round(silentMs)} ms, closed: ${Math.round(closedMs)} ms for ${DEADLINE_MS} ms`);
}
