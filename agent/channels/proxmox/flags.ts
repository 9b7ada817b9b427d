// The Proxmox VE channel's own flags; cheap to import (the CLI reads them before loading the channel).

import type { ChannelFlag } from '../types.ts';
import { ENDPOINT_FLAG, TOKEN_FILE_FLAG } from '../http/flags.ts';

export const PROXMOX_FLAGS: readonly ChannelFlag[] = [
  // The shared flags keep their shared help: the CLI shows one text for every channel that takes them.
  { ...ENDPOINT_FLAG, required: true },
  { name: 'vm', value: 'ID', help: 'the VM (Proxmox: its VMID; vSphere: its identifier, such as vm-42)', required: true },
  { name: 'node', value: 'NODE', help: "the node the VM runs on (default: looked up in the cluster's resources, again when the VM has moved)" },
  { name: 'kind', value: 'qemu|lxc', help: 'a QEMU VM or an LXC container (default: looked up with the node)' },
  // The token's secret; its id (USER@REALM!TOKENID) goes in --user. Without it, --password-file logs in for a ticket.
  TOKEN_FILE_FLAG,
];
