// The Hetzner Robot fake for bench/channels. Robot cannot read power state:
// the row says "unverified" (the ladder sends the reset once and stops).

import type { StartBenchTarget } from '../bench-target.ts';
import { FakeRobot } from './server.ts';

export const startHetznerRobotBench: StartBenchTarget = async (delayMs) => {
  const fake = new FakeRobot({ user: '#ws+bench', password: 'bench-robot-pw', server: 321, delayMs });
  await fake.start();
  return {
    channel: 'hetzner-robot',
    label: 'hetzner-robot (hw reset, unverified)',
    delayMs,
    opts: { insecureHttp: true, user: '#ws+bench', password: 'bench-robot-pw', params: { server: '321', endpoint: fake.server.url } },
    close: () => fake.stop(),
  };
};
