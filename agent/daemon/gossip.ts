// Turns the daemon's config and the node's enrolled identity into a running
// gossip member: the per-boot session key and its binding, the Trust that
// checks peers against the org key, and the core's settings. A node that
// cannot prove who it is has nothing to gossip, so every gap here is fatal
// with a message that names the file.

import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { GossipDriver } from '../gossip/driver.ts';
import type { RecordBlob, RecordOptions } from '../gossip/records.ts';
import { SwimNode } from '../gossip/swim.ts';
import { identityTrust, INCARNATION_SPAN } from '../gossip/trust.ts';
import { DEFAULT_CONFIG, type GossipConfig, type MemberEvent, type WakeRequest } from '../gossip/types.ts';
import type { LeaseMessage } from '../gossip/lease-desk.ts';
import type { AuditSigner } from '../heal/audit.ts';
import type { SigningKey } from '../heal/lease.ts';
import type { KeyObject } from 'node:crypto';
import { readPublicKey } from '../identity/keys.ts';
import { buildRecord, type RecordInput } from '../identity/record.ts';
import { createSession } from '../identity/session.ts';
import { incarnationFor, loadIdentity } from '../identity/store.ts';
import type { SysRoot } from '../probe/sysroot.ts';
import { orgKeyPath, type AgentConfig } from './config.ts';

export type GossipSetupCode = 'NO_IDENTITY' | 'NO_ORG_KEY' | 'NAME_MISMATCH' | 'NO_BOOT_ID' | 'INCARNATION';

export class GossipSetupError extends Error {
  constructor(
    readonly code: GossipSetupCode,
    message: string,
  ) {
    super(message);
    this.name = 'GossipSetupError';
  }
}

export const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

/**
 * Uniform in [0, 1) from the OS's CSPRNG. The core draws a handful of numbers
 * per probe interval (probe order, gossip targets, indirect helpers), so the
 * cost does not matter, and a member watching the traffic cannot predict whom
 * this node will ask next, which Math.random's state would let it do.
 */
export const cryptoRandom = (): number => randomInt(2 ** 48 - 1) / 2 ** 48;

export interface GossipMember {
  /** `start()` opens the sockets and joins. */
  driver: GossipDriver;
  /** This run's attestation record, signed by the session key the node gossips with. */
  makeRecord(input: RecordInput): Uint8Array;
  /** This run's session key, for what else the node signs in its name (heal leases, audit lines). */
  session: SigningKey & AuditSigner;
  orgPublicKey: KeyObject;
}

/** The heal loop's inputs, bound after the driver exists (the loop needs the driver). */
export interface HealHooks {
  onEvents?: (events: MemberEvent[]) => void;
  onLease?: (l: LeaseMessage) => void;
}

/** Builds the core, its driver and the record maker of this run's session. */
export async function buildGossip(
  config: AgentConfig,
  deps: { sys: SysRoot; log: Logger; onWake?: (w: WakeRequest) => void; records?: { options: RecordOptions; onRecord: (r: RecordBlob) => void }; heal?: HealHooks },
): Promise<GossipMember> {
  const g = config.gossip;
  if (g === null) throw new Error('buildGossip called without a gossip section');
  const dir = config.node.identityDir;
  if (dir === null) throw new GossipSetupError('NO_IDENTITY', 'gossip needs node.identityDir');
  const identity = loadIdentity(dir);
  if (!identity.ok) throw new GossipSetupError('NO_IDENTITY', `node identity in ${dir}: ${identity.error.message}`);
  if (identity.value.name !== config.node.name) {
    throw new GossipSetupError('NAME_MISMATCH', `node.name is '${config.node.name}' but the certificate in ${dir} is for '${identity.value.name}'`);
  }
  const orgPath = orgKeyPath(config);
  if (orgPath === null) throw new GossipSetupError('NO_ORG_KEY', 'no org public key configured (gossip.orgKey or org.pub in node.identityDir)');
  const org = readPublicKey(orgPath);
  if (!org.ok) throw new GossipSetupError('NO_ORG_KEY', `org public key ${orgPath}: ${org.error.message}`);
  const boot = deps.sys.readText(BOOT_ID_PATH, 256);
  if (!boot.ok) throw new GossipSetupError('NO_BOOT_ID', `boot id: ${boot.error.message}`);
  const bootId = boot.value.trim();
  // One incarnation block per run, not per boot: a restarted agent has a new session key, and its
  // announcements must outrank everything its previous run said, refutations included.
  const inc = incarnationFor(dir, `${bootId}/run/${process.pid}/${Date.now()}`, Math.floor(Date.now() / 1000));
  if (!inc.ok) throw new GossipSetupError('INCARNATION', `incarnation in ${dir}: ${inc.error.message}`);

  const session = await createSession(identity.value, bootId, inc.value, null);
  const trust = identityTrust({ identity: identity.value, session, org: org.value });
  const cfg: GossipConfig = {
    ...DEFAULT_CONFIG,
    deathQuorum: g.deathQuorum,
    probeIntervalMs: g.probeIntervalMs,
    probeTimeoutMs: g.probeTimeoutMs,
    suspicionMult: g.suspicionMult,
    gossipIntervalMs: g.gossipIntervalMs,
    pushPullIntervalMs: g.pushPullIntervalMs,
    indirectChecks: g.indirectChecks,
    name: config.node.name,
    addr: g.advertise ?? g.bind,
    // A node never seeds itself: its own address in a shared seed list would only cost a ping to itself.
    seeds: g.seeds.filter((s) => s !== (g.advertise ?? g.bind)),
    incarnation: inc.value * INCARNATION_SPAN,
  };
  const now = Date.now();
  const core = new SwimNode(cfg, trust, cryptoRandom, now, deps.records ? { records: deps.records.options } : {});
  deps.log.info({ node: cfg.name, addr: cfg.addr, bind: g.bind, seeds: cfg.seeds.length, incarnation: cfg.incarnation }, 'gossip configured');
  const id = identity.value;
  return {
    driver: new GossipDriver({
      core,
      bind: g.bind,
      maxPacketBytes: cfg.maxPacketBytes,
      log: deps.log,
      ...(deps.onWake ? { onWake: deps.onWake } : {}),
      ...(deps.records ? { onRecord: deps.records.onRecord } : {}),
      ...(deps.heal ? { onEvents: (e: MemberEvent[]) => deps.heal?.onEvents?.(e), onLease: (l: LeaseMessage) => deps.heal?.onLease?.(l) } : {}),
    }),
    makeRecord: (input) => buildRecord(id, session, input),
    session: { privateKey: session.privateKey, kid: session.kid, publicKey: session.sessionKey, binding: session.bindingBytes },
    orgPublicKey: org.value,
  };
}
