// The OVH fake for bench/channels. OVH cannot read power state: the row says
// "unverified"; the time includes following the reboot task to done.

import type { StartBenchTarget } from '../bench-target.ts';
import { FakeOvh } from './server.ts';

export const startOvhBench: StartBenchTarget = async (delayMs) => {
  const keys = { appKey: '7kbG7Bk7S9Nt7ZSV', appSecret: 'bench-app-secret', consumerKey: 'bench-consumer-key' };
  const fake = new FakeOvh({ ...keys, server: 'ns1234.ip-1-2-3.eu', delayMs });
  await fake.start();
  return {
    channel: 'ovh',
    label: 'ovh (hardReboot task, unverified)',
    delayMs,
    opts: { insecureHttp: true, params: { server: 'ns1234.ip-1-2-3.eu', 'app-key': keys.appKey, endpoint: fake.endpoint }, secrets: { 'app-secret-file': keys.appSecret, 'consumer-key-file': keys.consumerKey } },
    close: () => fake.stop(),
  };
};
