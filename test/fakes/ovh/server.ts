// A FAKE OVHcloud API v1 (eu.api.ovh.com/1.0), built from the published
// "First steps with the OVHcloud API" guide and API console reference:
// GET /auth/time (the server's Unix time, unauthenticated); signed calls with
// X-Ovh-Application, X-Ovh-Consumer, X-Ovh-Timestamp and X-Ovh-Signature =
// "$1$" + SHA1_HEX(AS+"+"+CK+"+"+METHOD+"+"+URL+"+"+BODY+"+"+TSTAMP);
// POST /dedicated/server/{serviceName}/reboot -> a dedicated.server.Task
// {taskId, function: "hardReboot", status: init|todo|doing|done|customerError|
// ovhError|ovhCustomerError|cancelled, comment, startDate, doneDate, lastUpdate};
// GET /dedicated/server/{serviceName}/task/{taskId}; and the error bodies OVH
// is seen to answer (ovh/php-ovh issues #56, #62, #80):
// {"errorCode":"INVALID_SIGNATURE","httpCode":"400 Bad Request","message":"Invalid signature"},
// {"errorCode":"INVALID_CREDENTIAL","httpCode":"403 Forbidden","message":"This credential is not valid"},
// {"message":"The requested object (serviceName = ...) does not exist"} (404).
// Its clock can be skewed from ours, and it refuses a timestamp out of time,
// so the client must sign with the server's clock. Strict: unknown paths 404,
// wrong methods 405, every request logged.

import { createHash } from 'node:crypto';
import { ApiServer, type FakeReply, type FakeRequest } from '../api-server.ts';
import { PowerMachine } from '../power-machine.ts';

export interface FakeOvhOptions {
  appKey: string;
  appSecret: string;
  consumerKey: string;
  server: string;
  delayMs?: number;
  /** Seconds the server's clock is ahead of ours. */
  skewS?: number;
}

interface Task {
  id: number;
  fail: boolean;
  started: string;
}

const ovhErr = (status: number, httpCode: string, errorCode: string | undefined, message: string): FakeReply => ({ status, json: { ...(errorCode ? { errorCode } : {}), httpCode, message } });

export class FakeOvh {
  readonly machine: PowerMachine;
  readonly server: ApiServer;
  /** Answer the next N signed calls with 429. */
  throttle = 0;
  /** The next reboot task ends in ovhError. */
  failNext = false;
  readonly actions: string[] = [];
  private readonly tasks = new Map<number, Task>();
  private nextId = 4_200_000;

  constructor(private readonly o: FakeOvhOptions) {
    this.machine = new PowerMachine('on', o.delayMs ?? 0);
    this.server = new ApiServer((r) => this.handle(r));
  }

  /** The endpoint a client is given: the API lives under /1.0 as on the real service. */
  get endpoint(): string {
    return `${this.server.url}/1.0`;
  }

  start(): Promise<number> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private now(): number {
    return Math.floor(Date.now() / 1000) + (this.o.skewS ?? 0);
  }

  private handle(r: FakeRequest): FakeReply {
    if (!r.path.startsWith('/1.0/')) return ovhErr(404, '404 Not Found', undefined, 'Got an invalid (or empty) URL');
    const path = r.path.slice('/1.0'.length);
    if (path === '/auth/time') return r.method === 'GET' ? { status: 200, json: this.now() } : ovhErr(405, '405 Method Not Allowed', undefined, 'Method not allowed');
    const reboot = /^\/dedicated\/server\/([^/]+)\/reboot$/.exec(path);
    const task = /^\/dedicated\/server\/([^/]+)\/task\/(\d+)$/.exec(path);
    if (!reboot && !task) return ovhErr(404, '404 Not Found', undefined, 'Got an invalid (or empty) URL');
    const auth = this.checkSignature(r);
    if (auth) return auth;
    if (this.throttle > 0) {
      this.throttle--;
      return ovhErr(429, '429 Too Many Requests', undefined, 'Too many requests');
    }
    const name = decodeURIComponent((reboot ?? task)?.[1] ?? '');
    if (name !== this.o.server) return ovhErr(404, '404 Not Found', undefined, `The requested object (serviceName = ${name}) does not exist`);
    if (reboot) {
      if (r.method !== 'POST') return ovhErr(405, '405 Method Not Allowed', undefined, 'Method not allowed');
      const t: Task = { id: this.nextId++, fail: this.failNext, started: new Date().toISOString() };
      this.failNext = false;
      this.tasks.set(t.id, t);
      if (!t.fail) {
        this.actions.push('hardReboot');
        this.machine.reset();
      }
      return { status: 200, json: this.taskJson(t, 'init') };
    }
    if (r.method !== 'GET') return ovhErr(405, '405 Method Not Allowed', undefined, 'Method not allowed');
    const t = this.tasks.get(Number(task?.[2]));
    if (!t) return ovhErr(404, '404 Not Found', undefined, `The requested object (taskId = ${task?.[2]}) does not exist`);
    return { status: 200, json: this.taskJson(t, t.fail ? 'ovhError' : this.machine.settled() === 'on' ? 'done' : 'doing') };
  }

  private taskJson(t: Task, status: string): unknown {
    return { taskId: t.id, function: 'hardReboot', status, comment: t.fail ? 'Reboot failed: the server did not answer the power controller' : 'Reboot asked', startDate: t.started, doneDate: status === 'done' ? new Date().toISOString() : null, lastUpdate: new Date().toISOString() };
  }

  /** The signature as the guide defines it, over the URL this server is reached by. */
  private checkSignature(r: FakeRequest): FakeReply | null {
    const h = (n: string) => (typeof r.headers[n] === 'string' ? (r.headers[n] as string) : '');
    if (h('x-ovh-application') !== this.o.appKey) return ovhErr(403, '403 Forbidden', 'INVALID_KEY', 'Invalid application key');
    if (h('x-ovh-consumer') !== this.o.consumerKey) return ovhErr(403, '403 Forbidden', 'INVALID_CREDENTIAL', 'This credential is not valid');
    const ts = Number(h('x-ovh-timestamp'));
    if (!Number.isInteger(ts) || Math.abs(ts - this.now()) > 30) return ovhErr(400, '400 Bad Request', 'QUERY_TIME_OUT', 'Query out of time');
    const url = `${this.server.url}${r.path}${r.query.size ? `?${r.query.toString()}` : ''}`;
    const want = '$1$' + createHash('sha1').update(`${this.o.appSecret}+${this.o.consumerKey}+${r.method}+${url}+${r.body.toString('utf8')}+${ts}`).digest('hex');
    if (h('x-ovh-signature') !== want) return ovhErr(400, '400 Bad Request', 'INVALID_SIGNATURE', 'Invalid signature');
    return null;
  }
}
