// The fencing ladder against a scripted machine: every channel inherits these
// semantics, so they are tested once here with a driver whose replies and
// state changes the test controls.
import test from 'ava';
import { cerr, cok, deadlineIn, type ChannelError, type ChannelResult, type Observed, type PowerAction, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel, type VerifyTiming } from '../../agent/channels/verify.ts';

const FAST: VerifyTiming = { pollMs: 5, backoffMs: 5, backoffMaxMs: 20, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** A machine whose power changes `settleReads` status reads after a request, as a real one lags its BMC's reply. */
class Machine implements PowerDriver {
  power: 'on' | 'off';
  log: string[] = [];
  /** Errors the next requests answer with, in order (then success). */
  requestErrors: ChannelError[] = [];
  statusErrors: ChannelError[] = [];
  /** The machine ignores requests for this state (a request "succeeds" but nothing happens). */
  deaf: 'on' | 'off' | null = null;
  reportUnknown = false;
  private pending: { to: 'on' | 'off'; reads: number } | null = null;

  constructor(
    power: 'on' | 'off',
    private readonly actions: PowerAction[] = ['on', 'off', 'cycle', 'reset'],
    private readonly settleReads = 2,
  ) {
    this.power = power;
  }

  describe() {
    return { channel: 'ipmi' as const, target: 'test:623', actions: this.actions, verifiable: true };
  }

  async status(): Promise<ChannelResult<Observed>> {
    this.log.push('status');
    const e = this.statusErrors.shift();
    if (e) return { ok: false, error: e };
    if (this.reportUnknown) return cok('unknown');
    if (this.pending && --this.pending.reads <= 0) {
      this.power = this.pending.to;
      this.pending = null;
    }
    return cok(this.pending ? 'transitioning' : this.power);
  }

  async request(action: PowerAction): Promise<ChannelResult<void>> {
    this.log.push(action);
    const e = this.requestErrors.shift();
    if (e) return { ok: false, error: e };
    const to = action === 'off' ? 'off' : 'on';
    if (this.deaf !== to) this.pending = { to, reads: this.settleReads };
    return cok(undefined);
  }

  async close(): Promise<void> {
    this.log.push('close');
  }
}

test('cycle of a running machine: off, verified off, on, verified on', async (t) => {
  const m = new Machine('on');
  const r = await new Channel(m, FAST).cycle(deadlineIn(2000));
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.value.state, 'on');
  t.true(r.value.verified);
  t.deepEqual(m.log.filter((x) => x !== 'status'), ['off', 'on'], 'never the device cycle command');
  t.deepEqual(r.value.steps.filter((s) => !s.startsWith('status')), ['off sent', 'off verified', 'on sent', 'on verified']);
  t.is(r.value.attempts, m.log.length);
});

test('cycle of a machine that is off skips the off request', async (t) => {
  const m = new Machine('off');
  const r = await new Channel(m, FAST).cycle(deadlineIn(2000));
  t.true(r.ok);
  t.deepEqual(m.log.filter((x) => x !== 'status'), ['on']);
  t.is(m.power, 'on');
});

test('on and off that are already satisfied send nothing', async (t) => {
  const m = new Machine('on');
  const ch = new Channel(m, FAST);
  t.true((await ch.on(deadlineIn(1000))).ok);
  t.deepEqual(m.log, ['status']);
  const off = await ch.off(deadlineIn(1000));
  t.true(off.ok);
  t.is(m.power, 'off');
});

test('a busy answer (409 right after off) is retried with backoff within the deadline', async (t) => {
  const m = new Machine('off');
  m.requestErrors = [
    { code: 'BUSY', message: 'HTTP 409' },
    { code: 'BUSY', message: 'HTTP 409' },
  ];
  const r = await new Channel(m, FAST).on(deadlineIn(2000));
  t.true(r.ok);
  t.is(m.log.filter((x) => x === 'on').length, 3);
  if (r.ok) t.true(r.value.steps.includes('busy, retrying in 10 ms'), r.value.steps.join(', '));
});

test('a wrong password fails at once, without a retry', async (t) => {
  const m = new Machine('on');
  m.statusErrors = [{ code: 'AUTH', message: 'RAKP 2: unauthorized name' }];
  const r = await new Channel(m, FAST).cycle(deadlineIn(2000));
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.error.code, 'AUTH');
  t.is(r.error.attempts, 1);
  t.deepEqual(m.log, ['status']);
});

test('a reply that claims success proves nothing: a deaf machine fails with STATE at the deadline', async (t) => {
  const m = new Machine('on');
  m.deaf = 'off';
  const started = performance.now();
  const r = await new Channel(m, FAST).off(deadlineIn(200));
  const took = performance.now() - started;
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'STATE');
    t.falsy(r.error.offVerified);
  }
  t.true(took >= 190 && took < 400, `ended after ${took} ms`);
});

test('a cycle whose on half fails still says the off half was verified', async (t) => {
  const m = new Machine('on');
  m.deaf = 'on';
  const r = await new Channel(m, FAST).cycle(deadlineIn(300));
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.error.code, 'STATE');
  t.true(r.error.offVerified);
  t.is(m.power, 'off');
});

test('a device that never answers ends with a timeout inside the deadline', async (t) => {
  const m = new Machine('on');
  m.statusErrors = Array.from({ length: 1000 }, () => ({ code: 'TIMEOUT' as const, message: 'no reply' }));
  const started = performance.now();
  const r = await new Channel(m, FAST).status(deadlineIn(150));
  const took = performance.now() - started;
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'TIMEOUT');
  t.true(took < 300, `ended after ${took} ms`);
});

test('an unknown state is a failure, not an answer', async (t) => {
  const m = new Machine('on');
  m.reportUnknown = true;
  const r = await new Channel(m, FAST).status(deadlineIn(500));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'STATE');
});

test('reset: unsupported channels refuse, a machine found off is powered on', async (t) => {
  const noReset = new Machine('on', ['on', 'off']);
  const r1 = await new Channel(noReset, FAST).reset(deadlineIn(500));
  t.false(r1.ok);
  if (!r1.ok) t.is(r1.error.code, 'UNSUPPORTED');
  t.deepEqual(noReset.log, []);
  const off = new Machine('off');
  const r2 = await new Channel(off, FAST).reset(deadlineIn(1000));
  t.true(r2.ok);
  t.deepEqual(off.log.filter((x) => x !== 'status'), ['on']);
  const running = new Machine('on');
  const r3 = await new Channel(running, FAST).reset(deadlineIn(1000));
  t.true(r3.ok);
  t.deepEqual(running.log.filter((x) => x !== 'status'), ['reset']);
});

test('an action the device does not offer fails before any request', async (t) => {
  const m = new Machine('on', ['on']);
  const r = await new Channel(m, FAST).off(deadlineIn(500));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'UNSUPPORTED');
  t.deepEqual(m.log, ['status']);
});

test('cerr builds the typed error', (t) => {
  t.deepEqual(cerr('CONFIG', 'x'), { ok: false, error: { code: 'CONFIG', message: 'x' } });
});

/** A reset-only API (Hetzner Robot, OVH) or Wake-on-LAN: it takes requests and cannot read state. */
class Blind implements PowerDriver {
  log: string[] = [];
  requestErrors: ChannelError[] = [];
  constructor(private readonly actions: PowerAction[]) {}
  describe() {
    return { channel: 'ipmi' as const, target: 'test', actions: this.actions, verifiable: false };
  }
  async status(): Promise<ChannelResult<Observed>> {
    this.log.push('status');
    return cerr('UNSUPPORTED', 'no state');
  }
  async request(action: PowerAction): Promise<ChannelResult<void>> {
    this.log.push(action);
    const e = this.requestErrors.shift();
    return e ? { ok: false, error: e } : cok(undefined);
  }
  async close(): Promise<void> {}
}

test('a channel that cannot read state: cycle sends its reset once and says unverified, never done', async (t) => {
  const b = new Blind(['reset']);
  const r = await new Channel(b, FAST).cycle(deadlineIn(1000));
  t.true(r.ok);
  if (!r.ok) return;
  t.false(r.value.verified);
  t.is(r.value.state, 'unknown');
  t.deepEqual(b.log, ['reset']);
});

test('a channel that cannot read state: status is UNSUPPORTED, off it does not offer is UNSUPPORTED without a request', async (t) => {
  const b = new Blind(['on']);
  const s = await new Channel(b, FAST).status(deadlineIn(1000));
  t.false(s.ok);
  if (!s.ok) t.is(s.error.code, 'UNSUPPORTED');
  const off = await new Channel(b, FAST).off(deadlineIn(1000));
  t.false(off.ok);
  if (!off.ok) t.is(off.error.code, 'UNSUPPORTED');
  t.deepEqual(b.log, []);
});

test('a channel that cannot read state: busy answers are retried, a wrong credential is not', async (t) => {
  const b = new Blind(['on']);
  b.requestErrors.push({ code: 'BUSY', message: 'rate limited' });
  const on = await new Channel(b, FAST).on(deadlineIn(1000));
  t.true(on.ok && !on.value.verified);
  t.deepEqual(b.log, ['on', 'on']);
  const c = new Blind(['on']);
  c.requestErrors.push({ code: 'AUTH', message: 'wrong token' });
  const bad = await new Channel(c, FAST).on(deadlineIn(1000));
  t.false(bad.ok);
  if (!bad.ok) t.is(bad.error.code, 'AUTH');
  t.deepEqual(c.log, ['on']);
});
