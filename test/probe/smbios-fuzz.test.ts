// Property tests for the SMBIOS parsers: arbitrary and mutated bytes never make
// them throw and what they return stays well-formed; random well-formed tables
// walk back to exactly the structures they were built from.

import test from 'ava';
import fc from 'fast-check';
import type { Result } from '../../agent/probe/errors.ts';
import { decodeBaseboard } from '../../agent/probe/smbios/baseboard.ts';
import { decodeBios } from '../../agent/probe/smbios/bios.ts';
import { decodeChassis } from '../../agent/probe/smbios/chassis.ts';
import { decodeSmbios, parseEntryPoint, walkTable, type SmbiosEntryPoint } from '../../agent/probe/smbios/index.ts';
import { decodeAmt, decodeVpro } from '../../agent/probe/smbios/intel-amt.ts';
import { decodeFirmwareVersions, decodeFwsts } from '../../agent/probe/smbios/intel-fw.ts';
import { decodeIpmi } from '../../agent/probe/smbios/ipmi.ts';
import { decodeOemStrings } from '../../agent/probe/smbios/oem-strings.ts';
import { decodeProcessor } from '../../agent/probe/smbios/processor.ts';
import { decodeRedfishHostInterface } from '../../agent/probe/smbios/redfish.ts';
import { StructureView, type TableStructure } from '../../agent/probe/smbios/structure.ts';
import { decodeSystem } from '../../agent/probe/smbios/system.ts';
import { buildTable, entryPoint2, entryPoint3, type RawStructure } from '../../tools/smbios/build.ts';

const RUNS = { numRuns: 400 };
const CODES = new Set(['ENOENT', 'EACCES', 'EIO', 'TOO_LARGE', 'TRUNCATED', 'MALFORMED', 'UNSUPPORTED']);

function wellFormed<T>(r: Result<T>): boolean {
  if (!r.ok) return CODES.has(r.error.code) && r.error.message.length > 0;
  // Everything a decoder returns goes into the JSON report unchanged.
  return JSON.stringify(JSON.parse(JSON.stringify(r.value))) === JSON.stringify(r.value);
}

const epShape = (ep: SmbiosEntryPoint): boolean =>
  /^\d+\.\d+(\.\d+)?$/.test(ep.version) &&
  /^0x[0-9a-f]+$/.test(ep.tableAddress) &&
  Number.isInteger(ep.tableLength) &&
  (ep.anchor === '_SM_' ? Number.isInteger(ep.structureCount) : ep.structureCount === null);

test('parseEntryPoint: arbitrary bytes never throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      const r = parseEntryPoint(b);
      return wellFormed(r) && (!r.ok || epShape(r.value));
    }),
    RUNS,
  );
  t.pass();
});

const smallTable = fc.uint8Array({ maxLength: 300 });

test('parseEntryPoint: valid entry points with one byte changed or cut short fail cleanly or stay well-formed', (t) => {
  fc.assert(
    fc.property(smallTable, fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(31), (table, three, at, delta, cut) => {
      const ep = Buffer.from(three ? entryPoint3(Buffer.from(table)) : entryPoint2(Buffer.from(table)));
      const i = at % ep.length;
      ep[i] = ((ep[i] ?? 0) + delta) & 0xff;
      const mutated = parseEntryPoint(ep);
      const short = parseEntryPoint(ep.subarray(0, cut % ep.length));
      return wellFormed(mutated) && wellFormed(short) && !short.ok && (!mutated.ok || epShape(mutated.value));
    }),
    RUNS,
  );
  t.pass();
});

const anyEp: fc.Arbitrary<SmbiosEntryPoint> = fc.oneof(
  fc.record({
    anchor: fc.constant('_SM_' as const),
    version: fc.constantFrom('2.0', '2.6', '2.8'),
    tableAddress: fc.constant('0xf0000'),
    tableLength: fc.nat(0xffff),
    structureCount: fc.nat(0xffff),
  }),
  fc.record({
    anchor: fc.constant('_SM3_' as const),
    version: fc.constantFrom('3.0.0', '3.2.0', '3.7.0'),
    tableAddress: fc.constant('0x7fb5c000'),
    tableLength: fc.nat(),
    structureCount: fc.constant(null),
  }),
);

test('walkTable: arbitrary bytes never throw and every structure lies inside the table', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), anyEp, (bytes, ep) => {
      const r = walkTable(bytes, ep);
      if (!r.ok) return wellFormed(r);
      let prevEnd = 0;
      for (const s of r.value.structures) {
        if (s.offset < prevEnd || s.length < 4 || s.data.length !== s.length || s.offset + s.length > bytes.length) return false;
        if (s.strings.some((x) => x.length === 0 || x.includes('\0'))) return false;
        prevEnd = s.offset + s.length;
      }
      return r.value.issues.every((i) => CODES.has(i.code));
    }),
    RUNS,
  );
  t.pass();
});

const DECODERS: ((v: StructureView) => Result<unknown>)[] = [
  decodeBios,
  decodeSystem,
  decodeBaseboard,
  decodeChassis,
  decodeProcessor,
  decodeOemStrings,
  decodeIpmi,
  decodeRedfishHostInterface,
  decodeAmt,
  decodeVpro,
  decodeFwsts,
  decodeFirmwareVersions,
];

const anyStructure: fc.Arbitrary<TableStructure> = fc
  .record({
    type: fc.nat(255),
    handle: fc.nat(0xffff),
    data: fc.uint8Array({ minLength: 4, maxLength: 255 }),
    strings: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 5 }),
    offset: fc.nat(4096),
  })
  .map((x) => ({ ...x, length: x.data.length }));

test('every decoder: arbitrary structures never throw, results serialize, issues are typed', (t) => {
  fc.assert(
    fc.property(anyStructure, fc.constantFrom(0x0200, 0x0206, 0x0208, 0x0302, 0x0307), (s, version) => {
      for (const decoder of DECODERS) {
        const v = new StructureView(s, version);
        if (!wellFormed(decoder(v))) return false;
        if (!v.issues.every((i) => CODES.has(i.code) && /handle 0x[0-9A-F]{4}/.test(i.message))) return false;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

test('type 42 decoder: structured-but-random interface data and protocol records never throw', (t) => {
  const record = fc.tuple(fc.constantFrom(0x02, 0x03, 0x04, 0xf0), fc.uint8Array({ maxLength: 120 })).map(([type, data]) => [type, data.length, ...data]);
  fc.assert(
    fc.property(
      fc.constantFrom(0x40, 0x02, 0xf0),
      fc.constantFrom(0x02, 0x03, 0x04, 0x05, 0x80, 0x07),
      fc.uint8Array({ maxLength: 30 }),
      fc.array(record, { maxLength: 3 }),
      fc.integer({ min: -3, max: 3 }),
      (ifType, devType, desc, records, skew) => {
        const body = [ifType, desc.length + 1, devType, ...desc, records.length, ...records.flat()];
        const data = Uint8Array.from([42, 0, 0, 0, ...body].slice(0, 255));
        const length = Math.max(4, Math.min(data.length, data.length + skew));
        const s: TableStructure = { type: 42, handle: 0x2a, length, offset: 0, data, strings: ['SN'] };
        return wellFormed(decodeRedfishHostInterface(new StructureView(s, 0x0303)));
      },
    ),
    RUNS,
  );
  t.pass();
});

test('decodeSmbios: random tables behind valid entry points never throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 800 }), fc.boolean(), (table, three) => {
      const buf = Buffer.from(table);
      const r = decodeSmbios(three ? entryPoint3(buf) : entryPoint2(buf), buf);
      return wellFormed(r);
    }),
    RUNS,
  );
  t.pass();
});

// Printable latin1 without NUL, as firmware strings are; the walk returns them raw.
const smbiosString = fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 20 });

const structures: fc.Arbitrary<RawStructure[]> = fc
  .uniqueArray(
    fc.record({
      type: fc.nat(126),
      handle: fc.nat(0xfefe),
      formatted: fc.uint8Array({ maxLength: 60 }),
      strings: fc.array(smbiosString, { maxLength: 6 }),
    }),
    { selector: (s) => s.handle, maxLength: 25 },
  );

test('round trip: well-formed tables built with buildTable walk back to the same structures', (t) => {
  fc.assert(
    fc.property(structures, fc.boolean(), (list, three) => {
      const table = buildTable(list);
      const ep = parseEntryPoint(three ? entryPoint3(table) : entryPoint2(table));
      if (!ep.ok) return false;
      const r = walkTable(table, ep.value);
      if (!r.ok || r.value.issues.length !== 0 || r.value.truncated !== null) return false;
      const got = r.value.structures;
      if (got.length !== list.length + 1 || got.at(-1)?.type !== 127) return false;
      return list.every((s, i) => {
        const w = got[i];
        return (
          w !== undefined &&
          w.type === s.type &&
          w.handle === s.handle &&
          w.length === 4 + s.formatted.length &&
          Buffer.from(w.data.subarray(4)).equals(Buffer.from(s.formatted as Uint8Array)) &&
          JSON.stringify(w.strings) === JSON.stringify(s.strings ?? [])
        );
      });
    }),
    RUNS,
  );
  t.pass();
});
