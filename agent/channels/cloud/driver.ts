// The PowerDriver every VPS provider shares: one authenticated GET per status
// read, one POST per power request (its action object followed to the end when
// the provider gives one), nothing held between calls. The provider's token
// goes only into the Authorization header and is scrubbed from every message,
// even one a provider echoed back.

import { cerr, cok, type ChannelDescription, type ChannelError, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import { apiRequest, type ApiReply, type ApiTarget } from '../http/api.ts';
import { followAction } from './follow.ts';
import type { ActionState, CloudProvider } from './provider.ts';

export class CloudDriver implements PowerDriver {
  constructor(
    private readonly p: CloudProvider,
    private readonly t: ApiTarget,
    private readonly token: string,
  ) {}

  describe(): ChannelDescription {
    return { channel: this.p.channel, target: `${this.t.origin}${this.t.base} ${this.p.subject}`, actions: [...this.p.actions], verifiable: true };
  }

  async status(d: Deadline): Promise<ChannelResult<Observed>> {
    const r = await this.send('GET', this.p.statusPath, undefined, d);
    return r.ok ? this.scrub(this.p.parseStatus(r.value.json)) : r;
  }

  async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    if (action === 'cycle' || !this.p.actions.includes(action)) return cerr('UNSUPPORTED', `${this.p.channel} offers no ${action} request (the ladder powers off and on instead)`);
    const { path, body } = this.p.call(action);
    const what = `${action} (POST ${path})`;
    const r = await this.send('POST', path, body, d);
    if (!r.ok) return r;
    const accepted = this.scrub(this.p.parseAccepted(r.value));
    if (!accepted.ok) return accepted;
    if (accepted.value === null || accepted.value.done) return cok(undefined);
    return followAction(accepted.value, (id, dl) => this.readAction(id, dl), what, d);
  }

  async close(): Promise<void> {}

  private async readAction(id: string, d: Deadline): Promise<ChannelResult<ActionState>> {
    const { actionPath, parseAction } = this.p;
    if (!actionPath || !parseAction) return cerr('PROTOCOL', `${this.p.channel} answered with an action object it cannot be asked about`);
    const r = await this.send('GET', actionPath(id), undefined, d);
    return r.ok ? this.scrub(parseAction(r.value.json)) : r;
  }

  /** One exchange; a non-2xx answer becomes the provider's error. */
  private async send(method: 'GET' | 'POST', path: string, body: unknown, d: Deadline): Promise<ChannelResult<ApiReply>> {
    const r = await apiRequest(this.t, method, path, { Authorization: `Bearer ${this.token}` }, body, d);
    if (!r.ok) return this.scrub(r);
    if (r.value.status >= 200 && r.value.status < 300) return r;
    return { ok: false, error: this.clean(this.p.replyError(r.value, `${method} ${path}`)) };
  }

  private clean(e: ChannelError): ChannelError {
    return e.message.includes(this.token) ? { code: e.code, message: e.message.split(this.token).join('[token]') } : e;
  }

  private scrub<T>(r: ChannelResult<T>): ChannelResult<T> {
    return r.ok ? r : { ok: false, error: this.clean(r.error) };
  }
}
