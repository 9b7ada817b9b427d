import type { Signed } from './wire.ts';

// The gossip core's contract with its drivers (UDP/TCP in the daemon, the
// simulator in tools/sim): the core is fed packets, stream messages and the
// time, and hands back what to send and when to wake it. It never reads a
// clock, a socket or a random source of its own, so one seeded simulator can
// run thousands of unchanged cores in one process.

/** "host:port"; IPv6 hosts in brackets: "[::1]:7946". */
export type Addr = string;

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export type GossipErrorCode =
  | 'MALFORMED' // not CBOR, or not a message this version defines
  | 'TOO_LARGE'
  | 'UNSUPPORTED' // a protocol version this agent does not speak
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_AUTHOR' // signed by a member whose credentials we do not hold yet
  | 'UNTRUSTED' // credentials that do not verify against the org
  | 'NOT_AUTHOR' // a member speaking for another (alive, leave, attestation of someone else)
  | 'STALE' // older than what we hold: a replay or a late copy
  | 'TIME' // a signed time outside the accepted window
  | 'NO_QUORUM' // a death without K distinct verified suspicions
  | 'REFUSED'; // a request this node will not act on (a wake for a member it does not hold dead)

export interface GossipError {
  code: GossipErrorCode;
  message: string;
}

export type GossipResult<T> = { ok: true; value: T } | { ok: false; error: GossipError };
export const gok = <T>(value: T): GossipResult<T> => ({ ok: true, value });
export const gerr = (code: GossipErrorCode, message: string): GossipResult<never> => ({ ok: false, error: { code, message } });

/** A member's verified session key. */
export interface PeerKey {
  /** Distinguishes sessions (boots) of one member. */
  id: string;
  /** The credentials it was admitted with (what push-pull hands on). */
  creds: Uint8Array;
  verify(bytes: Uint8Array, sig: Uint8Array): boolean;
}

/**
 * Who may speak. The daemon's implementation checks org-signed certificates
 * and per-boot session bindings (agent/gossip/trust.ts); the simulator's is a
 * cheap keyed hash with the same sizes, so byte counts stay honest.
 */
export interface Trust {
  /** This node's credentials, carried in its join announcement and in push-pull records. */
  readonly creds: Uint8Array;
  /** A 64-byte signature with this node's session key. */
  sign(bytes: Uint8Array): Uint8Array;
  /** Checks `creds` for member `name` at `incarnation` and returns its session key. */
  admit(name: string, creds: Uint8Array, incarnation: number, now: number): GossipResult<PeerKey>;
  /**
   * Optional: returns one shared copy of a signed update. The simulator runs
   * thousands of cores in one process, each holding the same updates of every
   * member; sharing them (and the PeerKeys admit returns) is what lets N=10,000
   * fit in memory. The daemon runs one core and leaves this out.
   */
  intern?(s: Signed): Signed;
  /** Checks a member's attestation record: when it expires, and the id of the session key that signed it. */
  checkAttestation?(name: string, record: Uint8Array, now: number): GossipResult<{ expires: number; keyId: string }>;
}

export interface GossipConfig {
  name: string;
  /** The address peers reach this node at (UDP and TCP share the port). */
  addr: Addr;
  seeds: Addr[];
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** k: members asked to probe a target that missed its direct ack. */
  indirectChecks: number;
  suspicionMult: number;
  suspicionMaxTimeoutMult: number;
  /** Independent suspicions that shrink the suspicion timeout to its minimum (Lifeguard's K). */
  suspicionConfirmations: number;
  /** Distinct verified members whose signed suspicions a death needs (capped by the members left). */
  deathQuorum: number;
  retransmitMult: number;
  gossipIntervalMs: number;
  gossipNodes: number;
  pushPullIntervalMs: number;
  /** Lifeguard's S: the probe interval stretches up to this many times on a slow node. */
  awarenessMax: number;
  /** Members who, on hearing a suspicion, probe the suspect at once instead of waiting their turn (expected count). */
  suspectProbeFanout: number;
  maxPacketBytes: number;
  /** How far a signed time may be from ours. */
  maxSkewMs: number;
  /** Keep telling the dead that they are dead for this long, so a wrongly buried node learns and refutes. */
  gossipToTheDeadMs: number;
  /** The first incarnation this run announces (the daemon derives it from the boot counter). */
  incarnation: number;
}

export const DEFAULT_CONFIG: Omit<GossipConfig, 'name' | 'addr' | 'seeds' | 'incarnation'> = {
  probeIntervalMs: 500,
  probeTimeoutMs: 200,
  indirectChecks: 3,
  suspicionMult: 3,
  suspicionMaxTimeoutMult: 6,
  suspicionConfirmations: 1,
  deathQuorum: 2,
  retransmitMult: 3,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  pushPullIntervalMs: 30_000,
  awarenessMax: 8,
  suspectProbeFanout: 4,
  maxPacketBytes: 1400,
  maxSkewMs: 5 * 60_000,
  gossipToTheDeadMs: 15_000,
};

export type Outbound =
  /** One UDP datagram. */
  | { kind: 'packet'; to: Addr; bytes: Uint8Array }
  /** Open a stream (TCP) to `to`, send `bytes` as one frame, feed each reply to receiveStreamReply. */
  | { kind: 'stream'; to: Addr; bytes: Uint8Array };

export interface MemberView {
  name: string;
  addr: Addr;
  state: MemberState;
  incarnation: number;
  /** A verified, unexpired attestation record is held for its current announcement. */
  attested: boolean;
  /** When this node last changed the member's state, ms since the epoch. */
  updatedAt: number;
  self: boolean;
}

/** A state change this node made, for logs and the heal loop. */
export interface MemberEvent {
  name: string;
  from: MemberState | null;
  to: MemberState;
  incarnation: number;
  at: number;
  /**
   * On a change to suspect or dead: the distinct verified members (never the
   * subject) whose signed suspicion or death of it this node holds at the
   * incarnation accused, each once however often it spoke. The heal loop
   * counts them as its K confirmations (agent/heal/from-gossip.ts).
   */
  confirmers?: string[];
}

/** A member asked this node to wake `subject` (wake.ts): the daemon sends the magic packet for `mac`. */
export interface WakeRequest {
  from: string;
  subject: string;
  mac: Uint8Array;
  at: number;
}

/** What a hostile or broken input cost: the driver logs one line per item. */
export interface Rejection {
  from: Addr;
  error: GossipError;
  at: number;
}
