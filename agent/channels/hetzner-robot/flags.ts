// The Hetzner Robot channel's settings (the webservice user and password are the common --user and --password-file).

import { ENDPOINT_FLAG } from '../http/flags.ts';
import type { ChannelFlag } from '../types.ts';

export const HETZNER_ROBOT_FLAGS: readonly ChannelFlag[] = [
  { name: 'server', value: 'S', help: 'the dedicated server (Hetzner Robot: its number; OVH: its service name)', required: true },
  ENDPOINT_FLAG,
];
