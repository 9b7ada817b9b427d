// The Vultr channel's settings: --instance (the flag AWS and GCE name theirs by too), --token-file, --endpoint.

import { cloudFlags } from '../cloud/flags.ts';

export const VULTR_FLAGS = cloudFlags('instance', 'the instance (EC2: i-..., GCE: its name, Vultr: its UUID)');
