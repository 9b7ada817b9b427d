// Small readers for JSON the harness loads from disk (profiles): each takes an
// unknown value and a path for the message, returns the typed value or throws
// a ProfileError naming the path, so a typo in a profile fails loudly at load
// time instead of as a strange QEMU error later.

export class ProfileError extends Error {
  override name = 'ProfileError';
}

export type Json = unknown;

export function record(v: Json, at: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProfileError(`${at}: expected an object`);
  return v as Record<string, Json>;
}

/** Rejects keys the reader does not know, the usual cause being a misspelt field. */
export function onlyKeys(o: Record<string, Json>, at: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ProfileError(`${at}.${k}: unknown field (known: ${keys.join(', ')})`);
}

export function str(v: Json, at: string): string {
  if (typeof v !== 'string') throw new ProfileError(`${at}: expected a string`);
  return v;
}

export function bool(v: Json, at: string): boolean {
  if (typeof v !== 'boolean') throw new ProfileError(`${at}: expected true or false`);
  return v;
}

/** An integer given as a JSON number or as "0x..." text (ids and handles read better in hex). */
export function int(v: Json, at: string, min: number, max: number): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v)) n = Number.parseInt(v.slice(2), 16);
  else throw new ProfileError(`${at}: expected an integer or "0x..." text`);
  if (!Number.isInteger(n) || n < min || n > max) throw new ProfileError(`${at}: ${String(v)} is outside ${min}..${max}`);
  return n;
}

export function list(v: Json, at: string): Json[] {
  if (!Array.isArray(v)) throw new ProfileError(`${at}: expected a list`);
  return v;
}

export function oneOf<T extends string>(v: Json, at: string, values: readonly T[]): T {
  const s = str(v, at);
  if (!(values as readonly string[]).includes(s)) throw new ProfileError(`${at}: "${s}" is not one of ${values.join(', ')}`);
  return s as T;
}

/** A flat map of string values (QEMU -smbios fields, kernel arguments). */
export function strings(v: Json, at: string): Record<string, string> {
  const o = record(v, at);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, str(x, `${at}.${k}`)]));
}
