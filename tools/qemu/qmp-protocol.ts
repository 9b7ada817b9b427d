// QMP wire format without I/O: QEMU sends one JSON object per line (greeting,
// command returns and errors tagged with our id, asynchronous events), and
// takes one JSON object per command. Reference: QEMU docs/interop/qmp-spec.

import { fail, ok, type Result } from '../../agent/probe/errors.ts';

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  /** QEMU's timestamp, in microseconds since the epoch. */
  timestampUs: number;
}

export type QmpMessage =
  | { kind: 'greeting'; version: string; capabilities: string[] }
  | { kind: 'return'; id: string | null; value: unknown }
  | { kind: 'error'; id: string | null; errorClass: string; desc: string }
  | { kind: 'event'; event: QmpEvent };

/** A line longer than this is not QMP (query-qmp-schema, the largest reply, is ~200 KiB). */
export const MAX_LINE = 4 * 1024 * 1024;

/**
 * Splits a byte stream into lines. A line that outgrows MAX_LINE is dropped
 * whole and reported, so a broken peer cannot make the buffer grow without bound.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private discarding = false;

  push(chunk: Buffer): { lines: string[]; overflow: boolean } {
    const lines: string[] = [];
    let overflow = false;
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      if (!this.discarding && this.pendingLength + piece.length <= MAX_LINE) {
        lines.push(Buffer.concat([...this.pending, piece]).toString('utf8').replace(/\r$/, ''));
      } else {
        overflow = true;
      }
      this.pending = [];
      this.pendingLength = 0;
      this.discarding = false;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0 && !this.discarding) {
      if (this.pendingLength + rest.length > MAX_LINE) {
        this.pending = [];
        this.pendingLength = 0;
        this.discarding = true;
        overflow = true;
      } else {
        this.pending.push(Buffer.from(rest));
        this.pendingLength += rest.length;
      }
    }
    return { lines, overflow };
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function idOf(o: Record<string, unknown>): string | null {
  return typeof o.id === 'string' ? o.id : null;
}

export function parseQmpLine(line: string): Result<QmpMessage> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    return fail('MALFORMED', `QMP: not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(v)) return fail('MALFORMED', 'QMP: not a JSON object');
  if (isRecord(v.QMP)) {
    const q = v.QMP;
    const ver = isRecord(q.version) && isRecord(q.version.qemu) ? q.version.qemu : null;
    const version = ver ? `${String(ver.major)}.${String(ver.minor)}.${String(ver.micro)}` : 'unknown';
    const capabilities = Array.isArray(q.capabilities) ? q.capabilities.filter((c): c is string => typeof c === 'string') : [];
    return ok({ kind: 'greeting', version, capabilities });
  }
  if ('return' in v) return ok({ kind: 'return', id: idOf(v), value: v.return });
  if (isRecord(v.error)) {
    const e = v.error;
    return ok({ kind: 'error', id: idOf(v), errorClass: typeof e.class === 'string' ? e.class : 'unknown', desc: typeof e.desc === 'string' ? e.desc : '' });
  }
  if (typeof v.event === 'string') {
    const ts = isRecord(v.timestamp) ? v.timestamp : {};
    const sec = typeof ts.seconds === 'number' ? ts.seconds : 0;
    const usec = typeof ts.microseconds === 'number' ? ts.microseconds : 0;
    return ok({ kind: 'event', event: { event: v.event, data: isRecord(v.data) ? v.data : {}, timestampUs: sec * 1e6 + usec } });
  }
  return fail('MALFORMED', `QMP: unrecognised message with keys ${Object.keys(v).join(', ')}`);
}

/** One command line; `id` comes back in the reply so replies can be matched to commands. */
export function encodeCommand(id: string, execute: string, args?: Record<string, unknown>): string {
  return `${JSON.stringify(args === undefined ? { execute, id } : { execute, arguments: args, id })}\n`;
}
