// The Hetzner Robot driver: a hardware reset (POST /reset/{n} type=hw, the
// reset button) and Wake-on-LAN (POST /wol/{n}) through the webservice, basic
// auth, form-encoded. Robot cannot report the power state, so the channel is
// unverifiable and the ladder says so. Whether the server offers "hw" is read
// once (GET /reset/{n}) before the first reset: a server without it fails with
// UNSUPPORTED instead of Robot falling back to anything else.

import { cerr, cok, type ChannelDescription, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import type { ApiTarget } from '../http/api.ts';
import { exchange } from '../http/exchange.ts';
import { parseResetAck, parseResetTypes, parseWolAck, robotError } from './parse.ts';

export interface RobotConfig {
  target: ApiTarget;
  server: string;
  user: string;
  password: string;
}

export class RobotDriver implements PowerDriver {
  private hwOffered = false;

  constructor(private readonly c: RobotConfig) {}

  describe(): ChannelDescription {
    return { channel: 'hetzner-robot', target: `${this.c.target.origin} server ${this.c.server}`, actions: ['on', 'reset'], verifiable: false };
  }

  async status(): Promise<ChannelResult<Observed>> {
    return cerr('UNSUPPORTED', 'Hetzner Robot cannot report the power state');
  }

  async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    if (action === 'on') {
      const r = await this.call('POST', `/wol/${this.c.server}`, undefined, d);
      return r.ok ? parseWolAck(r.value) : r;
    }
    if (action !== 'reset') return cerr('UNSUPPORTED', `Hetzner Robot cannot ${action}: it resets (and sends Wake-on-LAN) only`);
    if (!this.hwOffered) {
      const types = await this.call('GET', `/reset/${this.c.server}`, undefined, d);
      if (!types.ok) return types;
      const list = parseResetTypes(types.value);
      if (!list.ok) return list;
      if (!list.value.includes('hw')) return cerr('UNSUPPORTED', `server ${this.c.server} offers no hardware reset (types: ${list.value.join(', ').slice(0, 100)})`);
      this.hwOffered = true;
    }
    const r = await this.call('POST', `/reset/${this.c.server}`, 'type=hw', d);
    return r.ok ? parseResetAck(r.value) : r;
  }

  async close(): Promise<void> {}

  private async call(method: 'GET' | 'POST', path: string, form: string | undefined, d: Deadline): Promise<ChannelResult<unknown>> {
    const auth = Buffer.from(`${this.c.user}:${this.c.password}`, 'utf8').toString('base64');
    const r = await exchange(
      this.c.target.ep,
      { method, path: this.c.target.base + path, headers: { Authorization: `Basic ${auth}`, Accept: 'application/json', ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) }, ...(form ? { body: Buffer.from(form) } : {}) },
      d,
    );
    if (!r.ok) return r;
    let json: unknown;
    try {
      json = JSON.parse(r.value.body.toString('utf8'));
    } catch {
      if (r.value.status >= 200 && r.value.status < 300) return cerr('PROTOCOL', `${method} ${path}: the reply is not JSON`);
    }
    if (r.value.status < 200 || r.value.status >= 300) return { ok: false, error: robotError(r.value.status, json, `${method} ${path}`) };
    return cok(json);
  }
}
