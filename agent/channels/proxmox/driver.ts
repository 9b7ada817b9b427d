// The Proxmox VE PowerDriver. One status read is one GET of status/current;
// one request is one POST of status/start|stop|reset, whose task (UPID) is
// polled to its end within the deadline, a failed task being an error. Where
// the VM lives is looked up in /cluster/resources when the options do not say,
// and again, once per call, when a node answers that the VM is not there.

import { cerr, cok, remainingMs, type ChannelDescription, type ChannelError, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import { apiRequest, type ApiReply, type ApiTarget } from '../http/api.ts';
import { authHeaders, login, TICKET_RENEW_MS, type Credentials, type HeldTicket } from './auth.ts';
import { isMoved, replyError, satisfied, taskError, type Verb } from './errors.ts';
import { errorText, findVm, parseTask, parseUpid, parseVmStatus, type Kind, type Placement } from './parse.ts';
import { monotonicMs } from '../../clock.ts';

export interface ProxmoxConfig {
  target: ApiTarget;
  /** "/api2/json" unless the endpoint already ends with it. */
  prefix: string;
  vmid: number;
  node: string | null;
  kind: Kind | null;
  creds: Credentials;
}

const VERB: Record<Exclude<PowerAction, 'cycle'>, Verb> = { on: 'start', off: 'stop', reset: 'reset' };
const MAX_TASK_POLLS = 2000;
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 250;

const ok2xx = (r: ApiReply) => r.status >= 200 && r.status < 300;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

export class ProxmoxDriver implements PowerDriver {
  private ticket: HeldTicket | null = null;
  private place: Placement | null;

  constructor(private readonly cfg: ProxmoxConfig) {
    this.place = cfg.node !== null && cfg.kind !== null ? { node: cfg.node, kind: cfg.kind } : null;
  }

  describe(): ChannelDescription {
    const kind = this.place?.kind ?? this.cfg.kind;
    const where = this.place ? `node ${this.place.node} ${this.place.kind}/${this.cfg.vmid}` : `vm ${this.cfg.vmid}`;
    // LXC has no status/reset in the API (pve-container offers start, stop, shutdown, reboot, suspend, resume).
    return { channel: 'proxmox', target: `${this.cfg.target.origin} ${where}`, actions: kind === 'lxc' ? ['on', 'off'] : ['on', 'off', 'reset'], verifiable: true };
  }

  async status(d: Deadline): Promise<ChannelResult<Observed>> {
    const r = await this.atVm('GET', '/status/current', 'status', d);
    if (!r.ok) return this.scrub(r);
    if (!ok2xx(r.value.reply)) return this.fail(r.value.reply, 'status');
    return parseVmStatus(r.value.reply.json);
  }

  async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    if (action === 'cycle') return cerr('UNSUPPORTED', 'Proxmox has no single power cycle; the ladder does off, then on');
    const verb = VERB[action];
    const p = await this.placement(d, false);
    if (!p.ok) return this.scrub(p);
    if (verb === 'reset' && p.value.kind === 'lxc') return cerr('UNSUPPORTED', `container ${this.cfg.vmid} is LXC, which has no reset`);
    const what = `${action} (status/${verb})`;
    const r = await this.atVm('POST', `/status/${verb}`, what, d);
    if (!r.ok) return this.scrub(r);
    const { reply } = r.value;
    if (!ok2xx(reply)) {
      if (reply.status === 500 && satisfied(verb, errorText(reply.json))) return cok(undefined);
      return this.fail(reply, what);
    }
    const task = parseUpid(reply.json);
    if (!task.ok) return task;
    return this.scrub(await this.follow(task.value.upid, task.value.node, verb, what, d));
  }

  async close(): Promise<void> {
    // A ticket cannot be revoked (PVE has no logout); it is dropped so that nothing holds it.
    this.ticket = null;
  }

  /** Polls the task on the node that runs it until it stops, then judges its exitstatus. */
  private async follow(upid: string, node: string, verb: Verb, what: string, d: Deadline): Promise<ChannelResult<void>> {
    const late = cerr('TIMEOUT', `${what}: task ${upid} still running at the deadline`);
    let wait = FIRST_POLL_MS;
    for (let i = 0; i < MAX_TASK_POLLS; i++) {
      if (remainingMs(d) < wait) return late;
      await sleep(wait);
      wait = Math.min(wait * 2, MAX_POLL_MS);
      const r = await this.call('GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`, d);
      if (!r.ok) return r.error.code === 'TIMEOUT' ? late : r;
      if (!ok2xx(r.value)) return this.fail(r.value, `${what}: task status`);
      const t = parseTask(r.value.json);
      if (!t.ok) return t;
      if (t.value.running) continue;
      const e = taskError(t.value.exitstatus, verb, `${what}: task ${upid}`);
      return e === null ? cok(undefined) : { ok: false, error: e };
    }
    return cerr('TIMEOUT', `${what}: task ${upid} did not end in ${MAX_TASK_POLLS} polls`);
  }

  /** One exchange about the VM; a "not on this node" answer looks the VM up again and repeats it once. */
  private async atVm(method: 'GET' | 'POST', suffix: string, what: string, d: Deadline): Promise<ChannelResult<{ reply: ApiReply; place: Placement }>> {
    for (let again = false; ; again = true) {
      const p = await this.placement(d, again);
      if (!p.ok) return p;
      const r = await this.call(method, `/nodes/${p.value.node}/${p.value.kind}/${this.cfg.vmid}${suffix}`, d);
      if (!r.ok) return r;
      if (ok2xx(r.value)) return cok({ reply: r.value, place: p.value });
      const e = replyError(r.value.status, r.value.json, what);
      if (!isMoved(e)) return cok({ reply: r.value, place: p.value });
      if (again) {
        // The cluster still places it there: a node that is down (595), or a migration whose config has not arrived yet.
        return cerr(r.value.status === 595 ? 'UNREACHABLE' : 'BUSY', `${e.message} (VM ${this.cfg.vmid} is listed on node ${p.value.node})`);
      }
    }
  }

  /** Where the VM is: from the options, or from GET /cluster/resources?type=vm (again when `refresh`). */
  private async placement(d: Deadline, refresh: boolean): Promise<ChannelResult<Placement>> {
    if (this.place && !refresh) return cok(this.place);
    const r = await this.call('GET', '/cluster/resources?type=vm', d);
    if (!r.ok) return r;
    if (!ok2xx(r.value)) return this.fail(r.value, 'cluster resources');
    const found = findVm(r.value.json, this.cfg.vmid, this.cfg.kind);
    if (!found.ok) return found;
    if (found.value === null)
      return cerr('CONFIG', `no ${this.cfg.kind ?? 'VM or container'} ${this.cfg.vmid} in the cluster (or the user lacks VM.Audit on /vms/${this.cfg.vmid})`);
    this.place = found.value;
    return cok(found.value);
  }

  /**
   * One request with credentials. A ticket that worked and is now refused (it
   * expired, or the cluster rotated its auth key) is replaced by one fresh login
   * and the request repeated; a refusal of a fresh ticket or of a token is AUTH.
   */
  private async call(method: 'GET' | 'POST', path: string, d: Deadline): Promise<ChannelResult<ApiReply>> {
    const { creds } = this.cfg;
    for (let retried = false; ; retried = true) {
      let fresh = false;
      if (creds.kind === 'ticket' && (this.ticket === null || monotonicMs() - this.ticket.at > TICKET_RENEW_MS)) {
        const t = await login(this.cfg.target, this.cfg.prefix, creds, d);
        if (!t.ok) return t;
        this.ticket = t.value;
        fresh = true;
      }
      const r = await apiRequest(this.cfg.target, method, this.cfg.prefix + path, authHeaders(creds, this.ticket, method), undefined, d);
      if (!r.ok || r.value.status !== 401 || creds.kind === 'token' || fresh || retried) return r;
      this.ticket = null;
    }
  }

  private fail(reply: ApiReply, what: string): ChannelResult<never> {
    const e = replyError(reply.status, reply.json, what);
    const error: ChannelError = isMoved(e) ? { code: 'UNREACHABLE', message: e.message } : e;
    return this.scrub({ ok: false, error });
  }

  /** Belt and braces: PVE does not echo credentials, but no message of ours may carry one. */
  private scrub<T>(r: ChannelResult<T>): ChannelResult<T> {
    if (r.ok) return r;
    const c = this.cfg.creds;
    const secret = c.kind === 'token' ? c.secret : c.password;
    return r.error.message.includes(secret) ? { ok: false, error: { code: r.error.code, message: r.error.message.split(secret).join('***') } } : r;
  }
}
