// The GCE fake for bench/channels: a running instance behind a static bearer token.

import type { StartBenchTarget } from '../bench-target.ts';
import { FakeGce } from './server.ts';

export const startGceBench: StartBenchTarget = async (delayMs) => {
  const token = 'ya29.bench-token';
  const fake = new FakeGce({ project: 'bench-project', zone: 'europe-west1-b', instance: 'bench-vm', initial: 'on', delayMs, staticToken: token });
  await fake.start();
  return {
    channel: 'gce',
    label: 'gce (Compute Engine v1, zone operations)',
    delayMs,
    opts: { insecureHttp: true, params: { project: 'bench-project', zone: 'europe-west1-b', instance: 'bench-vm', endpoint: fake.server.url }, secrets: { 'token-file': token } },
    close: () => fake.stop(),
  };
};
