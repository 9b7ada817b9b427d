import type { FlagSpec, Parsed } from './args.ts';
import type { ExitCode } from './exit.ts';
import type { Io } from './io.ts';
import type { Logger } from 'pino';

export interface Command {
  name: string;
  usage: string;
  /** Paragraphs printed after the flag list in `agent COMMAND --help`. */
  details?: string;
  flags: FlagSpec[];
  maxPositionals?: number;
  /** `startedAt`: monotonicMs() when main() began, for start-up figures; `logger` loads pino on first use. */
  run(args: Parsed, ctx: { io: Io; logger: () => Promise<Logger>; startedAt: number }): Promise<ExitCode>;
}
