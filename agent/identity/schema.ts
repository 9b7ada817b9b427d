// Strict readers for the three payloads (certificate, session binding, record):
// every key known, every value typed. A v1 reader rejects anything else, so a
// later version is a new "v", never a silent reinterpretation.

import { decodeCbor, field, isMap, type Cbor, type CborKey } from './cbor.ts';
import { err, okv, type IdResult } from './errors.ts';

export const VERSION = 1;

export type CborMap = ReadonlyMap<CborKey, Cbor>;

export function payloadMap(bytes: Uint8Array, what: string, keys: readonly string[]): IdResult<CborMap> {
  const d = decodeCbor(bytes);
  if (!d.ok) return err(d.error.code, `${what}: ${d.error.message}`);
  if (!isMap(d.value)) return err('MALFORMED', `${what}: payload is not a map`);
  const m = d.value;
  for (const k of m.keys()) if (typeof k !== 'string' || !keys.includes(k)) return err('MALFORMED', `${what}: unknown key ${String(k)}`);
  if (m.get('v') !== VERSION) return err('UNSUPPORTED', `${what}: version ${String(m.get('v'))}, this agent reads ${VERSION}`);
  return okv(m);
}

/** Picks required typed fields; the first missing or mistyped one is the error. */
export function need<T>(what: string, key: string, v: T | undefined): IdResult<T> {
  return v === undefined ? err('MALFORMED', `${what}: "${key}" missing or of the wrong type`) : okv(v);
}

export { field };
