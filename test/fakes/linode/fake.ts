// A FAKE Linode (Akamai) API v4 (no emulator exists on any registry), built
// from the published reference at https://techdocs.akamai.com/linode-api/
// ("Get a Linode", "Boot a Linode", "Shut down a Linode", "Reboot a Linode",
// the 400/401/404/429 error pages and "Rate limits"): the Linode object with
// its status words, 200 {} for the power requests, whose body is an object of
// optional fields (config_id for boot and reboot), and errors as
// {"errors": [{"reason", "field"?}]}. The reference says a shutdown or reboot
// waits for running jobs; the API answers those with 400 "Linode busy." (as
// reported in linode/linode-cli#17 and linode/linode_api4-python#110), which
// this fake gives while the machine is still moving.

import type { FakeReply } from '../api-server.ts';
import { jsonBody } from '../api-server.ts';
import { CloudFake, type CloudFakeOptions } from '../cloud/fake.ts';
import { isObject } from '../../../agent/channels/cloud/json.ts';

export const LINODE_ID = '123';

const error = (status: number, reason: string, field?: string): FakeReply => ({ status, json: { errors: [{ reason, ...(field ? { field } : {}) }] } });
const notFound = error(404, 'Not found');

const VERB = { boot: 'on', shutdown: 'off', reboot: 'reset' } as const;

export function linodeFake(o: CloudFakeOptions = {}, tls?: { key: string; cert: string }): CloudFake {
  let last: 'on' | 'off' | 'reset' | null = null;
  const status = (f: CloudFake): string => {
    const s = f.machine.state();
    if (s === 'on') return 'running';
    if (s === 'off') return 'offline';
    if (s === 'stopping') return 'shutting_down';
    return last === 'reset' ? 'rebooting' : 'booting';
  };
  return new CloudFake(
    {
      unauthorized: error(401, 'Invalid Token'),
      rateLimited: { ...error(429, 'Too many requests'), headers: { 'Retry-After': '1' } },
      notFound: () => notFound,
      methodNotAllowed: error(405, 'Method Not Allowed'),
    },
    (f) => [
      { method: 'GET', path: /^\/v4\/linode\/instances\/(\d+)$/, handle: (m) => (m[1] === LINODE_ID ? { status: 200, json: { id: Number(LINODE_ID), label: 'node-7', region: 'us-east', status: status(f) } } : notFound) },
      {
        method: 'POST',
        path: /^\/v4\/linode\/instances\/(\d+)\/(boot|shutdown|reboot)$/,
        handle: (m, req) => {
          if (m[1] !== LINODE_ID) return notFound;
          const body = jsonBody(req);
          if (!isObject(body)) return error(400, 'Request body must be a JSON object');
          const allowed = m[2] === 'shutdown' ? [] : ['config_id'];
          const extra = Object.keys(body).find((k) => !allowed.includes(k));
          if (extra !== undefined) return error(400, 'Unexpected field', extra);
          if (f.takeBusy()) return error(400, 'Linode busy.');
          last = VERB[m[2] as keyof typeof VERB];
          f.act(last);
          return { status: 200, json: {} };
        },
      },
    ],
    o,
    tls,
  );
}
