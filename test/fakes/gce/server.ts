// A FAKE Google Compute Engine v1 API and OAuth token endpoint, built from the
// published references: instances.get/start/stop/reset/resume
// (cloud.google.com/compute/docs/reference/rest/v1/instances, status
// PROVISIONING|STAGING|RUNNING|STOPPING|STOPPED|SUSPENDING|SUSPENDED|REPAIRING|
// TERMINATED), the zone Operation they return and zoneOperations.get/wait
// (status PENDING|RUNNING|DONE, error.errors[{code,message}]), Google's error
// document {"error":{"code","message","errors":[{"reason"}],"status"}} (401
// authError/UNAUTHENTICATED, 403 rateLimitExceeded, 404 notFound), and the
// service-account flow of "Using OAuth 2.0 for Server to Server Applications"
// (POST token_uri, grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer; an
// RS256 JWT with iss, scope, aud, iat, exp; 400 invalid_grant "Invalid JWT
// Signature."). The JWT signature is checked against the public half of a key
// pair the test generated. Strict: wrong method 405, unknown path 404, a body on
// an action 400, every request logged.

import { randomBytes, verify, type KeyObject } from 'node:crypto';
import { ApiServer, type FakeReply, type FakeRequest } from '../api-server.ts';
import { PowerMachine } from '../power-machine.ts';

export interface FakeGceOptions {
  project: string;
  zone: string;
  instance: string;
  initial: 'on' | 'off';
  delayMs?: number;
  /** A token accepted as is (the --token-file case). */
  staticToken?: string;
  /** The service account whose JWTs the token endpoint accepts. */
  account?: { email: string; publicKey: KeyObject };
}

interface Op {
  verb: string;
  want: 'on' | 'off';
  error?: { code: string; message: string };
}

const STATUS = { on: 'RUNNING', off: 'TERMINATED', starting: 'STAGING', stopping: 'STOPPING' } as const;

export const googleErr = (code: number, status: string, message: string, reason: string, domain = 'global'): FakeReply => ({
  status: code,
  json: { error: { code, message, errors: [{ message, domain, reason }], status } },
});

const UNAUTH = googleErr(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'authError');

export class FakeGce {
  readonly machine: PowerMachine;
  readonly server: ApiServer;
  /** Answer the next N authenticated API calls with 403 rateLimitExceeded. */
  throttle = 0;
  /** The next operation ends DONE with this error and changes nothing. */
  failNext: { code: string; message: string } | null = null;
  /** An off machine reads SUSPENDED: start is refused, resume powers it on. */
  suspended = false;
  readonly actions: string[] = [];
  readonly tokensIssued: string[] = [];
  private readonly ops = new Map<string, Op>();
  private readonly valid = new Set<string>();

  constructor(private readonly o: FakeGceOptions) {
    this.machine = new PowerMachine(o.initial, o.delayMs ?? 0);
    this.server = new ApiServer((r) => this.handle(r));
    if (o.staticToken) this.valid.add(o.staticToken);
  }

  start(): Promise<number> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async handle(r: FakeRequest): Promise<FakeReply> {
    if (r.path === '/token') return r.method === 'POST' ? this.token(r) : { status: 405, json: { error: 'invalid_request', error_description: 'POST only' } };
    const base = `/compute/v1/projects/${this.o.project}/zones/${this.o.zone}`;
    const inst = new RegExp(`^${base}/instances/([^/]+)(?:/(start|stop|reset|resume))?$`).exec(r.path);
    const oper = new RegExp(`^${base}/operations/([^/]+)(/wait)?$`).exec(r.path);
    if (!inst && !oper) return googleErr(404, 'NOT_FOUND', `The requested URL ${r.path} was not found on this server.`, 'notFound');
    const bearer = /^Bearer (\S+)$/.exec(String(r.headers.authorization ?? ''))?.[1];
    if (bearer === undefined || !this.valid.has(bearer)) return UNAUTH;
    if (this.throttle > 0) {
      this.throttle--;
      return googleErr(403, 'PERMISSION_DENIED', 'Rate Limit Exceeded', 'rateLimitExceeded', 'usageLimits');
    }
    if (inst) {
      const [, name, verb] = inst;
      const wantMethod = verb ? 'POST' : 'GET';
      if (r.method !== wantMethod) return { ...googleErr(405, 'METHOD_NOT_ALLOWED', `${r.method} is not allowed here`, 'httpMethodNotAllowed'), headers: { Allow: wantMethod } };
      if (name !== this.o.instance) return googleErr(404, 'NOT_FOUND', `The resource 'projects/${this.o.project}/zones/${this.o.zone}/instances/${name}' was not found`, 'notFound');
      if (!verb) return { status: 200, json: { kind: 'compute#instance', id: '4242', name, zone: `https://www.googleapis.com${base}`, status: this.suspended && this.machine.state() === 'off' ? 'SUSPENDED' : STATUS[this.machine.state()] } };
      if (r.body.length > 0) return googleErr(400, 'INVALID_ARGUMENT', 'The request body must be empty.', 'invalid');
      if (this.suspended && verb === 'start') return googleErr(400, 'FAILED_PRECONDITION', `The instance '${name}' is suspended: use resume.`, 'badRequest');
      if (verb === 'resume') this.suspended = false;
      return { status: 200, json: this.act(verb) };
    }
    const [, opName, wait] = oper as RegExpExecArray;
    if (r.method !== (wait ? 'POST' : 'GET')) return { ...googleErr(405, 'METHOD_NOT_ALLOWED', `${r.method} is not allowed here`, 'httpMethodNotAllowed'), headers: { Allow: wait ? 'POST' : 'GET' } };
    const op = this.ops.get(opName ?? '');
    if (!op) return googleErr(404, 'NOT_FOUND', `The resource 'projects/${this.o.project}/zones/${this.o.zone}/operations/${opName}' was not found`, 'notFound');
    // zoneOperations.wait holds the request until DONE (up to two minutes on the real service; 1.5 s here).
    const until = performance.now() + (wait ? 1500 : 0);
    while (!this.done(op) && performance.now() < until) await new Promise((res) => setTimeout(res, 10));
    return { status: 200, json: this.opJson(opName ?? '', op) };
  }

  private act(verb: string): unknown {
    const name = `operation-${Date.now()}-${randomBytes(4).toString('hex')}`;
    const op: Op = { verb, want: verb === 'stop' ? 'off' : 'on' };
    if (this.failNext) {
      op.error = this.failNext;
      this.failNext = null;
    } else {
      this.actions.push(verb);
      if (verb === 'stop') this.machine.off();
      else if (verb === 'reset') this.machine.reset();
      else this.machine.on();
    }
    this.ops.set(name, op);
    return this.opJson(name, op);
  }

  private done(op: Op): boolean {
    return op.error !== undefined || this.machine.settled() === op.want;
  }

  private opJson(name: string, op: Op): unknown {
    const base = `https://www.googleapis.com/compute/v1/projects/${this.o.project}/zones/${this.o.zone}`;
    const done = this.done(op);
    return {
      kind: 'compute#operation',
      id: '1234567890',
      name,
      zone: base,
      operationType: op.verb,
      targetLink: `${base}/instances/${this.o.instance}`,
      status: done ? 'DONE' : 'RUNNING',
      progress: done ? 100 : 0,
      selfLink: `${base}/operations/${name}`,
      ...(done && op.error ? { error: { errors: [op.error] }, httpErrorStatusCode: 400, httpErrorMessage: 'BAD REQUEST' } : {}),
    };
  }

  private token(r: FakeRequest): FakeReply {
    const bad = (error: string, error_description: string, status = 400): FakeReply => ({ status, json: { error, error_description } });
    if (!String(r.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return bad('invalid_request', 'Invalid Content-Type');
    const form = new URLSearchParams(r.body.toString('utf8'));
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return bad('unsupported_grant_type', 'Invalid grant_type');
    const acct = this.o.account;
    const parts = (form.get('assertion') ?? '').split('.');
    if (!acct || parts.length !== 3) return bad('invalid_grant', 'Invalid JWT: malformed');
    const [h, c, s] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>;
    } catch {
      return bad('invalid_grant', 'Invalid JWT: not JSON');
    }
    if (header.alg !== 'RS256') return bad('invalid_grant', 'Invalid JWT: alg must be RS256');
    if (!verify('sha256', Buffer.from(`${h}.${c}`), acct.publicKey, Buffer.from(s, 'base64url'))) return bad('invalid_grant', 'Invalid JWT Signature.');
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== acct.email) return bad('invalid_grant', 'Invalid JWT: iss is not the service account', 400);
    if (claims.aud !== `${this.server.url}/token`) return bad('invalid_grant', 'Invalid JWT: aud must be the token endpoint');
    if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes('https://www.googleapis.com/auth/compute')) return bad('invalid_scope', 'compute scope missing');
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp <= now || claims.iat > now + 60 || claims.exp - claims.iat > 3600) return bad('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    const token = `ya29.fake-${randomBytes(16).toString('hex')}`;
    this.valid.add(token);
    this.tokensIssued.push(token);
    return { status: 200, json: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
  }
}
