// `agent COMMAND [flags]`: dispatch, --help/--version, and the exit-code contract.

import { parseArgs, flagHelp, type FlagSpec } from './args.ts';
import type { Command } from './command.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import { processIo, type Io } from './io.ts';
import { VERSION, COMMIT } from '../version.ts';
import { monotonicMs } from '../clock.ts';

/** One line per command. A command's module (and what it imports: the TPM codec, CBOR, FFI)
 * loads only when that command runs, so `agent report` does not pay for `agent attest`. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

/** Adding a command: write it in its own file and list it here. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'report', summary: "print this machine's out-of-band management capabilities", load: async () => (await import('./report.ts')).reportCommand },
  { name: 'run', summary: 'run the agent daemon', load: async () => (await import('./run.ts')).runCommand },
  { name: 'tpm', summary: 'TPM 2.0: quote PCRs with the node AK, verify a quote, show TPM info', load: async () => (await import('./tpm.ts')).tpmCommand },
  { name: 'org', summary: 'create the org key pair that signs node certificates, and its recovery key for sealed credentials', load: async () => (await import('./org.ts')).orgCommand },
  { name: 'enroll', summary: "create a node's long-term key and its org-signed certificate", load: async () => (await import('./enroll.ts')).enrollCommand },
  { name: 'attest', summary: "print this node's signed attestation record, or verify one", load: async () => (await import('./attest.ts')).attestCommand },
  { name: 'members', summary: 'list the gossip members a running daemon sees', load: async () => (await import('./members.ts')).membersCommand },
  { name: 'oob', summary: 'drive one out-of-band channel (BMC, PDU, hypervisor, cloud API, Wake-on-LAN): status, on, off, cycle, reset', load: async () => (await import('./oob.ts')).oobCommand },
  { name: 'amt', summary: 'Intel ME/AMT over MEI: info, activate (CCM), deactivate, redirection features', load: async () => (await import('./amt.ts')).amtCommand },
  { name: 'bmc', summary: 'the BMC in band over /dev/ipmi0: info, add a user, harden', load: async () => (await import('./bmc.ts')).bmcCommand },
  { name: 'policy', summary: "the org's OOB policy: sign, show, plan, apply (use / neutralize / ignore)", load: async () => (await import('./policy.ts')).policyCommand },
  { name: 'vault', summary: 'credentials sealed to the org: list (no secrets), open (with the org recovery key)', load: async () => (await import('./vault.ts')).vaultCommand },
  { name: 'heal', summary: "the healing decisions and actions this node took: its signed audit log", load: async () => (await import('./heal.ts')).healCommand },
  { name: 'status', summary: "show this node's gossip status from the running daemon", load: async () => (await import('./status.ts')).statusCommand },
];

const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', kind: 'boolean', help: 'show this help' };

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `agent ${VERSION}: FortrOS out-of-band management agent`,
    '',
    'usage: agent COMMAND [flags]',
    '       agent --version | --help',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'agent COMMAND --help' for a command's flags.",
    'Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 not supported on this machine.',
    '',
  ].join('\n');
}

function commandHelp(c: Command, summary: string): string {
  return [`usage: ${c.usage}`, '', summary, '', 'flags:', flagHelp([...c.flags, HELP_FLAG]), ...(c.details ? ['', c.details] : []), ''].join('\n');
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<ExitCode> {
  const startedAt = monotonicMs();
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.out(topHelp());
    return first === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (first === '--version' || first === '-V') {
    io.out(`agent ${VERSION} (${COMMIT}) node ${process.versions.node}\n`);
    return EXIT.OK;
  }
  const entry = COMMANDS.find((c) => c.name === first);
  try {
    if (!entry) throw new UsageError(first.startsWith('-') ? `agent: unknown flag ${first} (see 'agent --help')` : `agent: unknown command '${first}' (see 'agent --help')`);
    const cmd = await entry.load();
    const args = parseArgs(`agent ${cmd.name}`, rest, [...cmd.flags, HELP_FLAG], cmd.maxPositionals ?? 0);
    if (args.flags.has('help')) {
      io.out(commandHelp(cmd, entry.summary));
      return EXIT.OK;
    }
    // Loaded only by the commands that log: pino's start-up is a tenth of `agent oob`'s whole run.
    const logger = async () => {
      const { createLogger, chooseFormat } = await import('../log.ts');
      return createLogger({ format: chooseFormat(io.env, io.stderrIsTTY), write: io.err });
    };
    return await cmd.run(args, { io, logger, startedAt });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
}
