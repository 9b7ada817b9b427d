// A provider fake as bench/channels wants it: started, its machine running and
// lagging its API by delayMs, with the options that reach it.

import type { ChannelName } from '../../../agent/channels/types.ts';
import type { BenchTarget } from '../bench-target.ts';
import { cloudOpts, type CloudFake, type CloudFakeOptions } from './fake.ts';

export async function startCloudBench(channel: ChannelName, label: string, make: (o: CloudFakeOptions) => CloudFake, apiPath: string, idParams: Record<string, string>, delayMs: number): Promise<BenchTarget> {
  const f = make({ initial: 'on', delayMs });
  await f.start();
  return { channel, label, delayMs, opts: cloudOpts(f.server.url + apiPath, idParams, f.token), close: () => f.stop() };
}
