// The ladder's own rules with scripted drivers (the channel semantics are
// verify.ts's and tested there): secrets masked in the result, a channel that
// cannot be opened, a driver that ignores its deadline, which blind request an
// unverifiable channel sends, the policy leaving nothing, a spent budget; and a
// property over random mixes of channels: in budget, the right verdict, no secret.

import test from 'ava';
import fc from 'fast-check';
import { CHANNELS } from '../../agent/channels/registry.ts';
import { cerr, cok, deadlineIn, remainingMs, type ChannelName, type ChannelOptions, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../../agent/channels/types.ts';
import type { VerifyTiming } from '../../agent/channels/verify.ts';
import { allowedInOrder, unverifiableLast } from '../../agent/heal/ladder-order.ts';
import { runLadder } from '../../agent/heal/ladder.ts';
import type { LadderChannel, LadderDeps } from '../../agent/heal/ladder-types.ts';

const FAST: VerifyTiming = { pollMs: 10, backoffMs: 10, backoffMaxMs: 40, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
const never = (_node: string, d: Deadline) => new Promise<boolean>((r) => setTimeout(() => r(false), remainingMs(d)));
const SECRET = 'Pw-unit#7731';
const TOKEN = 'tok-unit-5e5e';
/** Timers fire late on a loaded machine; the ladder's own bound is its deadline. */
const SLACK = 250;

/** A scripted machine behind a driver: power changes at once; what it refuses, echoes or ignores is set per test. */
class Scripted implements PowerDriver {
  log: string[] = [];
  refuse = new Set<PowerAction>();
  /** Status reads fail AUTH with a message that echoes this (a device reflecting the login back). */
  echo: string | null = null;
  /** Never answers and ignores its deadline. */
  hang = false;
  closed = 0;

  constructor(
    public power: 'on' | 'off',
    private readonly channel: ChannelName,
    private readonly actions: PowerAction[] = ['on', 'off', 'cycle', 'reset'],
    private readonly verifiable = true,
  ) {}

  describe() {
    return { channel: this.channel, target: 'scripted', actions: this.actions, verifiable: this.verifiable };
  }

  async status(): Promise<ChannelResult<Observed>> {
    this.log.push('status');
    if (this.hang) return new Promise(() => {});
    if (!this.verifiable) return cerr('UNSUPPORTED', 'blind');
    if (this.echo !== null) return cerr('AUTH', `login as admin:${this.echo} refused`);
    return cok(this.power);
  }

  async request(action: PowerAction): Promise<ChannelResult<void>> {
    this.log.push(action);
    if (this.refuse.has(action)) return cerr('UNSUPPORTED', `${action} refused`);
    if (action === 'off') this.power = 'off';
    else this.power = 'on';
    return cok(undefined);
  }

  async close(): Promise<void> {
    this.closed++;
  }
}

/** Channels opened from a table of scripted drivers, by position in the target's list. */
function scripted(drivers: Scripted[]): Pick<LadderDeps, 'open'> & { channels: (o?: ChannelOptions) => LadderChannel[] } {
  const byOptions = new Map<ChannelOptions, Scripted>();
  return {
    channels: (o = {}) =>
      drivers.map((d) => {
        const options = { ...o };
        byOptions.set(options, d);
        return { name: d.describe().channel, options, verifiable: true };
      }),
    open: async (_name, options) => {
      const d = byOptions.get(options);
      return d ? cok(d) : cerr('CONFIG', 'no such scripted driver');
    },
  };
}

test('secrets a device echoes back are masked in messages and steps', async (t) => {
  const a = new Scripted('on', 'redfish');
  a.echo = SECRET;
  const b = new Scripted('on', 'amt');
  // Echoed the way it went into a form body or a URL.
  b.echo = encodeURIComponent(SECRET);
  const s = scripted([a, b]);
  const r = await runLadder({ node: 'x', channels: s.channels({ user: 'admin', password: SECRET, secrets: { 'token-file': TOKEN } }), allowed: [] }, { rejoined: never, timing: FAST, open: s.open }, deadlineIn(2000));
  t.is(r.verdict, 'failed');
  const text = JSON.stringify(r);
  t.true(encodeURIComponent(SECRET) !== SECRET);
  for (const secret of [SECRET, encodeURIComponent(SECRET), TOKEN]) t.false(text.includes(secret));
  t.is(r.attempts[0]!.message, 'login as admin:*** refused');
  t.is(r.why, 'redfish off: AUTH (login as admin:*** refused); amt off: AUTH (login as admin:*** refused)');
  t.is(a.closed + b.closed, 2, 'every session ended');
});

test('a channel that cannot be opened is recorded and skipped; the next one acts', async (t) => {
  const b = new Scripted('on', 'redfish');
  const r = await runLadder(
    {
      node: 'x',
      channels: [
        { name: 'ipmi', options: { user: 'admin', password: SECRET }, verifiable: true },
        { name: 'redfish', options: {}, verifiable: true },
      ],
      allowed: [],
    },
    {
      rejoined: never,
      timing: FAST,
      // The registry for ipmi (which refuses the missing host before any I/O), the script for redfish.
      open: async (name, o) => (name === 'redfish' ? cok(b) : (await CHANNELS[name].load()).open(o)),
    },
    deadlineIn(2000),
  );
  t.is(r.verdict, 'verified-cycled');
  t.like(r.attempts[0], { channel: 'ipmi', action: 'open', outcome: 'CONFIG', message: 'IPMI needs a host' });
  t.deepEqual(b.log.filter((x) => x !== 'status'), ['off', 'on']);
});

test('a driver that ignores its deadline is cut off at the end of its share; the next channel acts; the ladder ends in budget', async (t) => {
  const a = new Scripted('on', 'redfish');
  a.hang = true;
  const b = new Scripted('on', 'proxmox');
  const s = scripted([a, b]);
  const budget = 1600;
  const t0 = performance.now();
  const r = await runLadder({ node: 'x', channels: s.channels(), allowed: [] }, { rejoined: never, timing: FAST, open: s.open, closeReserveMs: 100 }, deadlineIn(budget));
  const took = performance.now() - t0;
  t.is(r.verdict, 'verified-cycled');
  t.is(r.acted, 'proxmox');
  t.like(r.attempts[0], { channel: 'redfish', action: 'off', outcome: 'TIMEOUT' });
  t.regex(r.attempts[0]!.message ?? '', /may still be in flight/);
  // Share 800 ms; the guard sits halfway into the 100 ms kept for logout.
  t.true(r.attempts[0]!.elapsedMs >= 700 && r.attempts[0]!.elapsedMs <= 1200, `${r.attempts[0]!.elapsedMs} ms`);
  t.true(took <= budget + SLACK, `took ${Math.round(took)} ms`);
});

test('a blind channel sends reset when the node state is unknown, on when another channel verified it off', async (t) => {
  const robot = () => new Scripted('on', 'hetzner-robot', ['on', 'reset'], false);
  const alone = robot();
  const s1 = scripted([alone]);
  const r1 = await runLadder({ node: 'x', channels: s1.channels(), allowed: [] }, { rejoined: never, timing: FAST, open: s1.open }, deadlineIn(300));
  t.deepEqual(alone.log, ['reset'], 'a hung machine needs a reset; Wake-on-LAN would not reach it');
  t.deepEqual(
    r1.attempts.map((a) => [a.action, a.outcome]),
    [
      ['reset', 'sent-unverified'],
      ['rejoin', 'not-rejoined'],
    ],
  );
  t.is(r1.verdict, 'failed');

  const bmc = new Scripted('on', 'ipmi');
  bmc.refuse.add('on');
  const after = robot();
  const s2 = scripted([after, bmc]);
  const r2 = await runLadder({ node: 'x', channels: s2.channels(), allowed: [] }, { rejoined: async () => true, timing: FAST, open: s2.open }, deadlineIn(2000));
  t.deepEqual(after.log, ['on']);
  t.is(r2.verdict, 'rejoined-after-unverified');
  t.is(r2.acted, 'hetzner-robot');
});

test('what the driver says decides the place: a channel enrolled as verifiable that cannot read state goes last', async (t) => {
  const blind = new Scripted('on', 'ovh', ['reset'], false);
  const bmc = new Scripted('on', 'ipmi');
  const s = scripted([blind, bmc]);
  const r = await runLadder({ node: 'x', channels: s.channels(), allowed: [] }, { rejoined: never, timing: FAST, open: s.open }, deadlineIn(2000));
  t.is(r.acted, 'ipmi');
  t.deepEqual(blind.log, []);
});

test('a gossip watcher that fails counts as not rejoined, with the reason', async (t) => {
  const wol = new Scripted('off', 'wol', ['on'], false);
  const s = scripted([wol]);
  const r = await runLadder({ node: 'x', channels: s.channels(), allowed: [] }, { rejoined: () => Promise.reject(new Error('control socket gone')), timing: FAST, open: s.open }, deadlineIn(1000));
  t.is(r.verdict, 'failed');
  t.like(r.attempts[1], { action: 'rejoin', outcome: 'not-rejoined', message: 'watching gossip failed: Error: control socket gone' });
  const throws = (): Promise<boolean> => {
    throw new Error('not started');
  };
  const r2 = await runLadder({ node: 'x', channels: s.channels(), allowed: [] }, { rejoined: throws, timing: FAST, open: s.open }, deadlineIn(1000));
  t.like(r2.attempts[1], { action: 'rejoin', outcome: 'not-rejoined', message: 'watching gossip failed: Error: not started' });
});

test('nothing the policy allows: failed, naming what the node has and what the policy allows; nothing sent', async (t) => {
  const bmc = new Scripted('on', 'ipmi');
  const s = scripted([bmc]);
  const r = await runLadder({ node: 'x', channels: s.channels(), allowed: ['pdu'] }, { rejoined: never, timing: FAST, open: s.open }, deadlineIn(1000));
  t.is(r.verdict, 'failed');
  t.deepEqual(r.excluded, ['ipmi']);
  t.is(r.why, "the policy lets peers use none of x's channels (ipmi); it allows pdu");
  t.deepEqual(r.attempts, []);
  t.deepEqual(bmc.log, []);
  const none = await runLadder({ node: 'y', channels: [], allowed: [] }, { rejoined: never }, deadlineIn(1000));
  t.is(none.why, 'y has no channel');
});

test('a spent budget: nothing is sent, the result says which channels were not tried', async (t) => {
  const bmc = new Scripted('on', 'ipmi');
  const s = scripted([bmc]);
  const r = await runLadder({ node: 'x', channels: s.channels(), allowed: [] }, { rejoined: never, timing: FAST, open: s.open }, deadlineIn(0));
  t.is(r.verdict, 'failed');
  t.is(r.why, 'not tried, the budget was spent: ipmi');
  t.deepEqual(r.attempts, []);
  t.deepEqual(bmc.log, []);
});

test('order: the policy list filters and orders (duplicates kept in the node\'s order); blind channels last', (t) => {
  const c = (name: ChannelName, tag: string, verifiable = true): LadderChannel => ({ name, options: { host: tag }, verifiable });
  const node = [c('ipmi', 'i1'), c('wol', 'w', false), c('redfish', 'r'), c('ipmi', 'i2'), c('pdu', 'p')];
  const p = allowedInOrder(node, ['wol', 'redfish', 'ipmi', 'redfish']);
  t.deepEqual(p.use.map((x) => x.options.host), ['w', 'r', 'i1', 'i2']);
  t.deepEqual(p.excluded, ['pdu']);
  t.deepEqual(unverifiableLast(p.use).map((x) => x.options.host), ['r', 'i1', 'i2', 'w']);
  t.deepEqual(allowedInOrder(node, []).use, node);
});

type Behaviour = 'ok' | 'auth' | 'hang' | 'refuse-on' | 'blind';

test('any mix of channels: the ladder ends within its budget, the verdict follows from what the channels did, no secret leaks', async (t) => {
  const NAMES: ChannelName[] = ['ipmi', 'redfish', 'amt', 'proxmox', 'pdu'];
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom<Behaviour>('ok', 'auth', 'hang', 'refuse-on', 'blind'), { maxLength: 5 }), fc.boolean(), async (plan, rejoins) => {
      const drivers = plan.map((b, i) => {
        const d = b === 'blind' ? new Scripted('on', 'wol', ['on'], false) : new Scripted('on', NAMES[i]!);
        if (b === 'auth') d.echo = SECRET;
        if (b === 'hang') d.hang = true;
        if (b === 'refuse-on') d.refuse.add('on');
        return d;
      });
      const s = scripted(drivers);
      const budget = 600;
      const t0 = performance.now();
      const r = await runLadder({ node: 'x', channels: s.channels({ password: SECRET }), allowed: [] }, { rejoined: async () => rejoins, timing: FAST, open: s.open, closeReserveMs: 20 }, deadlineIn(budget));
      const took = performance.now() - t0;
      const order = [...plan.keys()].filter((i) => plan[i] !== 'blind').concat([...plan.keys()].filter((i) => plan[i] === 'blind'));
      const firstOk = order.find((i) => plan[i] === 'ok');
      const firstBlind = order.find((i) => plan[i] === 'blind');
      const want =
        firstOk !== undefined
          ? { verdict: 'verified-cycled', acted: NAMES[firstOk] }
          : firstBlind !== undefined && rejoins
            ? { verdict: 'rejoined-after-unverified', acted: 'wol' }
            : plan.includes('refuse-on')
              ? { verdict: 'off-only' }
              : { verdict: 'failed', acted: null };
      t.like(r, want, JSON.stringify({ plan, rejoins, r }));
      t.true(took <= budget + SLACK, `took ${Math.round(took)} ms of ${budget}`);
      t.false(JSON.stringify(r).includes(SECRET));
      // Nothing after the channel that acted was asked anything.
      if (firstOk !== undefined) for (const i of order.slice(order.indexOf(firstOk) + 1)) t.deepEqual(drivers[i]!.log, []);
    }),
    { numRuns: 30 },
  );
});
