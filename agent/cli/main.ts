// `agent COMMAND [flags]`: dispatch, --help/--version, and the exit-code contract.

import { parseArgs, flagHelp, type FlagSpec } from './args.ts';
import type { Command } from './command.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import { processIo, type Io } from './io.ts';
import { reportCommand } from './report.ts';
import { runCommand } from './run.ts';
import { tpmCommand } from './tpm.ts';
import { orgCommand } from './org.ts';
import { enrollCommand } from './enroll.ts';
import { attestCommand } from './attest.ts';
import { createLogger, chooseFormat } from '../log.ts';
import { VERSION, COMMIT } from '../version.ts';

/** Adding a command: write it in its own file and list it here. */
export const COMMANDS: readonly Command[] = [
  reportCommand,
  runCommand,
  tpmCommand,
  orgCommand,
  enrollCommand,
  attestCommand,
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

function commandHelp(c: Command): string {
  return [`usage: ${c.usage}`, '', c.summary, '', 'flags:', flagHelp([...c.flags, HELP_FLAG]), ...(c.details ? ['', c.details] : []), ''].join('\n');
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<ExitCode> {
  const startedAt = performance.now();
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.out(topHelp());
    return first === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (first === '--version' || first === '-V') {
    io.out(`agent ${VERSION} (${COMMIT}) node ${process.versions.node}\n`);
    return EXIT.OK;
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  try {
    if (!cmd) throw new UsageError(first.startsWith('-') ? `agent: unknown flag ${first} (see 'agent --help')` : `agent: unknown command '${first}' (see 'agent --help')`);
    const args = parseArgs(`agent ${cmd.name}`, rest, [...cmd.flags, HELP_FLAG], cmd.maxPositionals ?? 0);
    if (args.flags.has('help')) {
      io.out(commandHelp(cmd));
      return EXIT.OK;
    }
    const log = createLogger({ format: chooseFormat(io.env, io.stderrIsTTY), write: io.err });
    return await cmd.run(args, { io, log, startedAt });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
}
