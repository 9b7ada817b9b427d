// Wake-on-LAN's own flags; cheap to import (the CLI reads them before loading a channel).

import type { ChannelFlag } from '../types.ts';

export const WOL_FLAGS: readonly ChannelFlag[] = [
  { name: 'mac', value: 'MAC', help: "the NIC to wake (aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or 12 hex digits); --host is the broadcast address (default 255.255.255.255), --port 9 or 7", required: true },
  { name: 'secureon-file', value: 'F', help: 'file whose first line is the SecureOn password (4 or 6 bytes: aa:bb:cc:dd[:ee:ff], 8/12 hex digits or a.b.c.d)', secret: true },
  { name: 'relay-socket', value: 'PATH', help: "have the agent daemon listening on this control socket send the packet on its own segment" },
  { name: 'via-peers', value: 'NODE', help: 'with --relay-socket: the daemon asks gossip members to wake NODE (a member it holds dead) on their own segments' },
];
