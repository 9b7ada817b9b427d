// Opening a VPS channel: the token from --token-file, the provider's own id
// for the machine, and the endpoint (the provider's public API unless
// --endpoint names another). Everything is checked before any I/O; no message
// carries the token.

import { cerr, cok, type ChannelOptions, type ChannelResult, type PowerDriver } from '../types.ts';
import { apiTarget } from '../http/api.ts';
import { CloudDriver } from './driver.ts';
import type { CloudProvider } from './provider.ts';

export interface CloudOpen {
  name: string;
  defaultUrl: string;
  /** The flag naming the machine (server, droplet, instance, linode) and the form the provider gives its ids. */
  idFlag: string;
  idPattern: RegExp;
  idForm: string;
  provider(id: string): CloudProvider;
}

/** Header-safe: printable ASCII without spaces (a token pasted with a space or a stray byte would otherwise fail as AUTH, or worse, split the header). */
const TOKEN = /^[\x21-\x7e]{1,4096}$/;

export function openCloud(c: CloudOpen, opts: ChannelOptions): ChannelResult<PowerDriver> {
  const token = opts.secrets?.['token-file'];
  if (!token) return cerr('CONFIG', `${c.name}: the API token is required (--token-file)`);
  if (!TOKEN.test(token)) return cerr('CONFIG', `${c.name}: the token file's first line holds spaces or non-ASCII bytes; it must be the bare API token`);
  const id = opts.params?.[c.idFlag] ?? '';
  if (!c.idPattern.test(id)) return cerr('CONFIG', `${c.name}: --${c.idFlag} must be ${c.idForm}`);
  const t = apiTarget(opts, c.defaultUrl);
  if (!t.ok) return t;
  return cok(new CloudDriver(c.provider(id), t.value, token));
}

export const NUMERIC_ID = /^[1-9]\d{0,18}$/;
