// The fuzz test every VPS provider's reply parsers get: any JSON, and
// documents shaped like the provider's own with random values in them, must
// give a known state or a typed error, never a throw.

import test from 'ava';
import fc from 'fast-check';
import type { ApiReply } from '../../../agent/channels/http/api.ts';
import type { ChannelError, ChannelResult, Observed } from '../../../agent/channels/types.ts';

export interface Parsers {
  status(json: unknown): ChannelResult<Observed>;
  /** A status document around one status word (and fields of the provider's envelope). */
  envelope(word: string, extra: Record<string, unknown>): unknown;
  action?(json: unknown): ChannelResult<unknown>;
  error(r: ApiReply, what: string): ChannelError;
}

const OBSERVED = new Set(['on', 'off', 'transitioning', 'unknown']);
const CODES = new Set(['AUTH', 'CONFIG', 'TLS', 'BUSY', 'UNREACHABLE', 'TIMEOUT', 'PROTOCOL', 'UNSUPPORTED', 'STATE']);

/** The parsers of untrusted replies: any JSON gives a result or a typed error, never a throw. */
export function fuzzSuite(name: string, p: Parsers): void {
  test(`${name}: the reply parsers never throw and answer only known states`, (t) => {
    const anyJson = fc.jsonValue({ maxDepth: 4 });
    const word = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('running', 'off', 'active', 'stopped', 'offline', 'ok', 'locked', 'new', 'archive', 'booting'));
    const extra = fc.dictionary(fc.constantFrom('locked', 'power_status', 'server_status', 'status', 'id', 'error'), anyJson, { maxKeys: 4 });
    fc.assert(
      fc.property(fc.oneof(anyJson, fc.tuple(word, extra).map(([w, e]) => p.envelope(w, e))), (j) => {
        const r = p.status(j);
        if (r.ok) return OBSERVED.has(r.value);
        return CODES.has(r.error.code) && r.error.message.length > 0;
      }),
      { numRuns: 3000 },
    );
    if (p.action) {
      const act = p.action;
      const shaped = fc.record({ id: fc.oneof(fc.integer(), fc.double(), fc.string()), status: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('running', 'success', 'error', 'in-progress', 'completed', 'errored')), error: anyJson }, { requiredKeys: [] }).map((a) => ({ action: a }));
      fc.assert(fc.property(fc.oneof(anyJson, shaped), (j) => {
        const r = act(j);
        return r.ok || (CODES.has(r.error.code) && r.error.message.length > 0);
      }), { numRuns: 3000 });
    }
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), anyJson, fc.dictionary(fc.constantFrom('retry-after', 'ratelimit-reset'), fc.string({ maxLength: 12 })), (status, json, headers) => {
        const e = p.error({ status, json, headers }, 'GET /x');
        return CODES.has(e.code) && e.message.length < 600;
      }),
      { numRuns: 3000 },
    );
    t.pass();
  });
}
