// What one VPS provider's API looks like to the shared cloud driver: where the
// power state is read, which request each action is, and how its replies and
// errors read. Each provider folder fills this in with pure functions (its
// parse.ts); cloud/driver.ts does the I/O once for all of them.

import type { ChannelError, ChannelName, ChannelResult, Observed, PowerAction } from '../types.ts';
import type { ApiReply } from '../http/api.ts';

/** A provider's asynchronous action as last seen: still running, or finished well (a failed one is an error result). */
export interface ActionState {
  id: string;
  done: boolean;
}

export interface PowerCall {
  path: string;
  /** The JSON body; undefined sends none (the provider documents no body). */
  body?: unknown;
}

export interface CloudProvider {
  channel: ChannelName;
  /** What describe() names after the endpoint: "server 42". */
  subject: string;
  actions: PowerAction[];
  statusPath: string;
  parseStatus(json: unknown): ChannelResult<Observed>;
  /** The request for an action the provider offers (one of `actions`). */
  call(action: Exclude<PowerAction, 'cycle'>): PowerCall;
  /** A 2xx answer to a power request: the action object to follow, or null when the answer is all the provider gives. */
  parseAccepted(reply: ApiReply): ChannelResult<ActionState | null>;
  /** Where an action object is read again while it runs. */
  actionPath?(id: string): string;
  parseAction?(json: unknown): ChannelResult<ActionState>;
  /** A non-2xx answer as a channel error (the provider's error body read, its lock and rate-limit answers made BUSY). */
  replyError(reply: ApiReply, what: string): ChannelError;
}
