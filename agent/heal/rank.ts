// One actor per death: rendezvous (highest random weight) hashing ranks the
// members able to act on a subject by SHA-256 over (subject, incarnation,
// actor). Every node that holds the same eligible set computes the same order
// without talking, and a new incarnation reshuffles it, so a node whose
// actions keep failing is not always healed by the same peer.

import { createHash } from 'node:crypto';
import type { MemberView } from '../gossip/types.ts';
import { encodeCbor } from '../identity/cbor.ts';

/** What the driver knows of a member's means to fence a subject. */
export interface Means {
  /** Holds a channel to the subject (its sealed credentials in the vault, or a keyless one). */
  channel: boolean;
  /** Holds the org recovery key that opens the subject's sealed credentials. */
  recoveryKey: boolean;
}

export interface Eligibility {
  means(actor: string, subject: string): Means;
  unattestedPeers: boolean;
}

/** The weight as a hex string: equal-length hex compares like the bytes. The tuple is CBOR so no two tuples share an encoding. */
export function weight(subject: string, incarnation: number, actor: string): string {
  return createHash('sha256').update(encodeCbor([subject, incarnation, actor])).digest('hex');
}

export function eligible(m: MemberView, subject: string, e: Eligibility): boolean {
  if (m.name === subject || (m.state !== 'alive' && m.state !== 'suspect')) return false;
  if (!m.attested && !e.unattestedPeers) return false;
  const means = e.means(m.name, subject);
  return means.channel && means.recoveryKey;
}

/** The eligible members, best first. */
export function rank(subject: string, incarnation: number, members: readonly MemberView[], e: Eligibility): string[] {
  return members
    .filter((m) => eligible(m, subject, e))
    .map((m) => ({ name: m.name, w: weight(subject, incarnation, m.name) }))
    .sort((a, b) => (a.w < b.w ? 1 : a.w > b.w ? -1 : a.name < b.name ? -1 : 1))
    .map((x) => x.name);
}
