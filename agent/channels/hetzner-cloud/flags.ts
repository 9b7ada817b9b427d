// The Hetzner Cloud channel's settings: --server, --token-file, --endpoint.

import { cloudFlags } from '../cloud/flags.ts';

export const HETZNER_CLOUD_FLAGS = cloudFlags('server', 'the server (Hetzner Cloud: its id; Hetzner Robot: its number; OVH: its service name)');
