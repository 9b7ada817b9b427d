// The Linode (Akamai) channel's settings: --linode, --token-file, --endpoint.

import { cloudFlags } from '../cloud/flags.ts';

export const LINODE_FLAGS = cloudFlags('linode', 'the Linode id (a number)');
