// Every process and namespace the harness creates is registered here and torn
// down when the harness stops it, and also when the Node process exits for any
// reason it can observe: normal exit, an uncaught exception, SIGINT, SIGTERM,
// SIGHUP. Children run in their own process group (so a VM that ipmi_sim
// started dies with ipmi_sim's group) and with a parent-death signal (so even a
// SIGKILLed harness leaves nothing behind: see `guarded`).

import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

interface Entry {
  label: string;
  kill: () => void;
}

const entries = new Map<number, Entry>();
let nextKey = 1;
let installed = false;

function reapAllNow(): void {
  // Newest first: a VM goes before the swtpm and namespace it uses.
  for (const key of [...entries.keys()].reverse()) {
    const e = entries.get(key);
    entries.delete(key);
    try {
      e?.kill();
    } catch {
      // Already gone: nothing to reap.
    }
  }
}

function onSignal(sig: NodeJS.Signals): void {
  reapAllNow();
  // Only this handler listening means nobody else wanted the signal handled: die by it as Node would have.
  if (process.listenerCount(sig) === 1) {
    process.removeListener(sig, onSignal);
    process.kill(process.pid, sig);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', reapAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
}

/** Registers a synchronous teardown; the returned function unregisters it (after the caller tore down itself). */
export function registerCleanup(label: string, kill: () => void): () => void {
  install();
  const key = nextKey++;
  entries.set(key, { label, kill });
  return () => {
    entries.delete(key);
  };
}

/** Labels of what is registered now (for tests and diagnostics). */
export function registered(): string[] {
  return [...entries.values()].map((e) => e.label);
}

/** Tears everything down now, as on exit. */
export function reapAll(): void {
  reapAllNow();
}

/** Kills a whole process group, falling back to the pid if the group is gone. */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Exited already.
    }
  }
}

/**
 * argv prefixed with `setpriv --pdeathsig KILL`: the kernel kills the child
 * when its parent dies, even by SIGKILL, where no exit handler runs. The
 * setting survives exec (of `ip netns exec` and then QEMU) and is per process,
 * so it guards QEMU under ipmi_sim the same way.
 */
export function guarded(argv: readonly string[]): string[] {
  return ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop: (graceMs?: number) => Promise<void>;
}

/** Spawns a guarded child in its own process group and registers it for reaping. */
export function spawnTracked(label: string, argv: readonly string[], opts: SpawnOptions = {}): Spawned {
  const [cmd, ...args] = guarded(argv);
  const child = spawn(cmd as string, args, { stdio: ['ignore', 'ignore', 'ignore'], ...opts, detached: true });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${label}: could not start ${argv[0] ?? '?'}`);
  const unregister = registerCleanup(`${label} (pid ${pid})`, () => killGroup(pid));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      unregister();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const stop = async (graceMs = 3000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    // The group may hold children of the child (a QEMU under ipmi_sim).
    killGroup(pid, 'SIGKILL');
  };
  return { child, pid, exited, stop };
}

/** Runs a short command synchronously (ip, for namespace setup); throws with its stderr on failure. */
export function run(argv: readonly string[], timeoutMs = 10_000): string {
  const [cmd, ...args] = argv;
  try {
    return execFileSync(cmd as string, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${argv.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}
