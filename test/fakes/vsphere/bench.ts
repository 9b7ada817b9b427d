// bench/channels targets for vSphere: a VM behind the current /api and behind the legacy /rest, pinned HTTPS.

import type { BenchTarget, StartBenchTarget } from '../bench-target.ts';
import { startVcenter } from './harness.ts';

async function target(delayMs: number, dialect: 'api' | 'rest'): Promise<BenchTarget> {
  const rig = await startVcenter(dialect === 'rest' ? { dialects: 'rest-only' } : {});
  rig.fake.add('vm-42', 'on', delayMs);
  return { channel: 'vsphere', label: `vsphere (/${dialect}${dialect === 'rest' ? ', detected' : ''})`, delayMs, opts: rig.opts(), close: () => rig.close() };
}

export const vsphereApi: StartBenchTarget = (delayMs) => target(delayMs, 'api');
export const vsphereRest: StartBenchTarget = (delayMs) => target(delayMs, 'rest');
