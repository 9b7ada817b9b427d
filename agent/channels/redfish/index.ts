// The Redfish channel. `host` may name the system too, as HOST/ID or
// HOST/redfish/v1/Systems/ID (the options have no other field for it, and a
// path after the host reads as what it is); without one, a service with a
// single system uses it and a service with several fails with CONFIG naming them.

import net from 'node:net';
import { cerr, cok, type ChannelModule, type ChannelOptions, type ChannelResult } from '../types.ts';
import { RedfishDriver } from './driver.ts';
import { printable } from './parse.ts';

export interface Target {
  host: string;
  system: string | null;
}

/** HOST, [V6]/ID, HOST/ID, HOST/redfish/v1/Systems/ID. IPv6 literals carry no '/', so the first '/' ends the host. */
export function parseTarget(spec: string): ChannelResult<Target> {
  const slash = spec.indexOf('/');
  const rawHost = slash < 0 ? spec : spec.slice(0, slash);
  const host = rawHost.replace(/^\[(.*)\]$/, '$1');
  const rest = slash < 0 ? '' : spec.slice(slash + 1).replace(/\/$/, '');
  const name = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(host);
  if (!name && net.isIP(host.split('%')[0] ?? '') === 0) return cerr('CONFIG', `"${printable(rawHost, 80)}" is not a host name or address`);
  if (rest === '') return cok({ host, system: null });
  if (!/^[A-Za-z0-9\-._~:@/]{1,256}$/.test(rest) || rest.startsWith('/') || rest.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) return cerr('CONFIG', `"${printable(rest, 80)}" is not a system Id or URI`);
  return cok({ host, system: rest.startsWith('redfish/') ? `/${rest}` : rest });
}

import { parseFingerprint } from '../http/pin.ts';

export { parseFingerprint };

export const redfishChannel: ChannelModule = {
  name: 'redfish',
  defaultPort: (opts: ChannelOptions) => (opts.insecureHttp ? 80 : 443),
  open(opts: ChannelOptions) {
    if (!opts.host) return cerr('CONFIG', 'Redfish needs a host');
    const target = parseTarget(opts.host);
    if (!target.ok) return target;
    if (!opts.user) return cerr('CONFIG', 'Redfish needs a user name');
    if (!opts.password) return cerr('CONFIG', 'Redfish needs a password');
    const port = opts.port ?? redfishChannel.defaultPort(opts);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return cerr('CONFIG', `port ${port} is out of range`);
    let pin: Buffer | null = null;
    if (opts.tlsFingerprint !== undefined) {
      const fp = parseFingerprint(opts.tlsFingerprint);
      if (!fp.ok) return fp;
      pin = fp.value;
    } else if (!opts.insecureHttp) {
      return cerr('CONFIG', 'BMCs carry self-signed certificates: pin one with a sha256 fingerprint, or ask for plain HTTP');
    }
    if (pin && opts.insecureHttp) return cerr('CONFIG', 'a TLS fingerprint and plain HTTP exclude each other');
    const driver = new RedfishDriver({ host: target.value.host, port, pin }, { user: opts.user, password: opts.password }, target.value.system);
    return cok(driver);
  },
};
