// The vSphere PowerDriver: a session (basic auth once, then the
// vmware-api-session-id header), one GET of the VM's power per status read,
// one POST of start/stop/reset per request, and the session deleted in close().
// vCenter limits sessions and keeps an idle one for its timeout, so none may
// be left behind: a session is created only when needed and always deleted.

import { cerr, cok, deadlineIn, remainingMs, type ChannelDescription, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import { apiRequest, type ApiReply, type ApiTarget } from '../http/api.ts';
import { parseError, parsePower, parseSessionId, vapiError, type Dialect } from './parse.ts';

export interface VsphereConfig {
  target: ApiTarget;
  vm: string;
  user: string;
  password: string;
  /** null: /api, falling back to /rest when vCenter answers 404 for /api/session (before 7.0 U2). */
  dialect: Dialect | null;
}

type Verb = 'start' | 'stop' | 'reset';
const VERB: Record<Exclude<PowerAction, 'cycle'>, Verb> = { on: 'start', off: 'stop', reset: 'reset' };
const SESSION_PATH: Record<Dialect, string> = { api: '/api/session', rest: '/rest/com/vmware/cis/session' };
const ok2xx = (r: ApiReply) => r.status >= 200 && r.status < 300;

export class VsphereDriver implements PowerDriver {
  private session: { id: string; dialect: Dialect } | null = null;
  private dialect: Dialect | null;

  constructor(private readonly cfg: VsphereConfig) {
    this.dialect = cfg.dialect;
  }

  describe(): ChannelDescription {
    return { channel: 'vsphere', target: `${this.cfg.target.origin} ${this.cfg.vm}`, actions: ['on', 'off', 'reset'], verifiable: true };
  }

  async status(d: Deadline): Promise<ChannelResult<Observed>> {
    const r = await this.call('GET', (dl) => `${dl === 'api' ? '/api' : '/rest'}/vcenter/vm/${encodeURIComponent(this.cfg.vm)}/power`, d);
    if (!r.ok) return this.scrub(r);
    const { reply, dialect } = r.value;
    if (reply.status !== 200) return this.scrub({ ok: false, error: vapiError(reply.status, parseError(reply.json), 'power state') });
    return parsePower(dialect, reply.json);
  }

  async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    if (action === 'cycle') return cerr('UNSUPPORTED', 'vSphere has no single power cycle; the ladder does off, then on');
    const verb = VERB[action];
    const vm = encodeURIComponent(this.cfg.vm);
    const r = await this.call('POST', (dl) => (dl === 'api' ? `/api/vcenter/vm/${vm}/power?action=${verb}` : `/rest/vcenter/vm/${vm}/power/${verb}`), d);
    if (!r.ok) return this.scrub(r);
    const { reply } = r.value;
    if (ok2xx(reply)) return cok(undefined);
    const e = parseError(reply.json);
    // Powering on a VM that is on (or off one that is off) reached what was asked.
    if (e.type === 'ALREADY_IN_DESIRED_STATE') return cok(undefined);
    return this.scrub({ ok: false, error: vapiError(reply.status, e, `${action} (power ${verb})`) });
  }

  /** Deletes the session; given a second of its own when the action used up the deadline, as a leaked session outlives us. */
  async close(d: Deadline): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s === null) return;
    const grace = remainingMs(d) < 1000 ? deadlineIn(1000) : d;
    await apiRequest(this.cfg.target, 'DELETE', SESSION_PATH[s.dialect], { 'vmware-api-session-id': s.id }, undefined, grace);
  }

  /**
   * One request on the session. A session that worked and is now refused
   * (vCenter's idle timeout) is replaced by one fresh login and the request
   * repeated; a refused login, or a refused fresh session, is AUTH at once.
   */
  private async call(method: 'GET' | 'POST', path: (d: Dialect) => string, d: Deadline): Promise<ChannelResult<{ reply: ApiReply; dialect: Dialect }>> {
    for (let retried = false; ; retried = true) {
      let fresh = false;
      if (this.session === null) {
        const s = await this.login(d);
        if (!s.ok) return s;
        this.session = s.value;
        fresh = true;
      }
      const { id, dialect } = this.session;
      const r = await apiRequest(this.cfg.target, method, path(dialect), { 'vmware-api-session-id': id }, undefined, d);
      if (!r.ok) return r;
      if (r.value.status !== 401 || fresh || retried) return cok({ reply: r.value, dialect });
      // vCenter no longer knows it: nothing to delete.
      this.session = null;
    }
  }

  private async login(d: Deadline): Promise<ChannelResult<{ id: string; dialect: Dialect }>> {
    const basic = `Basic ${Buffer.from(`${this.cfg.user}:${this.cfg.password}`, 'utf8').toString('base64')}`;
    for (const dialect of this.dialect === null ? (['api', 'rest'] as const) : [this.dialect]) {
      const r = await apiRequest(this.cfg.target, 'POST', SESSION_PATH[dialect], { Authorization: basic }, undefined, d);
      if (!r.ok) return r;
      // Only "no such path" moves on to /rest: a refused password is never tried twice (lockout counts).
      if (r.value.status === 404 && this.dialect === null && dialect === 'api') continue;
      if (!ok2xx(r.value)) return { ok: false, error: vapiError(r.value.status, parseError(r.value.json), `login at ${SESSION_PATH[dialect]}`) };
      const id = parseSessionId(dialect, r.value.json);
      if (!id.ok) return id;
      this.dialect = dialect;
      return cok({ id: id.value, dialect });
    }
    return cerr('CONFIG', 'vCenter offers neither /api/session nor /rest/com/vmware/cis/session');
  }

  /** Belt and braces: vCenter does not echo the password, but no message of ours may carry it. */
  private scrub<T>(r: ChannelResult<T>): ChannelResult<T> {
    if (r.ok || !r.error.message.includes(this.cfg.password)) return r;
    return { ok: false, error: { code: r.error.code, message: r.error.message.split(this.cfg.password).join('***') } };
  }
}
