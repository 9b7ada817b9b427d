// The Linode (Akamai) channel: --linode ID and a personal access token.
// Linode's API has no hard power-off: shutdown is the only off it offers, so
// off takes as long as Linode's shutdown of the guest does (the ladder reads
// shutting_down as moving and waits within its deadline; a deadline shorter
// than that shutdown ends in STATE, never in a claimed off). boot is on,
// reboot the reset. The requests answer 200 {} and the Linode's own status is
// the verification; its event feed is not polled (the status says the same,
// one request per read).

import type { ChannelModule, ChannelOptions } from '../types.ts';
import { NUMERIC_ID, openCloud } from '../cloud/open.ts';
import type { CloudProvider } from '../cloud/provider.ts';
import { cok } from '../types.ts';
import { linodeError, parseLinode } from './parse.ts';

export const LINODE_API = 'https://api.linode.com/v4';

const VERB = { on: 'boot', off: 'shutdown', reset: 'reboot' } as const;

export const linodeProvider = (id: string): CloudProvider => ({
  channel: 'linode',
  subject: `linode ${id}`,
  actions: ['on', 'off', 'reset'],
  statusPath: `/linode/instances/${id}`,
  parseStatus: parseLinode,
  // The reference's body for all three is an object of optional fields (config_id for boot and reboot): none are needed.
  call: (action) => ({ path: `/linode/instances/${id}/${VERB[action]}`, body: {} }),
  parseAccepted: () => cok(null),
  replyError: linodeError,
});

export const linodeChannel: ChannelModule = {
  name: 'linode',
  defaultPort: () => 443,
  open: (opts: ChannelOptions) => openCloud({ name: 'linode', defaultUrl: LINODE_API, idFlag: 'linode', idPattern: NUMERIC_ID, idForm: 'a Linode id (a number)', provider: linodeProvider }, opts),
};
