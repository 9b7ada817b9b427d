// One virsh run, bounded by the deadline. No shell: argv goes to the program as
// it is. virsh leads a process group of its own so that the deadline kills
// what it started too (the ssh of a qemu+ssh URI), and it has no stdin and no
// controlling terminal, so neither virsh nor ssh can stop to ask for a password.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { remainingMs, type Deadline } from '../types.ts';
import type { VirshRun } from './parse.ts';

/** More than any answer virsh gives to the commands sent here; beyond it the run is not virsh answering. */
const MAX_OUTPUT = 64 * 1024;
/** How long the pipes may stay open after virsh exited before the group is killed. */
const LINGER_MS = 250;

export interface VirshCommand {
  /** The program, looked up on env.PATH; "virsh" unless a test says otherwise. */
  program: string;
  /** Extra environment over the agent's own (HOME and LIBVIRT_AUTH_FILE reach virsh unchanged). */
  env: Readonly<Record<string, string>>;
}

export const VIRSH: VirshCommand = { program: 'virsh', env: {} };

export function runVirsh(cmd: VirshCommand, args: readonly string[], d: Deadline): Promise<VirshRun> {
  const ms = Math.floor(remainingMs(d));
  if (ms <= 0) return Promise.resolve({ kind: 'timeout', ms: 0 });
  // English messages whatever the host's locale: the parser reads libvirt's words.
  const env = { ...process.env, ...cmd.env, LC_ALL: 'C' };
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: VirshRun): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(cmd.program, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, shell: false });
    } catch (e) {
      // Bad argv (a NUL byte) is refused before any process exists.
      finish({ kind: 'failed', reason: e instanceof Error ? e.message : String(e) });
      return;
    }
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone: nothing left to stop.
      }
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_OUTPUT) {
        killGroup();
        finish({ kind: 'overflow', bytes: MAX_OUTPUT });
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    timer = setTimeout(() => {
      killGroup();
      finish({ kind: 'timeout', ms });
    }, ms);
    child.once('error', (e: NodeJS.ErrnoException) => {
      finish(e.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'failed', reason: `${e.code ?? 'error'}: ${e.message}` });
    });
    // A helper virsh started (ssh) that still holds the pipes once virsh is gone must not outlive the run.
    child.once('exit', () => {
      setTimeout(() => {
        if (!settled) killGroup();
      }, LINGER_MS).unref();
    });
    // 'close' waits for the pipes as well as the exit, so no output is lost.
    child.once('close', (code, signal) => {
      if (code !== null) finish({ kind: 'exited', code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      else finish({ kind: 'signalled', signal: signal ?? 'a signal' });
    });
  });
}
