// Pure decoding of what an SNMP agent sent back (varbind types and values are
// untrusted) and of the --outlet list. Every function returns a result; none
// throws, whatever the input.

import { cerr, cok, type ChannelResult } from '../types.ts';
import type { OutletReading, VendorTable } from './table.ts';

/** BER tags of the varbind types (RFC 3416 / RFC 2578); net-snmp reports these numbers. */
export const TAG = { Integer: 2, OctetString: 4, Null: 5, OID: 6, Gauge32: 66, NoSuchObject: 128, NoSuchInstance: 129, EndOfMibView: 130 } as const;

export interface VarbindLike {
  oid: string;
  type: number;
  value: unknown;
}

export const MAX_OUTLETS = 16;
const MAX_NAME = 64;

export type OutletRef = { kind: 'number'; n: number } | { kind: 'instance'; instance: string } | { kind: 'name'; name: string };

/** Printable ASCII only, cut short: what a device sent may go into a message. */
export const printable = (s: string, max = 64): string => s.replace(/[^\x20-\x7e]/g, '?').slice(0, max);

/** "3,4", "web1-psuA,web1-psuB" or, on PDUs with several units, a full row index "1.2.5". */
export function parseOutlets(spec: string): ChannelResult<OutletRef[]> {
  const parts = spec.split(',').map((s) => s.trim());
  if (parts.length > MAX_OUTLETS) return cerr('CONFIG', `at most ${MAX_OUTLETS} outlets per node`);
  const out: OutletRef[] = [];
  const seen = new Set<string>();
  for (const p of parts) {
    if (p.length === 0) return cerr('CONFIG', `--outlet "${printable(spec)}" has an empty entry`);
    if (p.length > MAX_NAME) return cerr('CONFIG', `outlet "${printable(p)}..." is longer than ${MAX_NAME} characters`);
    if (/[^\x20-\x7e]/.test(p)) return cerr('CONFIG', `outlet "${printable(p)}" has characters outside printable ASCII`);
    if (seen.has(p)) return cerr('CONFIG', `outlet ${printable(p)} is listed twice`);
    seen.add(p);
    if (/^\d{1,5}$/.test(p)) {
      const n = Number(p);
      if (n < 1) return cerr('CONFIG', 'outlet numbers start at 1');
      out.push({ kind: 'number', n });
    } else if (/^\d{1,5}(\.\d{1,5}){1,3}$/.test(p)) out.push({ kind: 'instance', instance: p });
    else out.push({ kind: 'name', name: p });
  }
  return cok(out);
}

function absent(vb: VarbindLike, what: string): ChannelResult<never> | null {
  if (vb.type === TAG.NoSuchObject) return cerr('CONFIG', `${what}: the PDU has no such object (${printable(vb.oid, 80)}): wrong vendor table or outlet`);
  if (vb.type === TAG.NoSuchInstance || vb.type === TAG.EndOfMibView) return cerr('CONFIG', `${what}: no such outlet on this PDU (${printable(vb.oid, 80)})`);
  return null;
}

/** An INTEGER (or Unsigned32/Gauge32) value. */
export function intValue(vb: VarbindLike, what: string): ChannelResult<number> {
  const missing = absent(vb, what);
  if (missing) return missing;
  if (vb.type !== TAG.Integer && vb.type !== TAG.Gauge32) return cerr('PROTOCOL', `${what}: expected an INTEGER, got ASN.1 type ${vb.type}`);
  if (typeof vb.value !== 'number' || !Number.isSafeInteger(vb.value)) return cerr('PROTOCOL', `${what}: not an integer value`);
  return cok(vb.value);
}

export function oidValue(vb: VarbindLike, what: string): ChannelResult<string> {
  const missing = absent(vb, what);
  if (missing) return missing;
  if (vb.type !== TAG.OID || typeof vb.value !== 'string' || !/^\d{1,10}(\.\d{1,10}){1,127}$/.test(vb.value)) return cerr('PROTOCOL', `${what}: expected an OBJECT IDENTIFIER`);
  return cok(vb.value);
}

export function textValue(vb: VarbindLike, what: string): ChannelResult<string> {
  const missing = absent(vb, what);
  if (missing) return missing;
  if (vb.type !== TAG.OctetString) return cerr('PROTOCOL', `${what}: expected an OCTET STRING, got ASN.1 type ${vb.type}`);
  const v = vb.value;
  const bytes = Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v, 'utf8') : null;
  if (bytes === null || bytes.length > 255) return cerr('PROTOCOL', `${what}: not a DisplayString`);
  return cok(bytes.toString('utf8'));
}

/** The state column of one outlet, through the vendor's enumeration. */
export function readingOf(t: VendorTable, vb: VarbindLike, what: string): ChannelResult<OutletReading> {
  const n = intValue(vb, what);
  if (!n.ok) return n;
  const r = t.decodeState(n.value);
  return r === null ? cerr('PROTOCOL', `${what}: ${n.value} is not a state ${t.model} defines`) : cok(r);
}

/** The row index after a column OID, or null when the OID is not in that column. */
export function instanceUnder(column: string, oid: string): string | null {
  if (!oid.startsWith(`${column}.`)) return null;
  const rest = oid.slice(column.length + 1);
  return /^\d{1,10}(\.\d{1,10}){0,7}$/.test(rest) ? rest : null;
}

export interface NamedRow {
  instance: string;
  name: string;
}

/** An exact name wins; otherwise a unique case-insensitive match. Two outlets with the name are ambiguous. */
export function matchName(rows: readonly NamedRow[], wanted: string): ChannelResult<string> {
  const exact = rows.filter((r) => r.name.trim() === wanted);
  const hits = exact.length > 0 ? exact : rows.filter((r) => r.name.trim().toLowerCase() === wanted.toLowerCase());
  if (hits.length === 1 && hits[0]) return cok(hits[0].instance);
  if (hits.length > 1) return cerr('CONFIG', `outlet name "${printable(wanted)}" is on ${hits.length} outlets (${hits.map((h) => h.instance).join(', ')}): use numbers`);
  const known = rows.slice(0, 12).map((r) => `${r.instance}=${printable(r.name, 24)}`).join(', ');
  return cerr('CONFIG', `no outlet is named "${printable(wanted)}"${rows.length ? ` (the PDU has ${known}${rows.length > 12 ? ', ...' : ''})` : ' (the PDU lists no outlet names)'}`);
}
