// The Linode fake for bench/channels.

import type { StartBenchTarget } from '../bench-target.ts';
import { startCloudBench } from '../cloud/bench.ts';
import { LINODE_ID, linodeFake } from './fake.ts';

export const startLinodeBench: StartBenchTarget = (delayMs) => startCloudBench('linode', 'linode (fake API, status reads)', linodeFake, '/v4', { linode: LINODE_ID }, delayMs);
