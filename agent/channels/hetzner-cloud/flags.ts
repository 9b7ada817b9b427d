// The Hetzner Cloud channel's settings: --server, --token-file, --endpoint.

import { cloudFlags } from '../cloud/flags.ts';

export const HETZNER_CLOUD_FLAGS = cloudFlags('server', 'the Hetzner Cloud server id (a number)');
