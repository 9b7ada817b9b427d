// What the simulator needs from a gossip core: the methods of SwimNode that a
// driver calls. Typed structurally so the cluster runs the unchanged SwimNode
// and its own unit tests can run a small stand-in.
import type { MemberRecord } from '../../agent/gossip/pushpull.ts';
import type { Addr, MemberEvent, MemberView, Outbound, Rejection, Trust } from '../../agent/gossip/types.ts';

export interface SimCore {
  start(now: number): void;
  receivePacket(from: Addr, bytes: Uint8Array, now: number): void;
  receiveStream(from: Addr, bytes: Uint8Array, now: number): Uint8Array | null;
  receiveStreamReply(to: Addr, bytes: Uint8Array, now: number): Uint8Array | null;
  streamFailed(to: Addr, now: number): void;
  tick(now: number): void;
  takeOutbound(): Outbound[];
  takeEvents(): MemberEvent[];
  takeRejections(): Rejection[];
  nextWake(): number;
  members(): MemberView[];
  self(): MemberView;
  /** For a warm start (SwimNode.snapshot/restore); a stand-in core may leave them out. */
  snapshot?(): MemberRecord[];
  restore?(records: MemberRecord[], now: number): void;
}

export interface CoreSpec {
  index: number;
  name: string;
  addr: Addr;
  seeds: Addr[];
  incarnation: number;
  trust: Trust;
  random: () => number;
  now: number;
}

export type CoreFactory = (spec: CoreSpec) => SimCore;
