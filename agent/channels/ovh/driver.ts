// The OVH dedicated-server driver: POST /dedicated/server/{name}/reboot (a hard
// reboot) returns a task, followed inside the request to done (GET
// .../task/{id}); a task ending in error or cancelled is an error. Every call is
// signed with the server's clock, read once from GET /auth/time and carried
// forward as an offset from ours. OVH cannot report the power state: the
// channel is unverifiable. Once the reboot was accepted, trouble following its
// task is STATE, never retryable: the ladder must not reboot a second time.

import { cerr, cok, remainingMs, RETRYABLE, type ChannelDescription, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import { apiRequest, type ApiTarget } from '../http/api.ts';
import { ovhError, parseTask, parseTime } from './parse.ts';
import { ovhSignature } from './sign.ts';

export interface OvhConfig {
  target: ApiTarget;
  /** The endpoint as given (default port elided): the URL in the signature is this plus the path. */
  urlBase: string;
  server: string;
  appKey: string;
  appSecret: string;
  consumerKey: string;
}

const MAX_POLLS = 1000;
const POLL_MS = 250;

export class OvhDriver implements PowerDriver {
  /** Server time minus our time, in seconds; null until read. */
  private skew: number | null = null;

  constructor(private readonly c: OvhConfig) {}

  describe(): ChannelDescription {
    return { channel: 'ovh', target: `${this.c.urlBase} ${this.c.server}`, actions: ['reset'], verifiable: false };
  }

  async status(): Promise<ChannelResult<Observed>> {
    return cerr('UNSUPPORTED', 'OVH cannot report the power state of a dedicated server');
  }

  async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    if (action !== 'reset') return cerr('UNSUPPORTED', `OVH cannot ${action} a dedicated server: it reboots only`);
    const base = `/dedicated/server/${encodeURIComponent(this.c.server)}`;
    const r = await this.signed('POST', `${base}/reboot`, d);
    if (!r.ok) return r;
    let task = parseTask(r.value);
    for (let i = 0; task.ok && task.value.state === 'pending'; i++) {
      const id = task.value.id;
      if (i >= MAX_POLLS || remainingMs(d) <= POLL_MS) return cerr('STATE', `reboot task ${id} was still ${task.value.status} at the deadline`);
      await new Promise((res) => setTimeout(res, POLL_MS));
      const t = await this.signed('GET', `${base}/task/${id}`, d);
      if (!t.ok) return RETRYABLE.has(t.error.code) ? cerr('STATE', `reboot task ${id}: lost track of it (${t.error.message})`) : t;
      task = parseTask(t.value);
    }
    if (!task.ok) return task;
    if (task.value.state === 'failed') return cerr('STATE', `reboot task ${task.value.id} ended ${task.value.status}${task.value.comment ? `: ${task.value.comment}` : ''}`);
    return cok(undefined);
  }

  async close(): Promise<void> {}

  private async signed(method: 'GET' | 'POST', path: string, d: Deadline): Promise<ChannelResult<unknown>> {
    if (this.skew === null) {
      const t = await apiRequest(this.c.target, 'GET', '/auth/time', {}, undefined, d);
      if (!t.ok) return t;
      if (t.value.status !== 200) return { ok: false, error: ovhError(t.value.status, t.value.json, 'GET /auth/time') };
      const server = parseTime(t.value.json);
      if (!server.ok) return server;
      this.skew = server.value - Math.floor(Date.now() / 1000);
    }
    const timestamp = Math.floor(Date.now() / 1000) + this.skew;
    const headers = {
      'X-Ovh-Application': this.c.appKey,
      'X-Ovh-Consumer': this.c.consumerKey,
      'X-Ovh-Timestamp': String(timestamp),
      'X-Ovh-Signature': ovhSignature({ appSecret: this.c.appSecret, consumerKey: this.c.consumerKey, method, url: this.c.urlBase + path, body: '', timestamp }),
    };
    const r = await apiRequest(this.c.target, method, path, headers, undefined, d);
    if (!r.ok) return r;
    if (r.value.status < 200 || r.value.status >= 300) {
      // Out of time: the clocks drifted apart since /auth/time was read; read it again on the retry.
      if ((r.value.json as { errorCode?: unknown } | undefined)?.errorCode === 'QUERY_TIME_OUT') this.skew = null;
      return { ok: false, error: ovhError(r.value.status, r.value.json, `${method} ${path}`) };
    }
    return cok(r.value.json);
  }
}
