// Wake-on-LAN through a peer. A magic packet reaches only the sender's own L2
// segment, so a healer far from a dead node asks members to send it for them.
// A member takes such a request only from a member it holds alive (the packet's
// signature proved who sent it), only for a member it holds dead itself (a
// liar cannot get a running or a stopped-by-choice machine poked), once per
// request, and a bounded number at a time: the daemon then sends the packet on
// its own segment under its relay rate limits. Waking is all a request can
// cause, and the healer verifies by watching the node rejoin.

import type { WakeRequest } from './types.ts';

/** Members asked per request: any one on the dead node's segment is enough. */
export const WAKE_FANOUT = 3;
/** Requests waiting for the daemon; more in one drain is a flood, not a healer. */
const MAX_PENDING = 16;
/** Remembered request ids, so a replayed packet (inside the skew window) wakes nothing twice. */
const MAX_SEEN = 1024;

export class WakeDesk {
  private pending: WakeRequest[] = [];
  /** `${from}/${nonce}` -> when it may be forgotten. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly rememberMs: number) {}

  /** False when the request is a repeat or the desk is full. */
  accept(r: WakeRequest, nonce: number): boolean {
    const key = `${r.from}/${nonce}`;
    if (this.seen.has(key) || this.pending.length >= MAX_PENDING) return false;
    if (this.seen.size >= MAX_SEEN) this.forget(r.at);
    if (this.seen.size >= MAX_SEEN) return false;
    this.seen.set(key, r.at + this.rememberMs);
    this.pending.push(r);
    return true;
  }

  take(): WakeRequest[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private forget(now: number): void {
    for (const [k, until] of this.seen) if (until <= now) this.seen.delete(k);
  }
}
