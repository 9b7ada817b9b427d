// The Vultr fake for bench/channels.

import type { StartBenchTarget } from '../bench-target.ts';
import { startCloudBench } from '../cloud/bench.ts';
import { VULTR_INSTANCE, vultrFake } from './fake.ts';

export const startVultrBench: StartBenchTarget = (delayMs) => startCloudBench('vultr', 'vultr (fake API, 204 and status reads)', vultrFake, '/v2', { instance: VULTR_INSTANCE }, delayMs);
