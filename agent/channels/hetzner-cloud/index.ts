// The Hetzner Cloud channel: --server ID and a project API token. poweroff and
// reset cut the power at once (Hetzner's own words: "equivalent to pulling the
// power cord"), which is what fencing needs; each answers with an action that
// is followed to success before the ladder reads the server's status.

import type { ChannelModule, ChannelOptions } from '../types.ts';
import { NUMERIC_ID, openCloud } from '../cloud/open.ts';
import type { CloudProvider } from '../cloud/provider.ts';
import { hetznerError, parseAccepted, parseAction, parseServer } from './parse.ts';

export const HETZNER_API = 'https://api.hetzner.cloud/v1';

const VERB = { on: 'poweron', off: 'poweroff', reset: 'reset' } as const;

export const hetznerProvider = (id: string): CloudProvider => ({
  channel: 'hetzner-cloud',
  subject: `server ${id}`,
  actions: ['on', 'off', 'reset'],
  statusPath: `/servers/${id}`,
  parseStatus: parseServer,
  call: (action) => ({ path: `/servers/${id}/actions/${VERB[action]}` }),
  parseAccepted,
  // GET /actions/{id} is the documented way to read one action (listing arbitrary actions was removed in 2025; reading one by id was not).
  actionPath: (actionId) => `/actions/${actionId}`,
  parseAction,
  replyError: hetznerError,
});

export const hetznerCloudChannel: ChannelModule = {
  name: 'hetzner-cloud',
  defaultPort: () => 443,
  open: (opts: ChannelOptions) => openCloud({ name: 'hetzner-cloud', defaultUrl: HETZNER_API, idFlag: 'server', idPattern: NUMERIC_ID, idForm: 'a server id (a number)', provider: hetznerProvider }, opts),
};
