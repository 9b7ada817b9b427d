// The daemon's Wake-on-LAN relay: a `wol-relay` request on the control socket
// (root's, 0600) makes this node send the magic packet on its own segment, for
// a node whose own agent (or operator) sits elsewhere. It sends for exactly
// the MAC in the request, and is rate-limited per MAC and in total, so even a
// misbehaving local client cannot turn the daemon into a packet source.
//
// Across segments it goes through gossip (agent/gossip/wake.ts): with
// "peers":NODE the request has members wake NODE on their segments, and a
// member's request that the gossip core accepted (a live member asking, for a
// member this node holds dead) is sent here under the same limits. That path
// carries no SecureOn password and goes to heal.wakeTarget (the limited
// broadcast by default).

import type { Logger } from 'pino';
import { deadlineIn, type ChannelResult } from '../channels/types.ts';
import { buildMagic, formatMac } from '../channels/wol/magic.ts';
import { parseRelayRequest } from '../channels/wol/relay-codec.ts';
import { sendMagic, type WolTarget } from '../channels/wol/send.ts';
import type { OpReply } from './control.ts';
import type { GossipResult, WakeRequest } from '../gossip/types.ts';

export interface RelayLimits {
  windowMs: number;
  /** Relays of one MAC per window: a healer retrying is a few; more is a loop or abuse. */
  perMac: number;
  /** Relays of all MACs per window, which also bounds how many MACs are tracked. */
  total: number;
  /** Bounded below the control socket's idle timeout (2 s), so the reply always gets out. */
  sendBudgetMs: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = { windowMs: 60_000, perMac: 6, total: 60, sendBudgetMs: 1500 };

export interface RelayDeps {
  log: Logger;
  /** Where peer-asked wakes go (config heal.wakeTarget); the limited broadcast on port 9 by default. */
  peerTarget?: WolTarget;
  /** Asks gossip members to wake a dead member (GossipDriver.askWake); absent when gossip is off. */
  askPeers?: (subject: string, mac: Uint8Array) => GossipResult<number>;
  limits?: RelayLimits;
  now?: () => number;
  send?: (t: WolTarget, packet: Uint8Array, budgetMs: number) => Promise<ChannelResult<number>>;
}

/** A sliding window of recent relays: timestamps per MAC, pruned on every call. */
class RateLimit {
  private readonly seen = new Map<string, number[]>();
  private count = 0;

  constructor(
    private readonly l: RelayLimits,
    private readonly now: () => number,
  ) {}

  /** Null when allowed (and counted); otherwise why not, and the seconds until a relay of this MAC may go. */
  take(mac: string): string | null {
    const t = this.now();
    this.count = 0;
    for (const [k, times] of this.seen) {
      const live = times.filter((x) => t - x < this.l.windowMs);
      if (live.length === 0) this.seen.delete(k);
      else this.seen.set(k, live);
      this.count += live.length;
    }
    const mine = this.seen.get(mac) ?? [];
    const secs = (since: number): number => Math.ceil((since + this.l.windowMs - t) / 1000);
    const window = `${this.l.windowMs / 1000} s`;
    if (mine.length >= this.l.perMac) return `${mac} was relayed ${mine.length} times in the last ${window}; next in ${secs(mine[0] ?? t)} s`;
    if (this.count >= this.l.total) {
      const oldest = Math.min(...[...this.seen.values()].map((v) => v[0] ?? t));
      return `${this.count} relays in the last ${window}, the most this daemon sends; next in ${secs(oldest)} s`;
    }
    this.seen.set(mac, [...mine, t]);
    return null;
  }
}

export interface WolRelay {
  /** The control socket's `wol-relay` op. */
  control(req: Readonly<Record<string, unknown>>): Promise<OpReply>;
  /** A wake a gossip member asked for (GossipDriver's onWake). */
  fromPeer(w: WakeRequest): void;
}

export function wolRelay(deps: RelayDeps): WolRelay {
  const limits = deps.limits ?? DEFAULT_RELAY_LIMITS;
  const rate = new RateLimit(limits, deps.now ?? Date.now);
  const send = deps.send ?? ((t, p, ms) => sendMagic(t, p, deadlineIn(ms)));
  const fromPeer = (w: WakeRequest): void => {
    const where = { mac: formatMac(w.mac), subject: w.subject, asker: w.from };
    const refused = rate.take(where.mac);
    if (refused !== null) return void deps.log.warn(where, 'wol for a peer refused: rate limit');
    const packet = buildMagic(w.mac, null);
    if (!packet.ok) return void deps.log.warn({ ...where, err: packet.error.message }, 'wol for a peer refused');
    void send(deps.peerTarget ?? { host: '255.255.255.255', port: 9 }, packet.value, limits.sendBudgetMs).then((r) => {
      if (r.ok) deps.log.info({ ...where, sent: r.value }, 'wol relayed for a peer');
      else deps.log.warn({ ...where, code: r.error.code, err: r.error.message }, 'wol for a peer failed');
    });
  };
  const control = async (raw: Readonly<Record<string, unknown>>): Promise<OpReply> => {
    const req = parseRelayRequest(raw);
    if (!req.ok) {
      deps.log.warn({ code: req.error.code, err: req.error.message }, 'wol relay refused');
      return req;
    }
    if (req.value.peers !== null) return askPeers(req.value.peers, req.value.mac);
    const mac = formatMac(req.value.mac);
    const where = { mac, broadcast: req.value.broadcast, port: req.value.port };
    const refused = rate.take(mac);
    if (refused !== null) {
      deps.log.warn(where, 'wol relay refused: rate limit');
      return { ok: false, error: { code: 'BUSY', message: refused } };
    }
    const packet = buildMagic(req.value.mac, req.value.secureOn);
    if (!packet.ok) return { ok: false, error: { code: 'CONFIG', message: packet.error.message } };
    const r = await send({ host: req.value.broadcast, port: req.value.port }, packet.value, limits.sendBudgetMs);
    if (!r.ok) {
      deps.log.warn({ ...where, code: r.error.code, err: r.error.message }, 'wol relay failed');
      return r;
    }
    // The audit line: who woke what is worth keeping. The password is not in it.
    deps.log.info({ ...where, sent: r.value, secureOn: req.value.secureOn !== null }, 'wol relayed');
    return { ok: true, value: { sent: r.value } };
  };
  const askPeers = (subject: string, macBytes: Uint8Array): OpReply => {
    const where = { mac: formatMac(macBytes), subject };
    if (!deps.askPeers) return { ok: false, error: { code: 'CONFIG', message: 'this daemon runs no gossip: it has no peers to ask' } };
    const r = deps.askPeers(subject, macBytes);
    // Not dead here yet: the healer asks again once this node's view has caught up.
    if (!r.ok) return { ok: false, error: { code: r.error.code === 'REFUSED' ? 'STATE' : 'CONFIG', message: r.error.message } };
    if (r.value === 0) return { ok: false, error: { code: 'UNREACHABLE', message: 'no live member to ask' } };
    deps.log.info({ ...where, asked: r.value }, 'wol asked of peers');
    return { ok: true, value: { sent: r.value, via: 'peers' } };
  };
  return { control, fromPeer };
}

/** The control handler alone (a daemon without gossip, and the tests of the local relay). */
export const wolRelayHandler = (deps: RelayDeps): WolRelay['control'] => wolRelay(deps).control;
