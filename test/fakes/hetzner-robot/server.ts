// A FAKE Hetzner Robot webservice (robot-ws.your-server.de), built from the
// published "Robot Webservice" documentation (robot.hetzner.com/doc/webservice/en.html):
// HTTP basic auth (401 when it fails), form-encoded POST parameters, JSON
// replies; GET /reset/{server-number} -> {"reset": {"server_ip",
// "server_number", "type": ["sw","hw","man"], "operating_status"}}, POST
// /reset/{server-number} type=hw -> {"reset": {"server_ip", "type": "hw"}},
// POST /wol/{server-number} -> {"wol": {"server_ip", "server_number"}}; and the
// documented error document {"error": {"status", "code", "message"}} with
// UNAUTHORIZED, SERVER_NOT_FOUND, RESET_NOT_AVAILABLE, RESET_MANUAL_ACTIVE,
// INVALID_INPUT, and RATE_LIMIT_EXCEEDED (HTTP 403, with max_request and
// interval). Strict: unknown paths 404, wrong methods 405, every request logged.

import { ApiServer, type FakeReply, type FakeRequest } from '../api-server.ts';
import { PowerMachine } from '../power-machine.ts';

export interface FakeRobotOptions {
  user: string;
  password: string;
  server: number;
  types?: string[];
  delayMs?: number;
}

export const robotErr = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): FakeReply => ({ status, json: { error: { status, code, message, ...extra } } });

export class FakeRobot {
  readonly machine: PowerMachine;
  readonly server: ApiServer;
  /** Answer the next N authenticated calls with RATE_LIMIT_EXCEEDED. */
  throttle = 0;
  /** A manual reset is pending: POST /reset answers 409 RESET_MANUAL_ACTIVE. */
  manualActive = false;
  readonly actions: string[] = [];

  constructor(private readonly o: FakeRobotOptions) {
    this.machine = new PowerMachine('on', o.delayMs ?? 0);
    this.server = new ApiServer((r) => this.handle(r));
  }

  start(): Promise<number> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private info(): Record<string, unknown> {
    return { server_ip: '123.123.123.123', server_ipv6_net: '2a01:4f8:111:4221::', server_number: this.o.server };
  }

  private handle(r: FakeRequest): FakeReply {
    const m = /^\/(reset|wol)\/(\d+)$/.exec(r.path);
    if (!m) return robotErr(404, 'NOT_FOUND', 'Not found');
    const expect = `Basic ${Buffer.from(`${this.o.user}:${this.o.password}`).toString('base64')}`;
    if (r.headers.authorization !== expect) return robotErr(401, 'UNAUTHORIZED', 'Unauthorized');
    if (r.method !== 'GET' && r.method !== 'POST') return { ...robotErr(405, 'METHOD_NOT_ALLOWED', 'Method not allowed'), headers: { Allow: 'GET, POST' } };
    if (this.throttle > 0) {
      this.throttle--;
      return robotErr(403, 'RATE_LIMIT_EXCEEDED', 'Rate limit exceeded', { max_request: 50, interval: 3600 });
    }
    const [, kind, num] = m;
    if (Number(num) !== this.o.server) return robotErr(404, 'SERVER_NOT_FOUND', 'Server not found');
    const types = this.o.types ?? ['sw', 'hw', 'man'];
    if (kind === 'wol') {
      if (r.method === 'POST') {
        this.actions.push('wol');
        this.machine.on();
      }
      return { status: 200, json: { wol: this.info() } };
    }
    if (r.method === 'GET') return { status: 200, json: { reset: { ...this.info(), type: types, operating_status: 'not supported' } } };
    if (!String(r.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return robotErr(400, 'INVALID_INPUT', 'invalid input', { missing: ['type'], invalid: null });
    const type = new URLSearchParams(r.body.toString('utf8')).get('type');
    if (type === null) return robotErr(400, 'INVALID_INPUT', 'invalid input', { missing: ['type'], invalid: null });
    if (!['sw', 'hw', 'man', 'power', 'power_long'].includes(type)) return robotErr(400, 'INVALID_INPUT', 'invalid input', { missing: null, invalid: ['type'] });
    if (!types.includes(type)) return robotErr(404, 'RESET_NOT_AVAILABLE', 'The server has no reset option');
    if (this.manualActive) return robotErr(409, 'RESET_MANUAL_ACTIVE', 'There is already a running manual reset');
    this.actions.push(`reset ${type}`);
    this.machine.reset();
    return { status: 200, json: { reset: { server_ip: '123.123.123.123', type } } };
  }
}
