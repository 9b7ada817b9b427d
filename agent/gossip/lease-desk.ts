// Heal leases between members. The core carries a lease as opaque bytes: it
// takes one only from a member it holds live (the packet's signature proved
// the sender), each distinct lease once, and a bounded number at a time. The
// daemon checks the actor's signature (heal/lease.ts) before it uses a lease
// and passes each verified one on once, so a lease spreads like an epidemic
// while a forged or replayed one stops at the first member that sees it.

import { createHash } from 'node:crypto';

/** Members a lease is sent to directly; each member that verifies it sends it on once. */
export const LEASE_FANOUT = 4;
/** Leases waiting for the daemon: one per death being healed, so more is a flood. */
const MAX_PENDING = 32;
/** Remembered lease digests; past this, the oldest are forgotten (a repeat is then checked again, which is harmless). */
const MAX_SEEN = 1024;

export interface LeaseMessage {
  /** The member that sent this copy (not necessarily the actor who signed it). */
  from: string;
  bytes: Uint8Array;
}

export class LeaseDesk {
  private pending: LeaseMessage[] = [];
  private readonly seen = new Set<string>();

  /** False when this lease was seen already or the desk is full. */
  accept(from: string, bytes: Uint8Array): boolean {
    const key = createHash('sha256').update(bytes).digest('base64');
    if (this.seen.has(key) || this.pending.length >= MAX_PENDING) return false;
    if (this.seen.size >= MAX_SEEN) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.add(key);
    this.pending.push({ from, bytes });
    return true;
  }

  /** Marks a lease this node sent itself, so copies coming back are not handed to the daemon again. */
  own(bytes: Uint8Array): void {
    this.seen.add(createHash('sha256').update(bytes).digest('base64'));
  }

  take(): LeaseMessage[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
