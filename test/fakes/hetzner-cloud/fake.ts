// A FAKE Hetzner Cloud API (no emulator exists on any registry), built from
// the published reference at https://docs.hetzner.cloud/ ("Servers": Get a
// Server, Power on/off, Reset; "Actions": Get an Action; "Errors"; "Rate
// Limiting") and its response samples: the {"server": {...}} and
// {"action": {...}} envelopes, server status words, 201 for a started action,
// {"error": {"code", "message", "details"}} with the documented codes
// (unauthorized, not_found, locked, rate_limit_exceeded, invalid_input) and
// RateLimit-Limit/-Remaining/-Reset on a 429. The power requests take no body
// in the reference, so one with a body is refused (invalid_input). Strict
// about the Bearer token on every request; a server with an action running is
// locked (423), as the reference's "locked" code describes.

import type { FakeReply } from '../api-server.ts';
import { CloudFake, resetIn60, type CloudFakeOptions, type FakeAction } from '../cloud/fake.ts';

export const HETZNER_SERVER = '4711';

const error = (status: number, code: string, message: string, headers?: Record<string, string>): FakeReply => ({ status, json: { error: { code, message, details: {} } }, ...(headers ? { headers } : {}) });

const STATUS = { on: 'running', off: 'off', starting: 'starting', stopping: 'stopping' } as const;
const COMMAND = { on: 'start_server', off: 'stop_server', reset: 'reset_server' } as const;

function actionJson(f: CloudFake, a: FakeAction): unknown {
  const st = f.actionStatus(a);
  return {
    id: a.id,
    command: COMMAND[a.kind as keyof typeof COMMAND],
    status: st === 'failed' ? 'error' : st === 'done' ? 'success' : 'running',
    progress: st === 'running' ? 0 : 100,
    started: '2016-01-30T23:50:00+00:00',
    finished: st === 'running' ? null : '2016-01-30T23:50:01+00:00',
    resources: [{ id: Number(HETZNER_SERVER), type: 'server' }],
    error: st === 'failed' ? { code: 'action_failed', message: 'Action failed' } : null,
  };
}

const VERB = { poweron: 'on', poweroff: 'off', reset: 'reset' } as const;

export function hetznerFake(o: CloudFakeOptions = {}, tls?: { key: string; cert: string }): CloudFake {
  return new CloudFake(
    {
      unauthorized: error(401, 'unauthorized', 'unable to authenticate'),
      rateLimited: error(429, 'rate_limit_exceeded', 'limit of 3600 requests per hour reached', { 'RateLimit-Limit': '3600', 'RateLimit-Remaining': '0', 'RateLimit-Reset': resetIn60() }),
      notFound: (path) => error(404, 'not_found', `no route for ${path.slice(0, 80)}`),
      methodNotAllowed: error(405, 'method_not_allowed', 'method not allowed'),
    },
    (f) => {
      const readAction = (m: RegExpExecArray): FakeReply => {
        const a = f.actions.get(Number(m[1]));
        return a ? { status: 200, json: { action: actionJson(f, a) } } : error(404, 'not_found', `action with ID '${m[1]}' not found`);
      };
      return [
        {
          method: 'GET',
          path: /^\/v1\/servers\/(\d+)$/,
          handle: (m) => (m[1] === HETZNER_SERVER ? { status: 200, json: { server: { id: Number(HETZNER_SERVER), name: 'node-7', status: STATUS[f.machine.state()] } } } : error(404, 'not_found', `server with ID '${m[1]}' not found`)),
        },
        {
          method: 'POST',
          path: /^\/v1\/servers\/(\d+)\/actions\/(poweron|poweroff|reset)$/,
          handle: (m, req) => {
            if (m[1] !== HETZNER_SERVER) return error(404, 'not_found', `server with ID '${m[1]}' not found`);
            if (req.body.length > 0) return error(400, 'invalid_input', 'this action takes no request body');
            if (f.takeBusy()) return error(423, 'locked', 'server is locked');
            return { status: 201, json: { action: actionJson(f, f.act(VERB[m[2] as keyof typeof VERB])) } };
          },
        },
        { method: 'GET', path: /^\/v1\/actions\/(\d+)$/, handle: readAction },
        { method: 'GET', path: /^\/v1\/servers\/actions\/(\d+)$/, handle: readAction },
      ];
    },
    o,
    tls,
  );
}
