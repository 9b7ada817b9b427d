// The PowerDriver for Intel AMT and AMD DASH. A status read is the discovery:
// Enumerate + Pull of CIM_AssociatedPowerManagementService gives the power
// state, the states the service accepts now, and the references to the service
// and the managed system that a request needs. The profile (amt, dash) says
// which association is the host. WS-Management over digest has no session, so
// close() has nothing to end.

import { cerr, cok, remainingMs, type ChannelDescription, type ChannelName, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import { ANONYMOUS, URI, enumerate, pull, requestPowerStateChange } from './envelope.ts';
import { hostPort, wsmanUrl } from './http.ts';
import { parseEnumerateResponse, parseInvokeResponse, parsePullResponse, type PowerAssociation } from './parse.ts';
import { ACTIONS, HARD, choose, describeStates, observed, returnValueError } from './power.ts';
import type { Credentials, Transport } from './transport.ts';

export interface WsmanProfile {
  channel: Extract<ChannelName, 'amt' | 'dash'>;
  /** Which enumerated association is the host's, or why none is. */
  pick(items: readonly PowerAssociation[]): ChannelResult<PowerAssociation>;
}

/** A bounded enumeration: a service that never ends the sequence is not one we talk to. */
const MAX_PULLS = 8;

export class WsmanDriver implements PowerDriver {
  private latest: PowerAssociation | null = null;
  /** What the service offered while the machine was on / off: each action is judged in the state it starts from. */
  private offeredOn: ReadonlySet<number> | null = null;
  private offeredOff: ReadonlySet<number> | null = null;

  constructor(
    private readonly profile: WsmanProfile,
    private readonly transport: Transport,
  ) {}

  describe(): ChannelDescription {
    const actions = ACTIONS.filter((a) => {
      // Before discovery every request the protocol can express is possible; after it, only what was offered.
      const seen = a === 'on' ? this.offeredOff : this.offeredOn;
      return seen === null || HARD[a].some((s) => seen.has(s));
    });
    return { channel: this.profile.channel, target: hostPort(this.transport.ep), actions, verifiable: true };
  }

  async status(d: Deadline): Promise<ChannelResult<Observed>> {
    const a = await this.discover(d);
    return a.ok ? cok(observed(a.value.powerState)) : a;
  }

  async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    const ch = this.profile.channel;
    let assoc = this.latest;
    if (assoc === null) {
      const a = await this.discover(d);
      if (!a.ok) return a;
      assoc = a.value;
    }
    const state = choose(action, assoc.available);
    if (state === null)
      return cerr('UNSUPPORTED', `${ch} offers no hard ${action} (${HARD[action].join(' or ')}) now; it offers ${describeStates(assoc.available)}`);
    // The offer changes with the state: the next request reads it again.
    this.latest = null;
    const managed = { ...assoc.managed, address: ANONYMOUS };
    const msg = requestPowerStateChange(wsmanUrl(this.transport.ep), assoc.service, managed, state, remainingMs(d));
    const what = `${ch} RequestPowerStateChange(${state})`;
    const r = await this.transport.call(msg, what, d);
    if (!r.ok) return r;
    const rv = parseInvokeResponse(r.value);
    if (!rv.ok) return cerr('PROTOCOL', `${what}: ${rv.reason}`);
    const refused = returnValueError(rv.value, what);
    return refused ? { ok: false, error: refused } : cok(undefined);
  }

  async close(): Promise<void> {}

  private async discover(d: Deadline): Promise<ChannelResult<PowerAssociation>> {
    const to = wsmanUrl(this.transport.ep);
    const what = `${this.profile.channel} enumerate CIM_AssociatedPowerManagementService`;
    const e = await this.transport.call(enumerate(to, URI.assocPower, remainingMs(d)), what, d);
    if (!e.ok) return e;
    const ctx = parseEnumerateResponse(e.value);
    if (!ctx.ok) return cerr('PROTOCOL', `${what}: ${ctx.reason}`);
    const items: PowerAssociation[] = [];
    let context: string | null = ctx.value;
    for (let i = 0; ; i++) {
      if (context === null || i >= MAX_PULLS) return cerr('PROTOCOL', `${what}: the enumeration did not end within ${MAX_PULLS} pulls`);
      const p = await this.transport.call(pull(to, URI.assocPower, context, remainingMs(d)), what, d);
      if (!p.ok) return p;
      const page = parsePullResponse(p.value);
      if (!page.ok) return cerr('PROTOCOL', `${what}: ${page.reason}`);
      items.push(...page.value.items);
      if (page.value.end) break;
      context = page.value.context;
    }
    const picked = this.profile.pick(items);
    if (!picked.ok) return picked;
    this.remember(picked.value);
    return picked;
  }

  private remember(a: PowerAssociation): void {
    this.latest = a;
    const o = observed(a.powerState);
    if (o === 'on') this.offeredOn = new Set(a.available);
    if (o === 'off') this.offeredOff = new Set(a.available);
  }
}

/** The options every WS-Management channel checks alike. */
export function credentialsOf(user: string | undefined, fallbackUser: string, password: string): ChannelResult<Credentials> {
  const u = user ?? fallbackUser;
  if (u === '' || /[\r\n"\\]/.test(u)) return cerr('CONFIG', 'the user name is empty or holds characters digest cannot carry');
  if (password === '') return cerr('CONFIG', 'a password is needed');
  return cok({ user: u, password });
}
