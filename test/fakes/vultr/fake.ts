// A FAKE Vultr API v2 (no emulator exists on any registry), built from the
// published reference at https://www.vultr.com/api/ (its OpenAPI description
// ships in github.com/vultr/vultr-python-client as swagger.json): Get Instance
// with its response sample ({"instance": {... "status", "power_status",
// "server_status" ...}}), Start/Halt/Reboot Instance as POSTs without a body
// answering 204 No Content, 401/404/400 refusals and the 429 the reference
// names for more than 30 requests a second; 4xx bodies carry an "error"
// attribute as the reference's "Response Codes" say. How server_status moves
// while an instance starts or stops is not documented; this fake shows
// installingbooting while starting and locked while stopping (the values the
// reference lists), which the channel must read as not done.

import type { FakeReply } from '../api-server.ts';
import { CloudFake, type CloudFakeOptions } from '../cloud/fake.ts';

export const VULTR_INSTANCE = 'cb676a46-66fd-4dfb-b839-443f2e6c0b60';

const error = (status: number, message: string): FakeReply => ({ status, json: { error: message, status } });

const POWER = {
  on: { power_status: 'running', server_status: 'ok' },
  off: { power_status: 'stopped', server_status: 'none' },
  starting: { power_status: 'running', server_status: 'installingbooting' },
  stopping: { power_status: 'running', server_status: 'locked' },
} as const;

const VERB = { start: 'on', halt: 'off', reboot: 'reset' } as const;

export function vultrFake(o: CloudFakeOptions = {}, tls?: { key: string; cert: string }): CloudFake {
  return new CloudFake(
    {
      unauthorized: error(401, 'Invalid API token.'),
      rateLimited: error(429, 'Rate limit exceeded.'),
      notFound: () => error(404, 'Not found'),
      methodNotAllowed: error(405, 'Method not allowed'),
    },
    (f) => [
      {
        method: 'GET',
        path: /^\/v2\/instances\/([^/]+)$/,
        handle: (m) =>
          m[1] === VULTR_INSTANCE
            ? { status: 200, json: { instance: { id: VULTR_INSTANCE, os: 'Ubuntu 20.04 x64', region: 'ewr', plan: 'vc2-6c-16gb', status: 'active', label: 'node-7', ...POWER[f.machine.state()] } } }
            : error(404, 'Invalid instance-id.'),
      },
      {
        method: 'POST',
        path: /^\/v2\/instances\/([^/]+)\/(start|halt|reboot)$/,
        handle: (m, req) => {
          if (m[1] !== VULTR_INSTANCE) return error(404, 'Invalid instance-id.');
          if (req.body.length > 0) return error(400, 'This request takes no body.');
          f.act(VERB[m[2] as keyof typeof VERB]);
          return { status: 204 };
        },
      },
    ],
    o,
    tls,
  );
}
