// Starts a real swtpm (Debian swtpm) on free loopback ports for one test file, and kills it
// in teardown. Tests skip with a printed reason when swtpm is not installed.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasTool = (name: string): boolean => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;

function tryPort(want: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(want, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : undefined;
      s.close(() => resolve(port));
    });
  });
}

/** tpm2-tss's swtpm TCTI takes the control channel at port+1, so both must be free. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await tryPort(0);
    if (p !== undefined && p < 65535 && (await tryPort(p + 1)) !== undefined) return p;
  }
  throw new Error('no free loopback port pair');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export interface Swtpm {
  port: number;
  uri: string;
  /** --tcti for tpm2-tools against the same simulator. */
  tcti: string;
  dir: string;
  /** Kills swtpm; its state directory is removed unless keepState. */
  stop(keepState?: boolean): Promise<void>;
}

/** `dir`: an earlier run's state, to start the same TPM again (same seeds: a reboot). */
export async function startSwtpm(opts: { dir?: string } = {}): Promise<Swtpm> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'swtpm-'));
  const port = await freePortPair();
  const ctrl = port + 1;
  const child: ChildProcess = spawn(
    'swtpm',
    ['socket', '--tpm2', '--tpmstate', `dir=${dir}`, '--server', `type=tcp,port=${port},bindaddr=127.0.0.1`, '--ctrl', `type=tcp,port=${ctrl},bindaddr=127.0.0.1`, '--flags', 'not-need-init,startup-clear'],
    { stdio: 'ignore' },
  );
  // The ctrl port accepts as soon as swtpm is up; probing the command port would use up swtpm's single client slot.
  for (let i = 0; i < 100 && !(await canConnect(ctrl)); i++) await new Promise((r) => setTimeout(r, 50));
  return {
    port,
    uri: `swtpm:127.0.0.1:${port}`,
    tcti: `swtpm:host=127.0.0.1,port=${port}`,
    dir,
    stop: async (keepState = false) => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      if (!keepState) rmSync(dir, { recursive: true, force: true });
    },
  };
}
