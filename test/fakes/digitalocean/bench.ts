// The DigitalOcean fake for bench/channels.

import type { StartBenchTarget } from '../bench-target.ts';
import { startCloudBench } from '../cloud/bench.ts';
import { DO_DROPLET, digitaloceanFake } from './fake.ts';

export const startDigitaloceanBench: StartBenchTarget = (delayMs) => startCloudBench('digitalocean', 'digitalocean (fake API, action objects)', digitaloceanFake, '', { droplet: DO_DROPLET }, delayMs);
