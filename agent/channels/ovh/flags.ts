// The OVH channel's settings; cheap to import (the CLI reads them before loading the channel).

import { ENDPOINT_FLAG } from '../http/flags.ts';
import type { ChannelFlag } from '../types.ts';

export const OVH_FLAGS: readonly ChannelFlag[] = [
  { name: 'server', value: 'S', help: 'the dedicated server (Hetzner Robot: its number; OVH: its service name)', required: true },
  { name: 'app-key', value: 'AK', help: 'the OVH application key (not secret; its secret goes in --app-secret-file)', required: true },
  { name: 'app-secret-file', value: 'F', help: 'file whose first line is the OVH application secret', secret: true, required: true },
  { name: 'consumer-key-file', value: 'F', help: 'file whose first line is the OVH consumer key', secret: true, required: true },
  ENDPOINT_FLAG,
];
