// The OVH dedicated-server channel: --server (the service name), the
// application key, and the application secret and consumer key from files.
// Hard reboot only, unverifiable.

import { cerr, cok, type ChannelModule, type ChannelOptions } from '../types.ts';
import { apiTarget } from '../http/api.ts';
import { OvhDriver } from './driver.ts';

export const OVH_DEFAULT_ENDPOINT = 'https://eu.api.ovh.com/1.0';

export const ovhChannel: ChannelModule = {
  name: 'ovh',
  defaultPort: () => 443,
  open(opts: ChannelOptions) {
    const p = opts.params ?? {};
    const s = opts.secrets ?? {};
    const server = p.server ?? '';
    const appKey = p['app-key'] ?? '';
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(server)) return cerr('CONFIG', 'ovh: --server must be the service name (ns1234.ip-1-2-3.eu)');
    if (!/^[A-Za-z0-9]{8,64}$/.test(appKey)) return cerr('CONFIG', 'ovh: --app-key must be the application key');
    const appSecret = s['app-secret-file'];
    const consumerKey = s['consumer-key-file'];
    if (!appSecret || !consumerKey) return cerr('CONFIG', 'ovh: the application secret and consumer key are required (--app-secret-file, --consumer-key-file)');
    if (!/^[\x21-\x7e]+$/.test(consumerKey)) return cerr('CONFIG', 'ovh: the consumer key must be printable ASCII (it goes in a header)');
    const raw = p.endpoint ?? OVH_DEFAULT_ENDPOINT;
    const target = apiTarget(opts, OVH_DEFAULT_ENDPOINT);
    if (!target.ok) return target;
    const url = new URL(raw);
    const urlBase = `${url.protocol}//${url.host}${target.value.base}`;
    return cok(new OvhDriver({ target: target.value, urlBase, server, appKey, appSecret, consumerKey }));
  },
};
