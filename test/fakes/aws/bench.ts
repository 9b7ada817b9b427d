// The EC2 fake for bench/channels: a running instance whose state changes take delayMs.

import type { StartBenchTarget } from '../bench-target.ts';
import { FakeEc2 } from './server.ts';

export const AWS_BENCH = { instance: 'i-0123456789abcdef0', region: 'eu-central-1', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secret: 'bench/K7MDENG+bPxRfiCYEXAMPLEKEY' } as const;

export const startAwsBench: StartBenchTarget = async (delayMs) => {
  const fake = new FakeEc2({ ...AWS_BENCH, initial: 'on', delayMs });
  await fake.start();
  return {
    channel: 'aws',
    label: 'aws (EC2 Query API, SigV4)',
    delayMs,
    opts: {
      insecureHttp: true,
      params: { instance: AWS_BENCH.instance, region: AWS_BENCH.region, 'access-key-id': AWS_BENCH.accessKeyId, endpoint: fake.server.url },
      secrets: { 'secret-key-file': AWS_BENCH.secret },
    },
    close: () => fake.stop(),
  };
};
