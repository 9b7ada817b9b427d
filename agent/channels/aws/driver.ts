// The EC2 driver: every call is one signed POST of the Query API
// (form-encoded, Version 2016-11-15) on its own connection. Stop is forced
// (Force=true): fencing cannot wait for a guest to flush its caches.

import { cerr, cok, type ChannelDescription, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import type { ApiTarget } from '../http/api.ts';
import { exchange } from '../http/exchange.ts';
import { amzDate, authorization } from './sigv4.ts';
import { ec2Error, parseAck, parseDescribe } from './parse.ts';

export const EC2_VERSION = '2016-11-15';

export interface AwsConfig {
  target: ApiTarget;
  /** The Host header as signed: the endpoint's host, with the port only when not the scheme's default. */
  host: string;
  instance: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const ACTIONS: Record<Exclude<PowerAction, 'cycle'>, 'StartInstances' | 'StopInstances' | 'RebootInstances'> = {
  on: 'StartInstances',
  off: 'StopInstances',
  reset: 'RebootInstances',
};

export class AwsDriver implements PowerDriver {
  constructor(private readonly c: AwsConfig) {}

  describe(): ChannelDescription {
    return { channel: 'aws', target: `${this.c.target.origin} ${this.c.instance}`, actions: ['on', 'off', 'reset'], verifiable: true };
  }

  async status(d: Deadline): Promise<ChannelResult<Observed>> {
    const r = await this.call('DescribeInstances', [], d);
    return r.ok ? parseDescribe(r.value, this.c.instance) : r;
  }

  async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    if (action === 'cycle') return cerr('UNSUPPORTED', 'EC2 has no power cycle: the ladder stops and starts');
    const name = ACTIONS[action];
    const r = await this.call(name, action === 'off' ? [['Force', 'true']] : [], d);
    return r.ok ? parseAck(r.value, name) : r;
  }

  async close(): Promise<void> {}

  /** One signed Query API call; the XML text of a 2xx reply, or the mapped EC2 error. */
  private async call(action: string, extra: Array<[string, string]>, d: Deadline): Promise<ChannelResult<string>> {
    const form = new URLSearchParams([['Action', action], ['InstanceId.1', this.c.instance], ...extra, ['Version', EC2_VERSION]]);
    const body = Buffer.from(form.toString(), 'utf8');
    const date = amzDate(new Date());
    const path = this.c.target.base === '' ? '/' : this.c.target.base;
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
      Host: this.c.host,
      'X-Amz-Date': date,
      ...(this.c.sessionToken ? { 'X-Amz-Security-Token': this.c.sessionToken } : {}),
    };
    const auth = authorization({ method: 'POST', path, query: [], headers, body }, { accessKeyId: this.c.accessKeyId, secretAccessKey: this.c.secretAccessKey, region: this.c.region, service: 'ec2' }, date);
    const r = await exchange(this.c.target.ep, { method: 'POST', path, headers: { ...headers, Authorization: auth, Accept: 'text/xml' }, body }, d);
    if (!r.ok) return r;
    const text = r.value.body.toString('utf8');
    if (r.value.status < 200 || r.value.status >= 300) {
      const e = ec2Error(r.value.status, text, action);
      return cerr(e.code, e.message);
    }
    return cok(text);
  }
}
