// The order the ladder tries a dead node's channels in. The policy's list both
// filters and orders (Pacemaker's fencing topology: level 1 first); channels that
// cannot read the power state go last whatever the list says, because their
// success is only the node rejoining, which costs the rest of the budget to see.

import type { ChannelName } from '../channels/types.ts';
import type { LadderChannel } from './ladder-types.ts';

export interface ChannelPlan {
  use: LadderChannel[];
  excluded: ChannelName[];
}

/** The channels the policy lets act, in its order (the node's own order when the list is empty). */
export function allowedInOrder(channels: readonly LadderChannel[], allowed: readonly ChannelName[]): ChannelPlan {
  if (allowed.length === 0) return { use: [...channels], excluded: [] };
  const use = [...new Set(allowed)].flatMap((name) => channels.filter((c) => c.name === name));
  const excluded = [...new Set(channels.filter((c) => !allowed.includes(c.name)).map((c) => c.name))];
  return { use, excluded };
}

/** Verifiable channels first, each group in its given order. */
export function unverifiableLast<T extends { verifiable: boolean }>(rungs: readonly T[]): T[] {
  return [...rungs.filter((r) => r.verifiable), ...rungs.filter((r) => !r.verifiable)];
}
