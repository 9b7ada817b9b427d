// What the heal loop needs from the rest of the daemon, gathered in one place:
// the fencing rules of the policy this node applied (the same signed document
// on every node, so every node ranks and waits alike), the org recovery key
// if this node is a healer, and the vault. A missing piece is logged and the
// loop runs without it: a node that cannot act still confirms deaths, stands
// down for leases and writes its audit log.

import { join } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULTS } from '../policy/schema.ts';
import { POLICY_FILE } from '../policy/apply.ts';
import { loadPolicy } from '../policy/document.ts';
import type { Fencing } from '../heal/types.ts';
import { loadRecoveryKeyFile, type RecoveryKeyPair } from '../identity/store.ts';
import type { NodeVault } from '../vault/store.ts';
import { verr } from '../vault/result.ts';
import type { AgentConfig } from './config.ts';
import type { GossipMember, HealHooks } from './gossip.ts';
import { startHealLoop, type HealLoop } from './heal.ts';

/** The fencing rules: the applied policy's, else the policy defaults (what a node that took no policy follows). */
export function fencingFor(stateDir: string, identityDir: string, log: Logger): Fencing {
  const l = loadPolicy({ path: join(stateDir, POLICY_FILE), identityDir });
  if (l.ok) return l.policy.fencing;
  log.info({ reason: l.reason }, 'heal: no applied policy; fencing by the policy defaults');
  return { ...DEFAULTS.fencing, channels: [...DEFAULTS.fencing.channels] };
}

export function startHealing(config: AgentConfig, d: { member: GossipMember; vault: NodeVault | null; hooks: HealHooks; log: Logger }): HealLoop | null {
  const { log } = d;
  const stateDir = config.state.dir;
  const identityDir = config.node.identityDir;
  if (stateDir === null || identityDir === null) {
    log.error('heal: needs state.dir and node.identityDir; healing is off');
    return null;
  }
  let recovery: RecoveryKeyPair | null = null;
  if (config.heal.recoveryKey !== null) {
    const r = loadRecoveryKeyFile(config.heal.recoveryKey);
    if (r.ok) recovery = r.value;
    else log.error({ path: config.heal.recoveryKey, code: r.error.code, err: r.error.message }, 'heal: recovery key unreadable; this node will not act');
  }
  const none = verr('IO', 'no vault: the identity has no vault keys');
  const vault: Pick<NodeVault, 'list' | 'raw'> = d.vault ?? { list: () => none, raw: () => none };
  const loop = startHealLoop({
    self: config.node.name,
    settings: config.heal,
    fencing: fencingFor(stateDir, identityDir, log),
    stateDir,
    driver: d.member.driver,
    vault,
    orgPublicKey: d.member.orgPublicKey,
    recovery,
    session: d.member.session,
    probeIntervalMs: config.gossip?.probeIntervalMs ?? 500,
    log,
  });
  d.hooks.onEvents = loop.onEvents;
  d.hooks.onLease = loop.onLease;
  log.info({ healer: recovery !== null, healers: config.heal.healers.length, gateway: config.heal.gateway !== null }, 'heal: loop started');
  return loop;
}
