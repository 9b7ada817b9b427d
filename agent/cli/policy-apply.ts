// `agent policy apply --policy FILE (--org DIR | --identity DIR) --state DIR
// [--facts FILE] [--root DIR] [--json]`, dispatched from policy.ts: verify the
// policy (a refused one means mode ignore: nothing is changed, exit 1 with
// why), build the report (asking the firmware in band), plan, then execute
// the plan step by step (policy/apply.ts). The apply record goes to
// state.dir after every step; the credentials made go into the vault under
// state.dir, sealed to the org. Exit 0 only when every step is done or already so.

import { timeoutFlagMs, type FlagSpec, type Parsed } from './args.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import type { Io } from './io.ts';
import { reportFor } from './policy.ts';
import { cok, deadlineIn, type ChannelResult } from '../channels/types.ts';
import { loadIdentity } from '../identity/store.ts';
import { IpmiDevice } from '../ipmi/device.ts';
import { openDeviceBus } from '../mei/device.ts';
import { applied, applyPlan, keepPolicy, writeApplyRecord } from '../policy/apply.ts';
import { readApplyRecord } from '../policy/applied.ts';
import { randomPassword } from '../policy/apply-password.ts';
import type { ApplyDeps, BmcLink } from '../policy/apply-types.ts';
import { effective, loadPolicyBytes, orgPublicKey, readPolicyFile, type OrgKeySource } from '../policy/document.ts';
import { NO_FACTS, readFacts, type PlanFacts } from '../policy/facts.ts';
import { plan } from '../policy/plan.ts';
import type { ApplyRecord } from '../policy/types.ts';
import type { VaultStore } from '../vault/types.ts';
import { openVault } from '../vault/store.ts';

/** apply's own flags; policy.ts merges them into `agent policy --help`. */
export const APPLY_FLAGS: FlagSpec[] = [
  { name: 'policy', kind: 'string', value: 'FILE', help: 'apply: the signed policy' },
  { name: 'org', kind: 'string', value: 'DIR', help: "apply: the org directory whose org.pub verifies the policy (else the identity's)" },
  { name: 'identity', kind: 'string', value: 'DIR', help: "apply: the node's identity: its org.pub verifies the policy, its key signs the vault records" },
  { name: 'state', kind: 'string', value: 'DIR', help: 'apply: state.dir: the apply record and the vault are kept there' },
  { name: 'facts', kind: 'string', value: 'FILE', help: 'apply: what enrollment states (as for plan)' },
  { name: 'root', kind: 'string', value: 'DIR', help: 'apply: sysfs and /etc under DIR (a test tree; no device is asked)' },
  { name: 'timeout', kind: 'string', value: 'S', help: 'apply: seconds for the whole apply (default 300)' },
  { name: 'json', kind: 'boolean', help: 'print one JSON object' },
];

const OWN = new Set(APPLY_FLAGS.map((f) => f.name));
const DEFAULT_TIMEOUT_S = 300;

const str = (args: Parsed, k: string): string | undefined => {
  const v = args.flags.get(k);
  return typeof v === 'string' ? v : undefined;
};

/** The serial of the last apply, so an older policy is refused (ROLLBACK). */
const lastSerial = (stateDir: string): number | null => readApplyRecord(stateDir)?.serial ?? null;

/** Without a node identity nothing can be sealed: every vault step says so. */
const noVault = (why: string): VaultStore => ({
  put: async () => ({ ok: false, error: { code: 'NO_KEY', message: why } }),
  list: () => ({ ok: false, error: { code: 'NO_KEY', message: why } }),
  raw: () => ({ ok: false, error: { code: 'NO_KEY', message: why } }),
});

const openBmc = async (): Promise<ChannelResult<BmcLink>> => {
  const r = IpmiDevice.open();
  if (!r.ok) return r;
  const dev = r.value;
  return cok({ transport: dev, close: async () => dev.close() });
};

function render(r: ApplyRecord, ok: boolean): string {
  const lines = r.steps.map((s) => `  ${s.outcome.padEnd(8)} ${s.id}: ${s.detail}`);
  return `policy serial ${r.serial} (${r.policyDigest.slice(0, 16)}): ${ok ? 'applied' : 'NOT fully applied'}\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
}

export async function runApply(args: Parsed, io: Io): Promise<ExitCode> {
  for (const k of args.flags.keys()) if (!OWN.has(k)) throw new UsageError(`agent policy apply: --${k} does not apply here`);
  if (args.positionals.length > 1) throw new UsageError(`agent policy apply: unexpected argument '${args.positionals[1]}'`);
  const path = str(args, 'policy');
  const state = str(args, 'state');
  if (path === undefined) throw new UsageError('agent policy apply: --policy FILE is required');
  if (state === undefined) throw new UsageError('agent policy apply: --state DIR is required (the apply record and the vault live there)');
  const org = str(args, 'org');
  const identity = str(args, 'identity');
  const key: OrgKeySource | null = org !== undefined ? { orgDir: org } : identity !== undefined ? { identityDir: identity } : null;
  if (key === null) throw new UsageError('agent policy apply: the org public key comes from --org DIR or --identity DIR');
  const ms = timeoutFlagMs(args, 'agent policy apply', DEFAULT_TIMEOUT_S);
  const json = args.flags.has('json');
  const root = str(args, 'root');

  // The bytes verified are the bytes kept: read once, verified, then stored under state.dir.
  const signed = readPolicyFile(path);
  const orgKey = orgPublicKey(key);
  const l = !signed.ok ? effective(signed) : !orgKey.ok ? effective(orgKey) : loadPolicyBytes(signed.value, orgKey.value, lastSerial(state));
  if (!l.ok) {
    if (json) io.out(`${JSON.stringify({ ok: false, error: l.error, mode: l.mode, reason: l.reason })}\n`);
    io.err(`agent policy apply: refused (${l.error.code}): ${l.error.message}\nthe effective mode is ignore: nothing was changed\n`);
    return EXIT.FAILED;
  }
  let facts: PlanFacts = NO_FACTS;
  const factsPath = str(args, 'facts');
  if (factsPath !== undefined) {
    const f = readFacts(factsPath);
    if (!f.ok) {
      io.err(`agent policy apply: ${f.error.code}: ${f.error.message}; nothing was changed\n`);
      return EXIT.FAILED;
    }
    facts = f.value;
  }
  const p = plan(l.policy, l.digest, await reportFor(root), facts);
  if (signed.ok) {
    try {
      keepPolicy(state, signed.value);
    } catch (e) {
      io.err(`agent policy apply: cannot keep the policy under ${state}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; nothing was changed\n`);
      return EXIT.FAILED;
    }
  }

  let vault: VaultStore = noVault('no node identity (--identity DIR): credentials cannot be sealed to the org');
  if (identity !== undefined) {
    const v = openVault({ stateDir: state, identityDir: identity });
    vault = v.ok ? v.value : noVault(`vault: ${v.error.code}: ${v.error.message}`);
  }
  const deps: ApplyDeps = {
    openMei: () => openDeviceBus(),
    openBmc,
    vault,
    // The vault stamps its records with the identity's node name; the executor looks for those.
    node: nodeName(identity),
    randomPassword,
    root: root ?? '/',
    now: () => Math.floor(Date.now() / 1000),
  };

  let writeError: string | null = null;
  const keep = (r: ApplyRecord): void => {
    try {
      writeApplyRecord(state, r);
    } catch (e) {
      writeError = `${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
  };
  const record = await applyPlan(p, deps, deadlineIn(ms), { progress: keep });
  keep(record);
  const ok = applied(record) && writeError === null;
  if (json) io.out(`${JSON.stringify({ ok, mode: p.mode, record, notes: p.notes, ...(writeError ? { recordWriteError: writeError } : {}) }, null, 2)}\n`);
  else (ok ? io.out : io.err)(render(record, ok) + p.notes.map((n) => `  note: ${n}\n`).join(''));
  if (writeError) io.err(`agent policy apply: the record could not be written under ${state}: ${writeError}\n`);
  return ok ? EXIT.OK : EXIT.FAILED;
}

function nodeName(identity: string | undefined): string {
  if (identity === undefined) return '';
  const id = loadIdentity(identity);
  return id.ok ? id.value.name : '';
}
