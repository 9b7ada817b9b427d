// What each channel's fake offers bench/channels: a running fake whose machine
// takes `delayMs` to complete a power change, and the options that reach it.
// The bench times command -> verified state and reports what it took beyond
// that delay (the channel's own overhead: exchanges, polling, task monitors).

import type { ChannelName, ChannelOptions } from '../../agent/channels/types.ts';

export interface BenchTarget {
  channel: ChannelName;
  /** What the row says, e.g. "pdu (APC, v3, 2 outlets)". */
  label: string;
  /** The simulated time between an accepted request and the new state showing. */
  delayMs: number;
  opts: ChannelOptions;
  close(): Promise<void>;
}

/** Starts a fake (loopback only) with its machine running, ready for a cycle. */
export type StartBenchTarget = (delayMs: number) => Promise<BenchTarget>;
