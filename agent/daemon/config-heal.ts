// The daemon config's heal section: whether this node heals dead peers, what
// it needs for that (the org recovery key, who else holds it, a gateway to
// prove its own network works) and the loop's timings. The fencing rules
// themselves (confirmations, quorum, actor delay, channels) come from the
// signed policy the node applied, not from here: they must be the same on
// every node, and a local file could make them differ.

import { isIP } from 'node:net';
import { checkTarget } from '../channels/wol/send.ts';
import { parseHostPort } from './config-gossip.ts';

export interface HealSettings {
  enabled: boolean;
  /** Where a wake asked by a gossip peer goes: this node's segment's broadcast address and port. */
  wakeTarget: { host: string; port: number };
  /** The org recovery key (recovery.key, 0600) that opens peers' sealed credentials; null: this node cannot act. */
  recoveryKey: string | null;
  /** The members that hold the recovery key, the same list on every node; empty: every attested member is taken to. */
  healers: string[];
  /** Self-check: a TCP connect here that is answered (accepted or refused) proves this node's own network; null: the gossip view alone. */
  gateway: { host: string; port: number } | null;
  /** Time a dead node whose attestation says its watchdog is armed gets to reset itself before anyone acts. */
  watchdogGraceSec: number;
  /** Time the ladder gets for one attempt on a dead node. */
  actionBudgetSec: number;
  /** After a power cycle, the node must be back in gossip within this, or the attempt failed. */
  rejoinTimeoutSec: number;
  /** A member counts in the stable membership once alive this long. */
  settleSec: number;
  /** Act only once the view has not changed for this long around a death (a partition is seen one member at a time). */
  stableSec: number;
  /** A member dead this long leaves the stable membership (the fleet shrank). */
  forgetSec: number;
  /** Attempt k on a node that keeps dying waits backoffSec[k] after its death; after the last, it is left for a human. */
  backoffSec: number[];
  /** A node alive this long after its last death starts again from the first delay. */
  backoffResetSec: number;
}

export const HEAL_KEYS = ['enabled', 'wakeTarget', 'recoveryKey', 'healers', 'gateway', 'watchdogGraceSec', 'actionBudgetSec', 'rejoinTimeoutSec', 'settleSec', 'stableSec', 'forgetSec', 'backoffSec', 'backoffResetSec'] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Fail = (message: string) => never;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export function parseHeal(h: { [k: string]: Json }, fail: Fail): HealSettings {
  const num = (key: string, dflt: number, min: number, max: number): number => {
    const v = h[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return fail(`heal.${key} must be a number from ${min} to ${max}`);
    return v;
  };
  const enabled = h.enabled === undefined ? false : h.enabled;
  if (typeof enabled !== 'boolean') fail('heal.enabled must be true or false');
  const rk = h.recoveryKey;
  if (rk !== undefined && rk !== null && (typeof rk !== 'string' || !rk.startsWith('/') || rk.includes('\0'))) fail('heal.recoveryKey must be an absolute path');
  const healers = h.healers === undefined ? [] : h.healers;
  if (!Array.isArray(healers) || healers.length > 1024 || !healers.every((n): n is string => typeof n === 'string' && LABEL.test(n))) {
    fail('heal.healers must be a list of node names (at most 1024)');
  }
  let gateway: HealSettings['gateway'] = null;
  if (h.gateway !== undefined && h.gateway !== null) {
    const g = typeof h.gateway === 'string' ? parseHostPort(h.gateway) : null;
    if (!g || isIP(g.host) === 0) fail('heal.gateway wants "ADDRESS:PORT" (an IP address; IPv6 in brackets)');
    gateway = g;
  }
  const backoff = h.backoffSec === undefined ? [0, 60, 300, 1800] : h.backoffSec;
  if (!Array.isArray(backoff) || backoff.length < 1 || backoff.length > 16 || !backoff.every((n): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 86_400)) {
    fail('heal.backoffSec must be a list of 1 to 16 delays in seconds (0 to 86400)');
  }
  return {
    enabled: enabled as boolean,
    wakeTarget: wakeTarget(h.wakeTarget, fail),
    recoveryKey: typeof rk === 'string' ? rk : null,
    healers: [...new Set(healers as string[])],
    gateway,
    watchdogGraceSec: num('watchdogGraceSec', 0, 0, 3600),
    actionBudgetSec: num('actionBudgetSec', 60, 5, 3600),
    rejoinTimeoutSec: num('rejoinTimeoutSec', 600, 10, 86_400),
    settleSec: num('settleSec', 10, 0, 3600),
    stableSec: num('stableSec', 2, 0, 600),
    forgetSec: num('forgetSec', 3600, 60, 30 * 86_400),
    backoffSec: backoff as number[],
    backoffResetSec: num('backoffResetSec', 7200, 1, 30 * 86_400),
  };
}

/** `heal.wakeTarget`: "ADDRESS:PORT" (an IPv6 address in brackets); the limited broadcast on port 9 by default. */
function wakeTarget(v: Json | undefined, fail: Fail): { host: string; port: number } {
  if (v === undefined) return { host: '255.255.255.255', port: 9 };
  const m = typeof v === 'string' ? /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(v) : null;
  const t = m ? checkTarget(m[1] ?? m[2] ?? '', Number(m[3])) : null;
  if (!t?.ok) return fail(`heal.wakeTarget wants "ADDRESS:PORT" with an IP address (e.g. "192.168.1.255:9")${t && !t.ok ? `: ${t.error.message}` : ''}`);
  return t.value;
}
