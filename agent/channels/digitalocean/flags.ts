// The DigitalOcean channel's settings: --droplet, --token-file, --endpoint.

import { cloudFlags } from '../cloud/flags.ts';

export const DIGITALOCEAN_FLAGS = cloudFlags('droplet', 'the DigitalOcean droplet id (a number)');
