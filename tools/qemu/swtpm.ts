// One swtpm TPM 2.0 per VM, its state in the VM's directory. QEMU talks to it
// through the control socket (`-tpmdev emulator`).

import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnTracked, type Spawned } from './reaper.ts';

export interface Swtpm {
  socket: string;
  proc: Spawned;
}

export interface SwtpmOptions {
  /**
   * Exit when QEMU disconnects: a safety net for a VM that is never restarted.
   * Off when ipmi_sim power-cycles the VM, because every new QEMU reconnects to the same TPM.
   */
  terminate: boolean;
  timeoutMs?: number;
}

export async function startSwtpm(dir: string, opts: SwtpmOptions): Promise<Swtpm> {
  const state = join(dir, 'tpm');
  mkdirSync(state, { recursive: true });
  const socket = join(dir, 'swtpm.sock');
  const out = openSync(join(dir, 'swtpm.out'), 'a');
  const argv = ['swtpm', 'socket', '--tpm2', '--tpmstate', `dir=${state}`, '--ctrl', `type=unixio,path=${socket}`, '--log', `file=${join(dir, 'swtpm.log')}`];
  if (opts.terminate) argv.push('--terminate');
  let proc: Spawned;
  try {
    proc = spawnTracked('swtpm', argv, { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  while (!existsSync(socket)) {
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      await proc.stop(0);
      throw new Error(`swtpm did not create ${socket} (see ${join(dir, 'swtpm.out')})`);
    }
    await sleep(20);
  }
  return { socket, proc };
}
