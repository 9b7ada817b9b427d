// `vault.record-channel`: the reference the enrollment gave for a channel the
// node cannot reach itself (PDU outlet, hypervisor VM id, VPS server id),
// recorded in the vault so peers know how to fence this node. No secret:
// every fact is in the record's public meta, and the sealed part (which a
// record must have) is the same reference as JSON.

import type { Deadline } from '../channels/types.ts';
import type { VaultEntry } from '../vault/types.ts';
import type { PlanStep } from './types.ts';
import { already, done, failed, strParam, type ApplyDeps, type RunContext, type StepResult } from './apply-types.ts';

const sameMeta = (a: VaultEntry['meta'], b: VaultEntry['meta']): boolean => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
};

export async function recordChannelStep(s: PlanStep, deps: ApplyDeps, _ctx: RunContext, _d: Deadline): Promise<StepResult> {
  const channel = strParam(s, 'channel');
  if (channel === null) return failed('the plan names no channel (params.channel)');
  const id = `channel-ref:${channel}`;
  const meta = s.params;
  const list = deps.vault.list();
  if (!list.ok) return failed(`vault: ${list.error.code}: ${list.error.message}`);
  const rec = list.value.filter((e) => e.node === deps.node && e.id === id).sort((a, b) => b.seq - a.seq)[0];
  if (rec && sameMeta(rec.meta, meta)) return already(`${id} seq ${rec.seq} holds the same reference`);
  const put = await deps.vault.put('channel-ref', id, Buffer.from(JSON.stringify(meta)), meta);
  if (!put.ok) return failed(`vault: ${put.error.code}: ${put.error.message}`);
  return done(`${id} seq ${put.value.seq}`);
}
