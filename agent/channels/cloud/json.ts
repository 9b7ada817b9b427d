// Reading provider JSON without trusting it: every step checks the type it
// expects and says where the document went wrong, so a parser built from these
// returns a typed PROTOCOL error for anything a provider (or an impostor) sends.

import { cerr, cok, type ChannelResult } from '../types.ts';

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const shown = (v: unknown): string => (v === undefined ? 'missing' : JSON.stringify(v)?.slice(0, 60) ?? String(v));

/** The object at `key` of `v` (the provider's envelope: {"server": {...}}). */
export function objectAt(v: unknown, key: string, where: string): ChannelResult<JsonObject> {
  if (!isObject(v)) return cerr('PROTOCOL', `${where}: the reply is not a JSON object`);
  const o = v[key];
  return isObject(o) ? cok(o) : cerr('PROTOCOL', `${where}: "${key}" is ${shown(o)}, not an object`);
}

export function stringAt(o: JsonObject, key: string, where: string): ChannelResult<string> {
  const s = o[key];
  return typeof s === 'string' ? cok(s) : cerr('PROTOCOL', `${where}: "${key}" is ${shown(s)}, not a string`);
}

/** An action id: a positive safe integer, kept as its decimal text for the polling path. */
export function idAt(o: JsonObject, key: string, where: string): ChannelResult<string> {
  const n = o[key];
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? cok(String(n)) : cerr('PROTOCOL', `${where}: "${key}" is ${shown(n)}, not an action id`);
}

/** One of the values a provider documents; anything else is PROTOCOL, naming what came. */
export function oneOf<T extends string>(s: string, allowed: readonly T[], where: string): ChannelResult<T> {
  return (allowed as readonly string[]).includes(s) ? cok(s as T) : cerr('PROTOCOL', `${where}: unexpected value ${shown(s)}`);
}
