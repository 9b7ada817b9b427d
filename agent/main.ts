// Entry point of the single binary. Everything lives behind cli/main so that
// tests can run a command in-process with their own stdout and stderr.
import { main } from './cli/main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Last resort: a bug, not bad input. One line, no stack, unless asked for.
    const e = err as Error;
    process.stderr.write(`agent: internal error: ${e?.message ?? String(err)}\n`);
    if (process.env.FORTROS_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    process.exitCode = 1;
  },
);
