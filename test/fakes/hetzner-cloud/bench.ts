// The Hetzner Cloud fake for bench/channels.

import type { StartBenchTarget } from '../bench-target.ts';
import { startCloudBench } from '../cloud/bench.ts';
import { HETZNER_SERVER, hetznerFake } from './fake.ts';

export const startHetznerCloudBench: StartBenchTarget = (delayMs) => startCloudBench('hetzner-cloud', 'hetzner-cloud (fake API, action objects)', hetznerFake, '/v1', { server: HETZNER_SERVER }, delayMs);
