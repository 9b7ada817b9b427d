// A FAKE DigitalOcean API v2 (no emulator exists on any registry), built from
// the published OpenAPI description (github.com/digitalocean/openapi,
// specification/resources/droplets and actions, shared/responses) and the
// reference at https://docs.digitalocean.com/reference/api/: the
// {"droplet": {...}} and {"action": {...}} envelopes, droplet status
// new/active/off/archive and `locked`, 201 for an initiated action, action
// status in-progress/completed/errored, errors as {"id", "message"} with the
// documented examples (unauthorized "Unable to authenticate you.", not_found,
// too_many_requests with ratelimit-* headers, bad_request "error parsing
// request body", unprocessable_entity), and the documented lock: while an
// action runs the droplet is locked and a new action is refused with 422.
// The body must be exactly {"type": "power_on"|"power_off"|"power_cycle"}.

import type { FakeReply } from '../api-server.ts';
import { jsonBody } from '../api-server.ts';
import { CloudFake, resetIn60, type CloudFakeOptions, type FakeAction } from '../cloud/fake.ts';
import { isObject } from '../../../agent/channels/cloud/json.ts';

export const DO_DROPLET = '3164494';

const error = (status: number, id: string, message: string, headers?: Record<string, string>): FakeReply => ({ status, json: { id, message }, ...(headers ? { headers } : {}) });
const notFound = error(404, 'not_found', 'The resource you requested could not be found.');

const TYPES = { power_on: 'on', power_off: 'off', power_cycle: 'reset' } as const;
const TYPE_OF = { on: 'power_on', off: 'power_off', reset: 'power_cycle' } as const;

function actionJson(f: CloudFake, a: FakeAction): unknown {
  const st = f.actionStatus(a);
  return {
    id: a.id,
    status: st === 'failed' ? 'errored' : st === 'done' ? 'completed' : 'in-progress',
    type: TYPE_OF[a.kind as keyof typeof TYPE_OF],
    started_at: '2020-11-14T16:29:21Z',
    completed_at: st === 'running' ? null : '2020-11-14T16:30:06Z',
    resource_id: Number(DO_DROPLET),
    resource_type: 'droplet',
    region_slug: 'nyc3',
  };
}

/** DigitalOcean has no moving status: a droplet powering off stays "active", locked, until the action completes. */
function dropletJson(f: CloudFake): unknown {
  const s = f.machine.state();
  const status = s === 'on' || s === 'stopping' ? 'active' : 'off';
  return { id: Number(DO_DROPLET), name: 'node-7', status, locked: s === 'starting' || s === 'stopping' };
}

export function digitaloceanFake(o: CloudFakeOptions = {}, tls?: { key: string; cert: string }): CloudFake {
  const limit = { 'ratelimit-limit': '5000', 'ratelimit-remaining': '0', 'ratelimit-reset': resetIn60(), 'Retry-After': '1' };
  return new CloudFake(
    {
      unauthorized: error(401, 'unauthorized', 'Unable to authenticate you.'),
      rateLimited: error(429, 'too_many_requests', 'API rate limit exceeded.', limit),
      notFound: () => notFound,
      methodNotAllowed: error(405, 'method_not_allowed', 'Method not allowed.'),
    },
    (f) => [
      { method: 'GET', path: /^\/v2\/droplets\/(\d+)$/, handle: (m) => (m[1] === DO_DROPLET ? { status: 200, json: { droplet: dropletJson(f) } } : notFound) },
      {
        method: 'POST',
        path: /^\/v2\/droplets\/(\d+)\/actions$/,
        handle: (m, req) => {
          if (m[1] !== DO_DROPLET) return notFound;
          const body = jsonBody(req);
          if (body === undefined) return error(400, 'bad_request', 'error parsing request body');
          const type = isObject(body) && Object.keys(body).length === 1 && typeof body.type === 'string' && Object.hasOwn(TYPES, body.type) ? TYPES[body.type as keyof typeof TYPES] : null;
          if (type === null) return error(422, 'unprocessable_entity', 'request payload validation failed');
          if (f.takeBusy()) return error(422, 'unprocessable_entity', 'Droplet already has a pending event.');
          return { status: 201, json: { action: actionJson(f, f.act(type)) } };
        },
      },
      {
        method: 'GET',
        path: /^\/v2\/actions\/(\d+)$/,
        handle: (m) => {
          const a = f.actions.get(Number(m[1]));
          return a ? { status: 200, json: { action: actionJson(f, a) } } : notFound;
        },
      },
    ],
    o,
    tls,
  );
}
