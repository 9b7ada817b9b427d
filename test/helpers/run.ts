// Runs the CLI in-process with captured streams, so CLI tests need no build.
import { main } from '../../agent/cli/main.ts';

export interface Ran {
  code: number;
  out: string;
  err: string;
}

export async function runAgent(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    env: { FORTROS_LOG_FORMAT: 'json', ...env },
    stderrIsTTY: false,
  });
  return { code, out, err };
}
