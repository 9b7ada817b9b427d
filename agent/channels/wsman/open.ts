// Options to a WS-Management driver, the same checks for AMT and DASH: HTTPS
// only with a pinned certificate, plain HTTP only when asked for, never both.

import { cerr, cok, type ChannelOptions, type ChannelResult, type PowerDriver } from '../types.ts';
import { credentialsOf, WsmanDriver, type WsmanProfile } from './driver.ts';
import { parseFingerprint } from '../http/pin.ts';
import { Transport } from './transport.ts';

export interface Ports {
  http: number;
  https: number;
}

export const defaultPort = (ports: Ports, opts: ChannelOptions): number => (opts.insecureHttp ? ports.http : ports.https);

export function openWsman(opts: ChannelOptions, profile: WsmanProfile, ports: Ports, defaultUser: string): ChannelResult<PowerDriver> {
  if (!opts.host) return cerr('CONFIG', `${profile.channel} needs a host`);
  if (opts.password === undefined) return cerr('CONFIG', `${profile.channel} needs a password`);
  const host = opts.host.replace(/^\[(.*)\]$/, '$1');
  if (!/^[A-Za-z0-9.:%_-]{1,253}$/.test(host)) return cerr('CONFIG', 'the host is not a host name or address');
  const port = opts.port ?? defaultPort(ports, opts);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return cerr('CONFIG', `port ${port} is out of range`);
  const creds = credentialsOf(opts.user, defaultUser, opts.password);
  if (!creds.ok) return creds;
  let pin: Buffer | null = null;
  if (opts.tlsFingerprint !== undefined) {
    if (opts.insecureHttp) return cerr('CONFIG', 'a TLS fingerprint and plain HTTP exclude each other');
    const fp = parseFingerprint(opts.tlsFingerprint);
    if (!fp.ok) return fp;
    pin = fp.value;
  } else if (!opts.insecureHttp) {
    return cerr('CONFIG', `${profile.channel} firmware carries a self-signed certificate: pin it with a sha256 fingerprint, or ask for plain HTTP`);
  }
  return cok(new WsmanDriver(profile, new Transport({ host, port, pin }, creds.value)));
}
