// The Vultr channel: --instance UUID and an API key. halt stops the instance
// (a hard stop on Cloud Compute; Vultr documents a graceful stop for VX1, which
// the ladder then simply waits for), start powers it on (on a running instance
// Vultr would restart it, which the ladder never asks: it reads the state
// first), reboot is the reset. Each answers 204 with no action object, so the
// ladder's status reads are the only verification there is.

import type { ChannelModule, ChannelOptions } from '../types.ts';
import { openCloud } from '../cloud/open.ts';
import type { CloudProvider } from '../cloud/provider.ts';
import { cok } from '../types.ts';
import { parseInstance, vultrError } from './parse.ts';

export const VULTR_API = 'https://api.vultr.com/v2';

const VERB = { on: 'start', off: 'halt', reset: 'reboot' } as const;

export const vultrProvider = (id: string): CloudProvider => ({
  channel: 'vultr',
  subject: `instance ${id}`,
  actions: ['on', 'off', 'reset'],
  statusPath: `/instances/${id}`,
  parseStatus: parseInstance,
  call: (action) => ({ path: `/instances/${id}/${VERB[action]}` }),
  parseAccepted: () => cok(null),
  replyError: vultrError,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const vultrChannel: ChannelModule = {
  name: 'vultr',
  defaultPort: () => 443,
  open: (opts: ChannelOptions) => openCloud({ name: 'vultr', defaultUrl: VULTR_API, idFlag: 'instance', idPattern: UUID, idForm: 'an instance id (a UUID)', provider: vultrProvider }, opts),
};
