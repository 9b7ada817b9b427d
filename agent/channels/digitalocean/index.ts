// The DigitalOcean channel: --droplet ID and a personal access token. power_off
// is DigitalOcean's hard off ("similar to cutting the power"), power_cycle its
// reset button; both answer with an action followed until completed.

import type { ChannelModule, ChannelOptions } from '../types.ts';
import { NUMERIC_ID, openCloud } from '../cloud/open.ts';
import type { CloudProvider } from '../cloud/provider.ts';
import { digitaloceanError, parseAccepted, parseAction, parseDroplet } from './parse.ts';

export const DIGITALOCEAN_API = 'https://api.digitalocean.com';

const TYPE = { on: 'power_on', off: 'power_off', reset: 'power_cycle' } as const;

export const digitaloceanProvider = (id: string): CloudProvider => ({
  channel: 'digitalocean',
  subject: `droplet ${id}`,
  actions: ['on', 'off', 'reset'],
  statusPath: `/v2/droplets/${id}`,
  parseStatus: parseDroplet,
  call: (action) => ({ path: `/v2/droplets/${id}/actions`, body: { type: TYPE[action] } }),
  parseAccepted,
  actionPath: (actionId) => `/v2/actions/${actionId}`,
  parseAction,
  replyError: digitaloceanError,
});

export const digitaloceanChannel: ChannelModule = {
  name: 'digitalocean',
  defaultPort: () => 443,
  open: (opts: ChannelOptions) => openCloud({ name: 'digitalocean', defaultUrl: DIGITALOCEAN_API, idFlag: 'droplet', idPattern: NUMERIC_ID, idForm: 'a droplet id (a number)', provider: digitaloceanProvider }, opts),
};
