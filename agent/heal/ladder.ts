// The healing ladder: a dead node's channels tried one after another until one
// brings it back, as bmclib tries its providers (each gets the remaining budget
// divided by the channels left, so a silent one cannot eat the others' time) and
// as Pacemaker remaps a reboot (off, verify off, on, verify on; never a device's
// own cycle, whose reply proves nothing). Channels that cannot read the power
// state come last and count only when the node rejoins gossip.

import { CHANNELS } from '../channels/registry.ts';
import { cerr, remainingMs, type ChannelError, type ChannelName, type ChannelOptions, type ChannelResult, type Deadline, type PowerAction, type PowerDriver } from '../channels/types.ts';
import { Channel, DEFAULT_TIMING, type FenceResult } from '../channels/verify.ts';
import { monotonicMs } from '../clock.ts';
import { allowedInOrder, unverifiableLast } from './ladder-order.ts';
import type { LadderAction, LadderAttempt, LadderChannel, LadderDeps, LadderResult, LadderTarget, LadderVerdict } from './ladder-types.ts';

const DEFAULT_CLOSE_RESERVE_MS = 1000;

interface Rung {
  name: ChannelName;
  channel: Channel;
  verifiable: boolean;
  mask: (s: string) => string;
}

/** Where one channel's turn ends: its action, its session's end, and the turn itself. */
interface Turn {
  act: Deadline;
  /** The ladder stops waiting for an action here, between `act` and `end`, so that close still fits. */
  guard: number;
  end: Deadline;
}

const at = (ms: number): Deadline => ({ at: ms });

/**
 * Tries `target`'s channels within `d` until one brings the node back, and says
 * what each did. Resolves (never rejects) by `d`, give or take a late timer.
 */
export async function runLadder(target: LadderTarget, deps: LadderDeps, d: Deadline): Promise<LadderResult> {
  const started = monotonicMs();
  const budgetMs = Math.round(remainingMs(d));
  const attempts: LadderAttempt[] = [];
  const plan = allowedInOrder(target.channels, target.allowed);

  const opened: Rung[] = [];
  for (const c of plan.use) {
    const mask = masker(c.options);
    const s = await within(openDriver(c, deps), d.at);
    const r: ChannelResult<PowerDriver> = s.kind === 'value' ? s.value : cerr('TIMEOUT', `${c.name} was not ready by the deadline`);
    if (!r.ok) {
      attempts.push(failed(c.name, 'open', r.error, 0, 0, [], mask));
      continue;
    }
    opened.push({ name: c.name, channel: new Channel(r.value, deps.timing ?? DEFAULT_TIMING), verifiable: r.value.describe().verifiable, mask });
  }
  const rungs = unverifiableLast(opened);

  const finish = (verdict: LadderVerdict, acted: ChannelName | null, why?: string): LadderResult => ({
    node: target.node,
    verdict,
    acted,
    ...(why !== undefined ? { why } : {}),
    excluded: plan.excluded,
    attempts,
    budgetMs,
    elapsedMs: Math.round(monotonicMs() - started),
  });

  let offBy: ChannelName | null = null;
  const untried: ChannelName[] = [];
  for (let i = 0; i < rungs.length; i++) {
    const rung = rungs[i]!;
    const left = remainingMs(d);
    if (left <= 0) {
      untried.push(...rungs.slice(i).map((r) => r.name));
      break;
    }
    const turn = turnOf(left / (rungs.length - i), deps.closeReserveMs ?? DEFAULT_CLOSE_RESERVE_MS, d);
    if (rung.verifiable) {
      const off = await step(rung, 'off', turn, attempts);
      if (off) offBy = rung.name;
      // A later channel still starts with off: read first, it is skipped when the node is still off.
      const on = off && (await step(rung, 'on', turn, attempts));
      await close(rung, turn.end);
      if (on) return finish('verified-cycled', rung.name);
      continue;
    }
    const action = blindAction(rung.channel.describe().actions, offBy !== null);
    const sent = await step(rung, action, turn, attempts);
    await close(rung, turn.end);
    if (sent && (await waitRejoin(target.node, rung, turn.end, deps, attempts))) return finish('rejoined-after-unverified', rung.name);
  }

  const failures = [explain(attempts), untried.length ? `not tried, the budget was spent: ${untried.join(', ')}` : ''].filter(Boolean).join('; ');
  if (offBy !== null) return finish('off-only', offBy, `${target.node} was verified off by ${offBy} and no channel powered it on (${failures})`);
  if (plan.use.length === 0) {
    const has = [...new Set(target.channels.map((c) => c.name))];
    return finish('failed', null, has.length ? `the policy lets peers use none of ${target.node}'s channels (${has.join(', ')}); it allows ${target.allowed.join(', ')}` : `${target.node} has no channel`);
  }
  return finish('failed', null, failures);
}

/** The turn's share, with the last part kept for ending the session (at most a quarter of the share). */
function turnOf(shareMs: number, reserveMs: number, d: Deadline): Turn {
  const now = monotonicMs();
  const end = Math.min(d.at, now + shareMs);
  const reserve = Math.min(reserveMs, (end - now) / 4);
  return { act: at(end - reserve), guard: end - reserve / 2, end: at(end) };
}

/** A blind request: on when the node is known off, otherwise the reset a hung machine needs; the other when that is all the channel has. */
function blindAction(actions: readonly PowerAction[], knownOff: boolean): 'on' | 'reset' {
  const prefer: ('on' | 'reset')[] = knownOff ? ['on', 'reset'] : ['reset', 'on'];
  return prefer.find((a) => actions.includes(a)) ?? 'on';
}

/** One verified (or, on a blind channel, sent) action; true when it did what it was asked. */
async function step(rung: Rung, action: 'off' | 'on' | 'reset', turn: Turn, attempts: LadderAttempt[]): Promise<boolean> {
  const t0 = monotonicMs();
  const s = await within(rung.channel[action](turn.act), turn.guard);
  const elapsedMs = Math.round(monotonicMs() - t0);
  const r: FenceResult =
    s.kind === 'value'
      ? s.value
      : s.kind === 'late'
        ? fenceError('TIMEOUT', 'no answer by the end of the channel\'s share of the budget; the request may still be in flight', elapsedMs)
        : fenceError('PROTOCOL', `the driver failed: ${String(s.error)}`, elapsedMs);
  if (!r.ok) {
    attempts.push(failed(rung.name, action, r.error, elapsedMs, r.error.attempts, r.error.steps, rung.mask));
    return false;
  }
  attempts.push({ channel: rung.name, action, outcome: r.value.verified ? 'verified' : 'sent-unverified', elapsedMs, exchanges: r.value.attempts, steps: r.value.steps.map(rung.mask) });
  return true;
}

async function waitRejoin(node: string, rung: Rung, end: Deadline, deps: LadderDeps, attempts: LadderAttempt[]): Promise<boolean> {
  const t0 = monotonicMs();
  // Through then(): a watcher that throws instead of rejecting is still a watcher that failed.
  const s = await within(Promise.resolve().then(() => deps.rejoined(node, end)), end.at);
  const back = s.kind === 'value' && s.value;
  const message = s.kind === 'threw' ? `watching gossip failed: ${String(s.error)}` : back ? undefined : `${node} did not rejoin by the end of the channel's share of the budget`;
  attempts.push({ channel: rung.name, action: 'rejoin', outcome: back ? 'rejoined' : 'not-rejoined', elapsedMs: Math.round(monotonicMs() - t0), exchanges: 0, steps: [], ...(message !== undefined ? { message: rung.mask(message) } : {}) });
  return back;
}

/** Sessions must not leak, but the turn's end bounds the logout too. */
async function close(rung: Rung, end: Deadline): Promise<void> {
  await within(rung.channel.close(end), end.at);
}

async function openDriver(c: LadderChannel, deps: LadderDeps): Promise<ChannelResult<PowerDriver>> {
  try {
    if (deps.open) return await deps.open(c.name, c.options);
    const mod = await CHANNELS[c.name].load();
    return mod.open(c.options);
  } catch (err) {
    return cerr('CONFIG', `${c.name} could not be loaded: ${String(err)}`);
  }
}

type Settled<T> = { kind: 'value'; value: T } | { kind: 'late' } | { kind: 'threw'; error: unknown };

/** The channel code honours its deadline; this makes sure of it, so the ladder always ends within its budget. */
async function within<T>(p: Promise<T>, guardAt: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'late' }), Math.max(0, guardAt - monotonicMs()));
  });
  const settled = p.then(
    (value): Settled<T> => ({ kind: 'value', value }),
    (error: unknown): Settled<T> => ({ kind: 'threw', error }),
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

const fenceError = (code: ChannelError['code'], message: string, elapsedMs: number): FenceResult => ({ ok: false, error: { code, message, attempts: 0, elapsedMs, steps: [] } });

function failed(channel: ChannelName, action: LadderAction, e: ChannelError, elapsedMs: number, exchanges: number, steps: string[], mask: (s: string) => string): LadderAttempt {
  return { channel, action, outcome: e.code, elapsedMs, exchanges, steps: steps.map(mask), message: mask(e.message) };
}

/** Belt and braces: the channels keep secrets out of their messages; a device echoing one back must not put it into the audit log. */
function masker(o: ChannelOptions): (s: string) => string {
  const raw = [o.password, ...Object.values(o.secrets ?? {})].filter((s): s is string => typeof s === 'string' && s.length > 0);
  const secrets = [...new Set(raw.flatMap((s) => [s, encodeURIComponent(s)]))].sort((a, b) => b.length - a.length);
  return (s) => secrets.reduce((acc, secret) => acc.split(secret).join('***'), s);
}

/** What failed, channel by channel, in the order tried. */
function explain(attempts: readonly LadderAttempt[]): string {
  const bad = attempts.filter((a) => a.outcome !== 'verified' && a.outcome !== 'sent-unverified' && a.outcome !== 'rejoined');
  return bad.map((a) => `${a.channel} ${a.action}: ${a.outcome}${a.message ? ` (${a.message})` : ''}`).join('; ');
}
