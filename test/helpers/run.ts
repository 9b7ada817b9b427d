// Runs the CLI in-process with captured streams, so CLI tests need no build;
// and the 0600 secret files its --*-file flags read (secrets never go in argv).
import type { ExecutionContext } from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** What `agent oob ... --json` prints (agent/cli/oob.ts report()). */
export interface OobJson {
  channel: string;
  action: string;
  state: string;
  verified: boolean;
  attempts: number;
  elapsedMs: number;
  steps: string[];
  error?: { code: string; message: string; offVerified?: boolean };
}

/** A 0600 file holding `value` on its first line, as an operator would write it; removed when the test ends. */
export function secretFile(t: ExecutionContext, value: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'agent-secret-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'secret');
  writeFileSync(f, `${value}\n`, { mode: 0o600 });
  return f;
}
