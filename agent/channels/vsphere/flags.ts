// The vSphere channel's own flags; cheap to import (the CLI reads them before loading the channel).

import type { ChannelFlag } from '../types.ts';
import { ENDPOINT_FLAG } from '../http/flags.ts';

export const VSPHERE_FLAGS: readonly ChannelFlag[] = [
  { ...ENDPOINT_FLAG, required: true },
  { name: 'vm', value: 'ID', help: 'the VM (Proxmox: its VMID; vSphere: its identifier, such as vm-42)', required: true },
  { name: 'api', value: 'api|rest', help: 'the current /api (vSphere 7.0 U2+) or the legacy /rest API (default: /api, then /rest when vCenter has no /api)' },
];
