// `agent policy sign|show|plan|apply`: the org's OOB policy as a signed document
// (agent/policy/document.ts), what it means on this machine (plan.ts, changing
// nothing), and applying it (policy-apply.ts). A policy the org key does not
// verify is refused with its typed reason; a node then runs as `ignore`.

import { readFileSync } from 'node:fs';
import type { FlagSpec, Parsed } from './args.ts';
import type { Command } from './command.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import type { Io } from './io.ts';
import { APPLY_FLAGS, runApply } from './policy-apply.ts';
import { writeFileAtomic } from '../identity/keys.ts';
import { loadOrg } from '../identity/store.ts';
import { loadPolicy, signPolicy, type LoadedPolicy, type OrgKeySource } from '../policy/document.ts';
import { NO_FACTS, readFacts, type PlanFacts } from '../policy/facts.ts';
import { plan } from '../policy/plan.ts';
import { policyFromJsonText } from '../policy/schema.ts';
import type { Plan, Policy } from '../policy/types.ts';
import type { Report } from '../probe/report.ts';
import { SysRoot } from '../probe/sysroot.ts';

const SUBCOMMANDS = ['sign', 'show', 'plan', 'apply'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

const OWN_FLAGS: FlagSpec[] = [
  { name: 'org', kind: 'string', value: 'DIR', help: 'org directory: org.key signs (sign), org.pub verifies (show, plan)' },
  { name: 'identity', kind: 'string', value: 'DIR', help: "the node's identity directory: its org.pub verifies (show, plan)" },
  { name: 'in', kind: 'string', value: 'FILE', help: 'sign: the policy as JSON' },
  { name: 'out', kind: 'string', value: 'FILE', help: 'sign: where the signed policy (COSE_Sign1) goes' },
  { name: 'policy', kind: 'string', value: 'FILE', help: 'plan, apply: the signed policy' },
  { name: 'root', kind: 'string', value: 'DIR', help: 'plan: read sys/, proc/, dev/ under DIR (a fixture tree; no device is asked)' },
  { name: 'facts', kind: 'string', value: 'FILE', help: 'plan: what enrollment states, JSON {channels: [{channel, ...ids}], lan: {ip, netmask, gateway}}' },
  { name: 'json', kind: 'boolean', help: 'print one JSON object' },
];

/** The flags each subcommand takes; apply's are its own (policy-apply.ts) and checked there. */
const ALLOWED: Record<Exclude<Sub, 'apply'>, readonly string[]> = {
  sign: ['org', 'in', 'out', 'json'],
  show: ['org', 'identity', 'json'],
  plan: ['policy', 'org', 'identity', 'root', 'facts', 'json'],
};

function mergedFlags(): FlagSpec[] {
  const names = new Set(OWN_FLAGS.map((f) => f.name));
  return [...OWN_FLAGS, ...APPLY_FLAGS.filter((f) => !names.has(f.name))];
}

const str = (args: Parsed, k: string): string | undefined => {
  const v = args.flags.get(k);
  return typeof v === 'string' ? v : undefined;
};

function need(args: Parsed, sub: Sub, k: string, what: string): string {
  const v = str(args, k);
  if (v === undefined) throw new UsageError(`agent policy ${sub}: --${k} ${what} is required`);
  return v;
}

function keySource(args: Parsed, sub: Sub): OrgKeySource {
  const org = str(args, 'org');
  const identity = str(args, 'identity');
  if (org !== undefined && identity !== undefined) throw new UsageError(`agent policy ${sub}: give --org DIR or --identity DIR, not both`);
  if (org !== undefined) return { orgDir: org };
  if (identity !== undefined) return { identityDir: identity };
  throw new UsageError(`agent policy ${sub}: the org public key comes from --org DIR or --identity DIR`);
}

function refused(io: Io, sub: Sub, l: Extract<LoadedPolicy, { ok: false }>, json: boolean): ExitCode {
  if (json) io.out(`${JSON.stringify({ ok: false, error: l.error, mode: l.mode, reason: l.reason }, null, 2)}\n`);
  io.err(`agent policy ${sub}: refused (${l.error.code}): ${l.error.message}\nthe effective mode is ignore: nothing would be changed\n`);
  return EXIT.FAILED;
}

async function sign(args: Parsed, io: Io): Promise<ExitCode> {
  const orgDir = need(args, 'sign', 'org', 'DIR');
  const inPath = need(args, 'sign', 'in', 'FILE');
  const outPath = need(args, 'sign', 'out', 'FILE');
  const org = loadOrg(orgDir);
  if (!org.ok) {
    io.err(`agent policy sign: ${org.error.message}\n`);
    return EXIT.FAILED;
  }
  let text: string;
  try {
    text = readFileSync(inPath, 'utf8');
  } catch (e) {
    io.err(`agent policy sign: ${inPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return EXIT.FAILED;
  }
  const p = policyFromJsonText(text, Math.floor(Date.now() / 1000));
  if (!p.ok) {
    io.err(`agent policy sign: ${inPath}: ${p.error.code}: ${p.error.message}\n`);
    return EXIT.FAILED;
  }
  const bytes = signPolicy(p.value, org.value);
  try {
    writeFileAtomic(outPath, bytes, 0o644);
  } catch (e) {
    io.err(`agent policy sign: ${outPath}: ${(e as Error).message}\n`);
    return EXIT.FAILED;
  }
  // Verified as a node would, so what was written is known to load.
  const check = loadPolicy({ path: outPath, orgDir });
  if (!check.ok) return refused(io, 'sign', check, false);
  if (args.flags.has('json')) io.out(`${JSON.stringify({ ok: true, out: outPath, digest: check.digest, orgKeyId: check.orgKeyId, policy: check.policy }, null, 2)}\n`);
  else io.out(`signed policy serial ${p.value.serial} (oob ${p.value.oob}) with org key ${check.orgKeyId}\ndigest ${check.digest}\n${outPath}\n`);
  return EXIT.OK;
}

export function renderPolicy(p: Policy): string {
  const yes = (b: boolean): string => (b ? 'yes' : 'no');
  return [
    `serial          : ${p.serial}`,
    `issued          : ${new Date(p.issued * 1000).toISOString()}`,
    `oob             : ${p.oob}`,
    `amt             : provision ${yes(p.amt.provision)}, control mode ${p.amt.controlMode}, SOL ${yes(p.amt.sol)}, IDE-R ${yes(p.amt.ider)}, KVM ${yes(p.amt.kvm)}`,
    `bmc             : provision ${yes(p.bmc.provision)}, user ${p.bmc.user} (${p.bmc.privilege}), harden ${yes(p.bmc.harden)}, lan ${p.bmc.lan}`,
    `watchdog        : timeout ${p.watchdog.timeoutS} s`,
    `fencing         : quorum ${p.fencing.quorum}, ${p.fencing.confirmations} confirmations, actor delay ${p.fencing.actorDelayS} s, channels ${p.fencing.channels.length > 0 ? p.fencing.channels.join(', ') : 'any'}, unattested peers ${p.fencing.unattestedPeers ? 'may act' : 'may not act'}`,
  ].join('\n');
}

async function show(args: Parsed, io: Io): Promise<ExitCode> {
  const file = args.positionals[1];
  if (file === undefined) throw new UsageError('agent policy show: FILE (the signed policy) is required');
  const json = args.flags.has('json');
  const l = loadPolicy({ path: file, ...keySource(args, 'show') });
  if (!l.ok) return refused(io, 'show', l, json);
  if (json) io.out(`${JSON.stringify({ ok: true, digest: l.digest, orgKeyId: l.orgKeyId, mode: l.mode, policy: l.policy }, null, 2)}\n`);
  else io.out(`verified: signed by org key ${l.orgKeyId}\ndigest          : ${l.digest}\n${renderPolicy(l.policy)}\n`);
  return EXIT.OK;
}

export function renderPlan(p: Plan): string {
  const lines = [`plan for policy serial ${p.serial} (oob ${p.mode}), digest ${p.policyDigest.slice(0, 16)}; nothing has been changed`];
  lines.push(p.steps.length > 0 ? 'steps:' : 'steps: none');
  p.steps.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${s.id}: ${s.why}`);
    const params = Object.entries(s.params);
    if (params.length > 0) lines.push(`     ${params.map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
  });
  if (p.notes.length > 0) lines.push('notes:', ...p.notes.map((n) => `  - ${n}`));
  return `${lines.join('\n')}\n`;
}

/** The live report asks the firmware in band; a fixture tree is read from files only. */
export async function reportFor(root: string | undefined): Promise<Report> {
  // Loaded here: sign and show need none of the probes or the device drivers.
  const [{ buildReport }, { askInBand, notAsked }] = await Promise.all([import('../probe/report.ts'), import('../probe/in-band.ts')]);
  if (root === undefined) return buildReport(new SysRoot('/'), new Date(), undefined, await askInBand());
  return buildReport(new SysRoot(root), new Date(), undefined, notAsked(`not asked: --root ${root} is a fixture tree, its devices are not opened`));
}

async function planCmd(args: Parsed, io: Io): Promise<ExitCode> {
  const path = need(args, 'plan', 'policy', 'FILE');
  const json = args.flags.has('json');
  const l = loadPolicy({ path, ...keySource(args, 'plan') });
  if (!l.ok) return refused(io, 'plan', l, json);
  let facts: PlanFacts = NO_FACTS;
  const factsPath = str(args, 'facts');
  if (factsPath !== undefined) {
    const f = readFacts(factsPath);
    if (!f.ok) {
      io.err(`agent policy plan: ${f.error.code}: ${f.error.message}\n`);
      return EXIT.FAILED;
    }
    facts = f.value;
  }
  const root = str(args, 'root');
  const sys = new SysRoot(root ?? '/');
  if (root !== undefined && !sys.exists('/sys') && !sys.exists('/proc')) {
    io.err(`agent policy plan: nothing to probe under ${root} (no sys/ or proc/)\n`);
    return EXIT.FAILED;
  }
  const p = plan(l.policy, l.digest, await reportFor(root), facts);
  io.out(json ? `${JSON.stringify(p, null, 2)}\n` : renderPlan(p));
  return EXIT.OK;
}

export const policyCommand: Command = {
  name: 'policy',
  usage: 'agent policy sign|show|plan|apply [options]',
  details: [
    'sign --org DIR --in FILE --out FILE: the JSON policy, signed by the org key (COSE_Sign1 over',
    '  deterministic CBOR). Absent keys take their defaults: oob "ignore", amt {provision, sol},',
    '  bmc {provision, user "fortros-oob", operator}; see agent/policy/schema.ts. serial is required.',
    'show FILE (--org DIR | --identity DIR): the verified policy, or exit 1 with why it is refused',
    '  (UNSIGNED, FOREIGN, BAD_SIGNATURE, MALFORMED, ROLLBACK, UNREADABLE).',
    'plan --policy FILE (--org DIR | --identity DIR) [--root DIR] [--facts FILE]: the steps apply',
    '  would take on this machine and why, changing nothing. Without --root the firmware is asked',
    '  in band (AMT over MEI, the BMC over /dev/ipmi0), as `agent report` does.',
    'apply: see its flags. A refused policy means mode ignore: nothing is changed.',
  ].join('\n'),
  flags: mergedFlags(),
  maxPositionals: 2,
  async run(args, { io }) {
    const sub = args.positionals[0];
    if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new UsageError(`agent policy: ${sub ? `unknown subcommand '${sub}'` : 'a subcommand is required'} (${SUBCOMMANDS.join(', ')})`);
    }
    if (sub === 'apply') return runApply(args, io);
    const s = sub as Exclude<Sub, 'apply'>;
    for (const k of args.flags.keys()) if (!ALLOWED[s].includes(k)) throw new UsageError(`agent policy ${s}: --${k} does not apply here`);
    if (s !== 'show' && args.positionals.length > 1) throw new UsageError(`agent policy ${s}: unexpected argument '${args.positionals[1]}'`);
    if (s === 'sign') return sign(args, io);
    if (s === 'show') return show(args, io);
    return planCmd(args, io);
  },
};
