// The Redfish PowerDriver: discovery and login on first use, one GET of the
// ComputerSystem per status read, one POST of ComputerSystem.Reset per request
// (followed through its task monitor when the service answers 202), and a
// logout in close(). A session is logged out as soon as discovery fails after
// login, so a failed call holds nothing on the BMC.

import { cerr, cok, remainingMs, type ChannelDescription, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import { getJson, readReset, readServiceRoot, selectSystem, type ResetInfo } from './discover.ts';
import { redact, replyError } from './errors.ts';
import { exchange, hostHeader, type Endpoint, type HttpReply } from './http.ts';
import { locationPath, parseJson, parseSystem, parseTaskResult } from './parse.ts';
import { chooseReset, observe, offeredActions } from './power.ts';
import { authHeaders, login, logout, type Auth, type Credentials } from './session.ts';

interface Ready {
  auth: Auth;
  system: string;
  reset: ResetInfo | null;
}

const ALL: PowerAction[] = ['on', 'off', 'cycle', 'reset'];
const MAX_TASK_POLLS = 600;

export class RedfishDriver implements PowerDriver {
  private ready: Ready | null = null;
  private opening: Promise<ChannelResult<Ready>> | null = null;

  constructor(
    private readonly ep: Endpoint,
    private readonly creds: Credentials,
    private readonly selector: string | null,
  ) {}

  describe(): ChannelDescription {
    const r = this.ready;
    // Before discovery the service has not said what it takes; verify.ts reads status (and so discovers) before it relies on this.
    const actions = r === null ? ALL : r.reset === null ? [] : offeredActions(r.reset.allowed);
    const scheme = this.ep.pin ? 'https' : 'http';
    return { channel: 'redfish', target: `${scheme}://${hostHeader(this.ep)}${r ? r.system : ''}`, actions, verifiable: true };
  }

  async status(d: Deadline): Promise<ChannelResult<Observed>> {
    return this.withSession(d, async (r) => {
      const j = await getJson(this.ep, r.auth, r.system, d, this.creds.password);
      if (!j.ok) return j;
      const doc = parseSystem(j.value);
      return doc.ok ? observe(doc.value.powerState) : doc;
    });
  }

  request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    return this.withSession(d, async ({ reset, auth, system }) => {
      if (reset === null) return cerr('UNSUPPORTED', `${system} offers no ComputerSystem.Reset action`);
      const type = chooseReset(action, reset.allowed);
      if (!type.ok) return type;
      const what = `${action} (ResetType ${type.value})`;
      const sent = await exchange(this.ep, { method: 'POST', path: reset.target, headers: authHeaders(auth), body: { ResetType: type.value } }, d);
      if (!sent.ok) return sent;
      const { status } = sent.value;
      if (status === 200 || status === 204) return cok(undefined);
      if (status === 202) return this.followTask(sent.value, auth, what, d);
      return { ok: false, error: replyError(status, sent.value.body, what) };
    });
  }

  async close(d: Deadline): Promise<void> {
    const pending = this.opening;
    if (pending) await pending;
    const r = this.ready;
    this.ready = null;
    if (r) await logout(this.ep, r.auth, d);
  }

  /** Discovery once, shared by concurrent first calls so that they do not log in twice. */
  private async open(d: Deadline): Promise<ChannelResult<Ready>> {
    if (this.ready) return cok(this.ready);
    this.opening ??= this.discover(d).finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async discover(d: Deadline): Promise<ChannelResult<Ready>> {
    const root = await readServiceRoot(this.ep, d);
    if (!root.ok) return root;
    const auth = await login(this.ep, root.value.sessions, this.creds, d);
    if (!auth.ok) return auth;
    const fail = async (e: ChannelResult<never>): Promise<ChannelResult<never>> => {
      await logout(this.ep, auth.value, d);
      return e;
    };
    const system = await selectSystem(this.ep, auth.value, root.value, this.selector, d, this.creds.password);
    if (!system.ok) return fail(system);
    const reset = await readReset(this.ep, auth.value, system.value, d, this.creds.password);
    if (!reset.ok) return fail(reset);
    this.ready = { auth: auth.value, system: system.value, reset: reset.value };
    return cok(this.ready);
  }

  /**
   * One exchange on the session. If the BMC no longer knows a session that
   * worked (it expired, or the BMC restarted), the exchange is repeated once
   * on a fresh login; a login that fails is AUTH at once.
   */
  private async withSession<T>(d: Deadline, exchangeOn: (r: Ready) => Promise<ChannelResult<T>>): Promise<ChannelResult<T>> {
    for (let fresh = false; ; fresh = true) {
      const r = await this.open(d);
      if (!r.ok) return this.scrub(r);
      const out = await exchangeOn(r.value);
      if (out.ok || out.error.code !== 'AUTH' || this.ready !== r.value) return this.scrub(out);
      this.ready = null;
      await logout(this.ep, r.value.auth, d);
      if (fresh || r.value.auth.kind !== 'session') return this.scrub(out);
    }
  }

  private scrub<T>(r: ChannelResult<T>): ChannelResult<T> {
    return r.ok ? r : { ok: false, error: redact(r.error, this.creds.password) };
  }

  /** 202 Accepted: poll the task monitor until the reset is done (DSP0266 §13.2.5), within the deadline. */
  private async followTask(accepted: HttpReply, auth: Auth, what: string, d: Deadline): Promise<ChannelResult<void>> {
    const monitor = locationPath(headerOf(accepted, 'location'), this.ep.host, this.ep.port);
    if (!monitor.ok) return cerr('PROTOCOL', `${what} was accepted as a task: ${monitor.error.message}`);
    let last = accepted;
    const late = cerr('TIMEOUT', `${what}: task ${monitor.value} still running at the deadline`);
    for (let i = 0; i < MAX_TASK_POLLS; i++) {
      // The service's Retry-After, but never past the deadline: the last poll happens before it.
      await new Promise((res) => setTimeout(res, Math.max(10, Math.min(retryAfterMs(last), remainingMs(d) / 2))));
      if (remainingMs(d) <= 0) return late;
      const r = await exchange(this.ep, { method: 'GET', path: monitor.value, headers: authHeaders(auth) }, d);
      if (!r.ok) return r.error.code === 'TIMEOUT' ? late : r;
      last = r.value;
      if (r.value.status === 202) continue;
      if (r.value.status === 204) return cok(undefined);
      if (r.value.status !== 200) return { ok: false, error: replyError(r.value.status, r.value.body, `${what}: task ${monitor.value}`) };
      if (r.value.body.length === 0) return cok(undefined);
      const j = parseJson(r.value.body);
      if (!j.ok) return j;
      const t = parseTaskResult(j.value);
      if (!t.ok) return t;
      if (t.value.done) return cok(undefined);
    }
    return cerr('TIMEOUT', `${what}: task ${monitor.value} did not finish in ${MAX_TASK_POLLS} polls`);
  }
}

const headerOf = (r: HttpReply, name: string): string | undefined => {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Retry-After in seconds, clamped so that a service cannot stall us nor make us spin. */
function retryAfterMs(r: HttpReply): number {
  const s = Number(headerOf(r, 'retry-after'));
  return Number.isFinite(s) && s >= 0 ? Math.min(Math.max(s * 1000, 50), 5000) : 250;
}
