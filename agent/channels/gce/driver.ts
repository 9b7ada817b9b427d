// The Compute Engine driver: GET the instance for its status; POST start, stop,
// reset (or resume, for an instance last seen SUSPENDED) and follow the zone
// Operation it returns to DONE inside the one request (zoneOperations.wait,
// which long-polls server-side), so an operation that failed is an error. Once
// the action was accepted, a failure while following it is STATE, never a
// retryable code: the ladder must not send the action a second time.

import { cerr, cok, remainingMs, RETRYABLE, type ChannelDescription, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import { apiRequest, type ApiTarget } from '../http/api.ts';
import { googleError, parseInstance, parseOperation, type GceStatus, type Operation } from './parse.ts';
import type { Tokens } from './auth.ts';

export interface GceConfig {
  target: ApiTarget;
  project: string;
  zone: string;
  instance: string;
}

const MAX_POLLS = 1000;
const POLL_GAP_MS = 100;

export class GceDriver implements PowerDriver {
  private last: GceStatus | null = null;

  constructor(
    private readonly c: GceConfig,
    private readonly tokens: Tokens,
  ) {}

  private get zonePath(): string {
    return `/compute/v1/projects/${encodeURIComponent(this.c.project)}/zones/${encodeURIComponent(this.c.zone)}`;
  }

  describe(): ChannelDescription {
    return { channel: 'gce', target: `${this.c.target.origin} ${this.c.project}/${this.c.zone}/${this.c.instance}`, actions: ['on', 'off', 'reset'], verifiable: true };
  }

  async status(d: Deadline): Promise<ChannelResult<Observed>> {
    const r = await this.call('GET', `/instances/${encodeURIComponent(this.c.instance)}`, d);
    if (!r.ok) return r;
    const s = parseInstance(r.value);
    if (!s.ok) return s;
    this.last = s.value.status;
    return cok(s.value.observed);
  }

  async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    if (action === 'cycle') return cerr('UNSUPPORTED', 'GCE has no power cycle: the ladder stops and starts');
    const verb = action === 'off' ? 'stop' : action === 'reset' ? 'reset' : this.last === 'SUSPENDED' ? 'resume' : 'start';
    const r = await this.call('POST', `/instances/${encodeURIComponent(this.c.instance)}/${verb}`, d);
    if (!r.ok) return r;
    const op = parseOperation(r.value);
    if (!op.ok) return op;
    return this.follow(op.value, verb, d);
  }

  async close(): Promise<void> {}

  private async follow(first: Operation, verb: string, d: Deadline): Promise<ChannelResult<void>> {
    let op = first;
    for (let i = 0; !op.done; i++) {
      if (i >= MAX_POLLS || remainingMs(d) <= 0) return cerr('STATE', `${verb} operation ${op.name} was not DONE by the deadline`);
      const r = await this.call('POST', `/operations/${encodeURIComponent(op.name)}/wait`, d);
      if (!r.ok) return r.error.code === 'AUTH' || !RETRYABLE.has(r.error.code) ? r : cerr('STATE', `${verb} operation ${op.name}: lost track of it (${r.error.message})`);
      const next = parseOperation(r.value);
      if (!next.ok) return next;
      op = next.value;
      if (!op.done) await new Promise((res) => setTimeout(res, Math.min(POLL_GAP_MS, remainingMs(d))));
    }
    return op.error ? cerr('STATE', `${verb} operation ${op.name} failed: ${op.error}`) : cok(undefined);
  }

  private async call(method: 'GET' | 'POST', sub: string, d: Deadline): Promise<ChannelResult<unknown>> {
    const token = await this.tokens.get(d);
    if (!token.ok) return token;
    const r = await apiRequest(this.c.target, method, this.zonePath + sub, { Authorization: `Bearer ${token.value}` }, undefined, d);
    if (!r.ok) return r;
    if (r.value.status === 401) this.tokens.invalidate();
    if (r.value.status < 200 || r.value.status >= 300) return { ok: false, error: googleError(r.value.status, r.value.json, `${method} ${sub}`) };
    return cok(r.value.json);
  }
}
