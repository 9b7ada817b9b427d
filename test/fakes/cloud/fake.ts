// What the four VPS provider fakes share: a loopback ApiServer whose every
// request is checked for `Authorization: Bearer <token>` before anything else
// (a wrong or missing one gets the provider's own 401 body), a small router
// (an unknown path is the provider's 404, a known path with the wrong method
// 405), faults a test switches on (rate limit, busy/locked, a failing action),
// and a PowerMachine behind it whose power lags the API by `delayMs`. The
// provider semantics (paths, envelopes, status words) live in each fake.

import { ApiServer, type FakeReply, type FakeRequest } from '../api-server.ts';
import { PowerMachine } from '../power-machine.ts';
import type { ChannelOptions } from '../../../agent/channels/types.ts';

export interface Faults {
  /** The next N requests of any kind get the provider's 429. */
  rateLimited: number;
  /** The next N power requests get the provider's busy/locked answer. */
  busy: number;
  /** The next power request's action ends in error and the machine is left alone. */
  actionError: boolean;
}

export interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handle(m: RegExpExecArray, req: FakeRequest): FakeReply;
}

export interface ProviderShape {
  unauthorized: FakeReply;
  rateLimited: FakeReply;
  notFound(path: string): FakeReply;
  methodNotAllowed: FakeReply;
}

export interface CloudFakeOptions {
  initial?: 'on' | 'off';
  delayMs?: number;
  token?: string;
}

/** Distinctive, so a test can look for it in everything the channel printed. */
export const FAKE_TOKEN = 'tok-Zq7fake9SECRET-cloud-4411';

/** An action object as the fakes keep it: it succeeds when the machine has settled, unless it was made to fail. */
export interface FakeAction {
  id: number;
  kind: string;
  failed: boolean;
}

export class CloudFake {
  readonly machine: PowerMachine;
  readonly server: ApiServer;
  readonly faults: Faults = { rateLimited: 0, busy: 0, actionError: false };
  readonly token: string;
  readonly actions = new Map<number, FakeAction>();
  private nextAction = 7001;

  constructor(
    private readonly shape: ProviderShape,
    routes: (f: CloudFake) => Route[],
    o: CloudFakeOptions = {},
    tls?: { key: string; cert: string },
  ) {
    this.machine = new PowerMachine(o.initial ?? 'on', o.delayMs ?? 0);
    this.token = o.token ?? FAKE_TOKEN;
    const table = routes(this);
    this.server = new ApiServer((req) => this.serve(table, req), tls ? { tls } : {});
  }

  async start(): Promise<string> {
    await this.server.start();
    return this.server.url;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** Whether this power request must be refused as busy: a fault, or the machine still moving from the last one. */
  takeBusy(): boolean {
    if (this.faults.busy > 0) {
      this.faults.busy--;
      return true;
    }
    return this.machine.settled() === null;
  }

  /** Starts a power action on the machine (or, with the actionError fault, an action that will fail). */
  act(kind: 'on' | 'off' | 'reset'): FakeAction {
    const failed = this.faults.actionError;
    this.faults.actionError = false;
    if (!failed) this.machine[kind]();
    const a = { id: this.nextAction++, kind, failed };
    this.actions.set(a.id, a);
    return a;
  }

  actionStatus(a: FakeAction): 'running' | 'done' | 'failed' {
    if (a.failed) return 'failed';
    return this.machine.settled() === null ? 'running' : 'done';
  }

  /** The requests that reached the provider's logic (authenticated, not rate-limited) for a method and path prefix. */
  count(method: string, pathPrefix = ''): number {
    return this.server.log.filter((r) => r.method === method && r.path.startsWith(pathPrefix)).length;
  }

  private serve(table: Route[], req: FakeRequest): FakeReply {
    if (req.headers.authorization !== `Bearer ${this.token}`) return this.shape.unauthorized;
    if (this.faults.rateLimited > 0) {
      this.faults.rateLimited--;
      return this.shape.rateLimited;
    }
    let known = false;
    for (const r of table) {
      const m = r.path.exec(req.path);
      if (!m) continue;
      known = true;
      if (r.method === req.method) return r.handle(m, req);
    }
    return known ? this.shape.methodNotAllowed : this.shape.notFound(req.path);
  }
}

/** The options that reach a fake at `endpoint` (its URL and API path) for the machine `idParams` names. */
export const cloudOpts = (endpoint: string, idParams: Record<string, string>, token = FAKE_TOKEN): ChannelOptions => ({
  params: { endpoint, ...idParams },
  secrets: { 'token-file': token },
  insecureHttp: true,
});

/** A reset time a minute from now, as the RateLimit-Reset headers carry it. */
export const resetIn60 = (): string => String(Math.floor(Date.now() / 1000) + 60);
