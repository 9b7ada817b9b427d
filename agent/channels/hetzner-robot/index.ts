// The Hetzner Robot channel (dedicated servers): --server NUMBER, the
// webservice user (--user) and password (--password-file). Reset and
// Wake-on-LAN only, unverifiable.

import { cerr, cok, type ChannelModule, type ChannelOptions } from '../types.ts';
import { apiTarget } from '../http/api.ts';
import { RobotDriver } from './driver.ts';

export const hetznerRobotChannel: ChannelModule = {
  name: 'hetzner-robot',
  defaultPort: () => 443,
  open(opts: ChannelOptions) {
    const server = opts.params?.server ?? '';
    if (!/^[1-9]\d{0,9}$/.test(server)) return cerr('CONFIG', 'hetzner-robot: --server must be the server number');
    if (!opts.user) return cerr('CONFIG', 'hetzner-robot: --user (the webservice user) is required');
    if (opts.user.includes(':')) return cerr('CONFIG', 'hetzner-robot: the user name cannot contain ":" (basic auth)');
    if (!opts.password) return cerr('CONFIG', 'hetzner-robot: --password-file is required');
    const target = apiTarget(opts, 'https://robot-ws.your-server.de');
    if (!target.ok) return target;
    return cok(new RobotDriver({ target: target.value, server, user: opts.user, password: opts.password }));
  },
};
