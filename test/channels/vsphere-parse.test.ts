// The vSphere reply codecs of both dialects and the vAPI error mapping, and
// fast-check fuzzing of each with arbitrary and near-valid JSON.

import test from 'ava';
import fc from 'fast-check';
import { parseError, parsePower, parseSessionId, vapiError } from '../../agent/channels/vsphere/parse.ts';

test('sessions and power states in both dialects', (t) => {
  t.deepEqual(parseSessionId('api', 'b8a7c1f0e3'), { ok: true, value: 'b8a7c1f0e3' });
  t.deepEqual(parseSessionId('rest', { value: 'b8a7c1f0e3' }), { ok: true, value: 'b8a7c1f0e3' });
  t.like(parseSessionId('api', { value: 'x' }), { ok: false, error: { code: 'PROTOCOL' } });
  t.like(parseSessionId('api', 'a\r\nX-Injected: 1'), { ok: false, error: { code: 'PROTOCOL' } });
  t.deepEqual(parsePower('api', { state: 'POWERED_ON' }), { ok: true, value: 'on' });
  t.deepEqual(parsePower('api', { state: 'POWERED_OFF', clean_power_off: true }), { ok: true, value: 'off' });
  t.deepEqual(parsePower('api', { state: 'SUSPENDED' }), { ok: true, value: 'on' }, 'suspended is not fenced');
  t.deepEqual(parsePower('rest', { value: { state: 'POWERED_OFF' } }), { ok: true, value: 'off' });
  t.deepEqual(parsePower('api', { state: 'SOMETHING_NEW' }), { ok: true, value: 'unknown' });
  t.like(parsePower('rest', { state: 'POWERED_ON' }), { ok: false, error: { code: 'PROTOCOL' } }, '/rest wraps in value');
});

test('vAPI errors of both dialects, mapped', (t) => {
  const api = (type: string) => ({ error_type: type, messages: [{ args: [], default_message: `m ${type}`, id: 'x' }] });
  const rest = (type: string) => ({ type: `com.vmware.vapi.std.errors.${type.toLowerCase()}`, value: { messages: [{ default_message: 'm' }] } });
  t.deepEqual(parseError(api('RESOURCE_BUSY')), { type: 'RESOURCE_BUSY', text: 'm RESOURCE_BUSY' });
  t.deepEqual(parseError(rest('ALREADY_IN_DESIRED_STATE')), { type: 'ALREADY_IN_DESIRED_STATE', text: 'm' });
  t.deepEqual(parseError('Not Found'), { type: null, text: '' });
  const code = (status: number, j: unknown) => vapiError(status, parseError(j), 'x').code;
  t.is(code(401, api('UNAUTHENTICATED')), 'AUTH');
  t.is(code(403, api('UNAUTHORIZED')), 'AUTH');
  t.is(code(500, api('RESOURCE_BUSY')), 'BUSY');
  t.is(code(503, rest('SERVICE_UNAVAILABLE')), 'BUSY');
  t.is(code(404, api('NOT_FOUND')), 'CONFIG');
  t.is(code(400, api('NOT_ALLOWED_IN_CURRENT_STATE')), 'STATE');
  t.is(code(500, undefined), 'UNREACHABLE');
  t.is(code(401, undefined), 'AUTH');
});

test('fuzz: the parsers return a value or a typed error for any JSON, never throw', (t) => {
  const anyJson = fc.jsonValue();
  const messages = fc.array(fc.record({ default_message: fc.oneof(fc.string(), anyJson), args: anyJson }, { requiredKeys: [] }), { maxLength: 3 });
  const near = fc.oneof(
    fc.record({ state: fc.oneof(fc.constantFrom('POWERED_ON', 'POWERED_OFF', 'SUSPENDED'), anyJson) }, { requiredKeys: [] }),
    fc.record({ value: fc.oneof(anyJson, fc.string(), fc.record({ state: fc.oneof(fc.string(), anyJson) })) }, { requiredKeys: [] }),
    fc.record({ error_type: fc.oneof(fc.constantFrom('RESOURCE_BUSY', 'UNAUTHENTICATED'), fc.string()), messages: fc.oneof(messages, anyJson) }, { requiredKeys: [] }),
    fc.record({ type: fc.string().map((s) => `com.vmware.vapi.std.errors.${s}`), value: fc.oneof(fc.record({ messages }), anyJson) }, { requiredKeys: [] }),
  );
  const typed = (r: { ok: boolean; error?: { code: string } }) => r.ok || typeof r.error?.code === 'string';
  fc.assert(
    fc.property(fc.oneof(anyJson, near), fc.integer({ min: 100, max: 599 }), (j, status) => {
      for (const d of ['api', 'rest'] as const) if (!typed(parseSessionId(d, j)) || !typed(parsePower(d, j))) return false;
      const e = parseError(j);
      const err = vapiError(status, e, 'x');
      return (e.type === null || /^[A-Z_]{1,64}$/.test(e.type)) && e.text.length <= 200 && typeof err.code === 'string' && !/[^\x20-\x7e]/.test(err.message);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
