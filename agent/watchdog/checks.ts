// The configured health checks, each bounded in time: a file that must exist,
// a command that must exit 0, a unix socket that must accept a connection.
// A check never throws; it resolves to a result.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { CheckResult } from './health.ts';

export type CheckSpec =
  | { kind: 'file'; path: string }
  | { kind: 'command'; argv: string[]; timeoutSec: number }
  | { kind: 'socket'; path: string; timeoutSec: number };

export const checkName = (c: CheckSpec): string => (c.kind === 'command' ? `command ${c.argv[0]}` : `${c.kind} ${c.path}`);

export function runCheck(c: CheckSpec, now: () => number): Promise<CheckResult> {
  const done = (ok: boolean, detail: string): CheckResult => ({ ok, at: now(), detail });
  switch (c.kind) {
    case 'file':
      return fs.promises.stat(c.path).then(
        () => done(true, 'exists'),
        (e: NodeJS.ErrnoException) => done(false, `${c.path}: ${e.code ?? 'error'}`),
      );
    case 'command':
      return new Promise((resolve) => {
        // No shell: argv is run as given, so config cannot smuggle shell syntax.
        const child = spawn(c.argv[0] as string, c.argv.slice(1), { stdio: 'ignore', timeout: c.timeoutSec * 1000, killSignal: 'SIGKILL' });
        child.on('error', (e) => resolve(done(false, e.message)));
        child.on('exit', (code, signal) => resolve(code === 0 ? done(true, 'exit 0') : done(false, signal ? `killed by ${signal}${signal === 'SIGKILL' ? ' (timeout)' : ''}` : `exit ${code}`)));
      });
    case 'socket':
      return new Promise((resolve) => {
        const s = net.connect({ path: c.path });
        const timer = setTimeout(() => finish(false, `no answer within ${c.timeoutSec} s`), c.timeoutSec * 1000);
        function finish(ok: boolean, detail: string): void {
          clearTimeout(timer);
          s.destroy();
          resolve(done(ok, detail));
        }
        s.once('connect', () => finish(true, 'connected'));
        s.once('error', (e: NodeJS.ErrnoException) => finish(false, `${c.path}: ${e.code ?? e.message}`));
      });
  }
}
