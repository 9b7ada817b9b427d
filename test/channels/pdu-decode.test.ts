// The pure parts of the PDU channel, fed arbitrary input (fast-check): varbind
// decoding, the vendors' state enumerations, the --outlet list, name matching,
// the dual-feed aggregation, vendor detection and the error mapping.
import test from 'ava';
import fc from 'fast-check';
import { aggregate } from '../../agent/channels/pdu/aggregate.ts';
import { instanceUnder, intValue, matchName, oidValue, parseOutlets, readingOf, TAG, textValue, type VarbindLike } from '../../agent/channels/pdu/decode.ts';
import { snmpError } from '../../agent/channels/pdu/errors.ts';
import type { OutletReading } from '../../agent/channels/pdu/table.ts';
import { detect, TABLES } from '../../agent/channels/pdu/vendors.ts';
import { APC_RPDU, APC_RPDU2 } from '../../agent/channels/pdu/apc.ts';
import { EATON } from '../../agent/channels/pdu/eaton.ts';
import { RARITAN } from '../../agent/channels/pdu/raritan.ts';
import { SENTRY3, SENTRY4 } from '../../agent/channels/pdu/servertech.ts';
import { CYBERPOWER } from '../../agent/channels/pdu/cyberpower.ts';

const READINGS: OutletReading[] = ['on', 'off', 'switching', 'unknown'];
const varbind: fc.Arbitrary<VarbindLike> = fc.record({
  oid: fc.oneof(fc.string(), fc.array(fc.nat(), { maxLength: 20 }).map((a) => a.join('.'))),
  type: fc.oneof(fc.constantFrom(...Object.values(TAG)), fc.integer()),
  value: fc.oneof(fc.anything(), fc.integer(), fc.double(), fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)), fc.string()),
});

test('varbind decoders never throw; an accepted integer is a safe integer of an INTEGER/Gauge32 varbind', (t) => {
  fc.assert(
    fc.property(varbind, (vb) => {
      const i = intValue(vb, 'x');
      if (i.ok) return (vb.type === TAG.Integer || vb.type === TAG.Gauge32) && Number.isSafeInteger(i.value);
      const o = oidValue(vb, 'x');
      const s = textValue(vb, 'x');
      if (o.ok && !/^\d+(\.\d+)+$/.test(o.value)) return false;
      if (s.ok && vb.type !== TAG.OctetString) return false;
      return true;
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('every vendor table: readingOf never throws and only yields the four readings; absent objects are CONFIG', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...TABLES), varbind, (table, vb) => {
      const r = readingOf(table, vb, 'x');
      if (r.ok) return READINGS.includes(r.value);
      if (vb.type === TAG.NoSuchInstance || vb.type === TAG.NoSuchObject || vb.type === TAG.EndOfMibView) return r.error.code === 'CONFIG';
      return r.error.code === 'PROTOCOL';
    }),
    { numRuns: 3000 },
  );
  fc.assert(fc.property(fc.constantFrom(...TABLES), fc.integer(), (table, n) => { const r = table.decodeState(n); return r === null || READINGS.includes(r); }));
  t.pass();
});

test('the MIB enumerations as the MIBs write them', (t) => {
  const st = (tbl: typeof APC_RPDU, n: number) => tbl.decodeState(n);
  t.deepEqual([st(APC_RPDU, 1), st(APC_RPDU, 2), st(APC_RPDU, 3)], ['on', 'off', null]);
  t.deepEqual([st(APC_RPDU2, 1), st(APC_RPDU2, 2)], ['off', 'on'], 'rPDU2 reverses rPDU');
  t.deepEqual([st(CYBERPOWER, 1), st(CYBERPOWER, 2)], ['on', 'off']);
  t.deepEqual([0, 1, 2, 3, 4].map((n) => st(EATON, n)), ['off', 'on', 'switching', 'switching', null]);
  t.deepEqual([7, 8, -1, 13, 31].map((n) => st(RARITAN, n)), ['on', 'off', 'unknown', null, null]);
  t.deepEqual([0, 1, 2, 3, 4, 9, 10].map((n) => st(SENTRY3, n)), ['off', 'on', 'switching', 'switching', 'unknown', 'unknown', null]);
  t.deepEqual([0, 1, 2, 3].map((n) => st(SENTRY4, n)), ['unknown', 'on', 'off', null]);
  t.deepEqual([8, 11, 20].map((n) => SENTRY4.pending?.decode(n)), [true, false, null]);
  t.deepEqual([APC_RPDU.on(0).value, APC_RPDU.on(-1).value, APC_RPDU.on(30).value, APC_RPDU2.on(30).value, EATON.on(-1).value, EATON.on(12).value], [1, 1, 4, 5, 0, 12]);
});

test('--outlet parsing never throws; what it accepts is bounded and well-formed', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.oneof(fc.nat({ max: 99999 }).map(String), fc.string({ maxLength: 70 })), { maxLength: 20 }).map((a) => a.join(','))), (spec) => {
      const r = parseOutlets(spec);
      if (!r.ok) return r.error.code === 'CONFIG';
      return r.value.length >= 1 && r.value.length <= 16 && r.value.every((o) => (o.kind === 'number' ? o.n >= 1 : o.kind === 'instance' ? /^\d+(\.\d+)+$/.test(o.instance) : o.name.length > 0 && o.name === o.name.trim()));
    }),
    { numRuns: 3000 },
  );
  t.deepEqual(parseOutlets(' 3, 4 '), { ok: true, value: [{ kind: 'number', n: 3 }, { kind: 'number', n: 4 }] });
  t.deepEqual(parseOutlets('web1-psuA,1.1.7'), { ok: true, value: [{ kind: 'name', name: 'web1-psuA' }, { kind: 'instance', instance: '1.1.7' }] });
  for (const bad of ['', '3,3', '0', 'a,,b', 'é']) t.false(parseOutlets(bad).ok, bad);
});

test('name matching never throws; a match is a row carrying that name', (t) => {
  const rows = fc.array(fc.record({ instance: fc.array(fc.nat({ max: 99 }), { minLength: 1, maxLength: 3 }).map((a) => a.join('.')), name: fc.oneof(fc.constantFrom('web1-psuA', 'WEB1-PSUA', 'web1-psuB', ''), fc.string({ maxLength: 30 })) }), { maxLength: 40 });
  fc.assert(
    fc.property(rows, fc.oneof(fc.constantFrom('web1-psuA', 'web1-psub'), fc.string({ maxLength: 30 })), (rs, wanted) => {
      const r = matchName(rs, wanted);
      if (!r.ok) return r.error.code === 'CONFIG';
      return rs.some((row) => row.instance === r.value && row.name.trim().toLowerCase() === wanted.toLowerCase());
    }),
    { numRuns: 3000 },
  );
  t.deepEqual(matchName([{ instance: '1', name: 'WEB1-PSUA' }, { instance: '2', name: 'web1-psuA' }], 'web1-psuA'), { ok: true, value: '2' }, 'an exact match wins over a case-insensitive one');
  t.is(instanceUnder('1.2.3', '1.2.3.4.5'), '4.5');
  t.is(instanceUnder('1.2.3', '1.2.30.4'), null);
});

test('aggregation: off only when every outlet is off; a half-done on is never on; a switching outlet is transitioning', (t) => {
  const reading = fc.constantFrom(...READINGS);
  fc.assert(
    fc.property(fc.array(reading, { minLength: 1, maxLength: 8 }), fc.constantFrom('on' as const, 'off' as const, null), fc.boolean(), (rs, last, inFlight) => {
      const a = aggregate(rs, last, inFlight);
      if (a === 'off' && !rs.every((r) => r === 'off')) return false;
      if (a === 'on' && !rs.includes('on')) return false;
      if (a === 'on' && last === 'on' && !rs.every((r) => r === 'on')) return false;
      if (rs.includes('switching') && a !== 'transitioning') return false;
      if (inFlight && last === 'on' && rs.every((r) => r === 'off') && a !== 'transitioning') return false;
      return true;
    }),
    { numRuns: 5000 },
  );
  t.is(aggregate(['on', 'off'], null, false), 'on', 'first read of a split feed: powered');
  t.is(aggregate(['on', 'off'], 'on', false), 'unknown', 'after an on that had its time: not on');
  t.is(aggregate(['on', 'off'], 'off', false), 'on', 'after an off that had its time: still powered');
  t.is(aggregate(['on', 'off'], 'on', true), 'transitioning');
  t.is(aggregate([], null, false), 'unknown');
});

test('vendor detection never throws; it matches whole OID components', (t) => {
  fc.assert(fc.property(fc.string(), fc.constantFrom(null, 'apc' as const, 'eaton' as const), (oid, v) => { const r = detect(oid, v); return r.ok || r.error.code === 'CONFIG'; }), { numRuns: 2000 });
  const p = detect('1.3.6.1.4.1.318.1.3.4.5', null);
  t.true(p.ok && p.value === APC_RPDU);
  const r = detect('1.3.6.1.4.1.318.1.3.4.50', null);
  t.false(r.ok);
  if (!r.ok) t.regex(r.error.message, /sysObjectID 1\.3\.6\.1\.4\.1\.318\.1\.3\.4\.50/);
  const e = detect('1.3.6.1.4.1.534.6.6.7.1.2', null);
  t.true(e.ok && e.value === EATON);
  const s = detect('1.3.6.1.4.1.318.1.3.4.5', 'apc');
  t.true(s.ok && s.value === APC_RPDU, 'an APC sysObjectID still picks its generation under --vendor apc');
});

test('error mapping never throws, never echoes what the library carried, and sorts the RFC 3416 statuses', (t) => {
  const ctx = { what: 'GET', target: '127.0.0.1:161', version: 'v3' as const, waitedMs: 10 };
  fc.assert(
    fc.property(fc.anything(), (e) => { const r = snmpError(e, ctx); return !r.ok && !r.error.message.includes('SECRET-KEY'); }),
    { numRuns: 2000 },
  );
  const leak = { name: 'ResponseInvalidError', code: 5, message: 'Authentication digest abcd does not match SECRET-KEY', info: { user: { authKey: 'SECRET-KEY' } } };
  const a = snmpError(leak, ctx);
  t.false(!a.ok && a.error.message.includes('SECRET-KEY'));
  t.is(!a.ok && a.error.code, 'AUTH');
  const code = (e: object) => { const r = snmpError(e, ctx); return r.ok ? 'ok' : r.error.code; };
  t.deepEqual([5, 13, 2, 6, 17, 10, 1].map((status) => code({ name: 'RequestFailedError', status })), ['BUSY', 'BUSY', 'CONFIG', 'AUTH', 'AUTH', 'CONFIG', 'PROTOCOL']);
  t.is(code({ name: 'RequestTimedOutError' }), 'TIMEOUT');
  t.is(code({ name: 'ResponseInvalidError', code: 5, message: 'Unknown User Name' }), 'AUTH');
  t.is(code({ name: 'ResponseInvalidError', code: 5, message: 'Not In Time Window' }), 'BUSY');
  t.is(code({ name: 'ResponseInvalidError', code: 6 }), 'PROTOCOL');
  t.is(code({ code: 'ECONNREFUSED' }), 'UNREACHABLE');
});
