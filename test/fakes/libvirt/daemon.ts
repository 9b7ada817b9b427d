// A REAL libvirt for the tests, not a fake: Debian's libvirtd (9.0) with its
// QEMU driver, started by the test and stopped by it. It runs as a session
// daemon under the unprivileged uid 65534 with HOME and XDG dirs in a temp dir,
// because a root libvirtd is always the system instance, whose state lives in
// fixed places (/run/libvirt, /etc/libvirt) a test must not own. Its unix
// socket is reached with the URI parameter `socket=` (libvirt's remote driver,
// https://libvirt.org/uri.html), so the channel gets an ordinary URI. It also
// listens on a loopback TCP port that demands SASL, for the AUTH case.
// The domain is tiny and diskless (64 MiB, no disk, no network, no display):
// QEMU runs it under TCG and SeaBIOS waits for a boot device forever.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from '../../../tools/qemu/ports.ts';

const NOBODY = 65534;
const QEMU = '/usr/bin/qemu-system-x86_64';

export interface Virshed {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ResetWatch {
  count(): number;
  stop(): Promise<void>;
}

export interface Libvirtd {
  /** qemu:///session?socket=...: the daemon's unix socket, no authentication. */
  uri: string;
  /** qemu+tcp://127.0.0.1:PORT/session: the same daemon, SASL required. */
  saslUri: string;
  domain: string;
  uuid: string;
  /** virsh against the daemon, for the checks the tests make beside the channel. */
  virsh(...args: string[]): Promise<Virshed>;
  /** `virsh domstate`, trimmed: "running", "shut off"... */
  state(): Promise<string>;
  /** Counts libvirt's reboot events from now on: a reset emits at least one (SeaBIOS may reset again). */
  watchResets(): Promise<ResetWatch>;
  stop(): Promise<void>;
}

/** Why a real libvirt cannot run here, or null when it can. */
export function libvirtMissing(): string | null {
  if (process.getuid?.() !== 0) return 'not root: the test starts libvirtd under uid 65534';
  for (const f of ['/usr/sbin/libvirtd', '/usr/bin/virsh', QEMU, '/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so'])
    if (!existsSync(f)) return `${f} is absent (Debian packages libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86)`;
  return null;
}

export function virshAt(uri: string, args: readonly string[], ms = 15_000): Promise<Virshed> {
  return new Promise((resolve) => {
    execFile('virsh', ['-c', uri, ...args], { env: { ...process.env, LC_ALL: 'C' }, timeout: ms }, (e, stdout, stderr) => {
      const code = e === null ? 0 : typeof e.code === 'number' ? e.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const domainXml = (name: string): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>${QEMU}</emulator>
    <memballoon model='none'/>
  </devices>
</domain>
`;

export async function startLibvirtd(opts: { name?: string; running?: boolean } = {}): Promise<Libvirtd> {
  const dir = mkdtempSync(join(tmpdir(), 'libvirtd-'));
  chmodSync(dir, 0o755);
  const own = (p: string, mode = 0o700): string => {
    mkdirSync(p, { recursive: true });
    chownSync(p, NOBODY, NOBODY);
    chmodSync(p, mode);
    return p;
  };
  const run = own(join(dir, 'run'));
  const cfg = own(join(dir, 'config'));
  own(join(dir, 'home'));
  own(join(dir, 'cache'));
  own(join(cfg, 'libvirt'));
  const port = await freeTcpPort();
  // QEMU's output to a file: the default (virtlogd) is a daemon of its own that nothing here runs.
  writeFileSync(join(cfg, 'libvirt', 'qemu.conf'), 'stdio_handler = "file"\n');
  writeFileSync(join(cfg, 'libvirt', 'libvirtd.conf'), ['listen_tls = 0', 'listen_tcp = 1', 'listen_addr = "127.0.0.1"', `tcp_port = "${port}"`, 'auth_tcp = "sasl"', ''].join('\n'));
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: join(dir, 'home'), XDG_RUNTIME_DIR: run, XDG_CONFIG_HOME: cfg, XDG_CACHE_HOME: join(dir, 'cache'), LC_ALL: 'C' };
  const daemon: ChildProcess = spawn('/usr/sbin/libvirtd', ['--listen'], { env, uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  daemon.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const uri = `qemu:///session?socket=${join(run, 'libvirt', 'libvirt-sock')}`;
  const name = opts.name ?? 'fence-test';

  const stop = async (): Promise<void> => {
    if (daemon.exitCode === null) {
      // libvirtd leaves running guests alone when it exits: destroy first, then the daemon.
      await virshAt(uri, ['destroy', '--domain', name], 5000);
      const gone = new Promise<void>((r) => daemon.once('exit', () => r()));
      daemon.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    killLeftoverQemu(run, name);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitUp(uri, daemon, () => log);
    writeFileSync(join(dir, 'domain.xml'), domainXml(name));
    const def = await virshAt(uri, ['define', join(dir, 'domain.xml')]);
    if (def.code !== 0) throw new Error(`virsh define: ${def.stderr}`);
    const uuid = (await virshAt(uri, ['domuuid', '--domain', name])).stdout.trim();
    if (opts.running) {
      const st = await virshAt(uri, ['start', '--domain', name]);
      if (st.code !== 0) throw new Error(`virsh start: ${st.stderr}`);
    }
    return {
      uri,
      saslUri: `qemu+tcp://127.0.0.1:${port}/session`,
      domain: name,
      uuid,
      virsh: (...args) => virshAt(uri, args),
      state: async () => (await virshAt(uri, ['domstate', '--domain', name])).stdout.trim(),
      watchResets: () => watchResets(uri, name),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The daemon is up once virsh can connect; bounded at 15 s. */
async function waitUp(uri: string, daemon: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    if (daemon.exitCode !== null) throw new Error(`libvirtd exited ${daemon.exitCode}: ${log()}`);
    if ((await virshAt(uri, ['uri'], 2000)).code === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`libvirtd did not come up: ${log()}`);
}

/** `virsh event --event reboot` in the background; it prints one line per event. */
async function watchResets(uri: string, name: string): Promise<ResetWatch> {
  const child = spawn('virsh', ['-c', uri, 'event', '--domain', name, '--event', 'reboot', '--loop'], { env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const count = (): number => out.split('\n').filter((l) => l === `event 'reboot' for domain '${name}'`).length;
  // The registration happens once virsh is connected; give it that long (a local socket: milliseconds).
  await new Promise((r) => setTimeout(r, 300));
  return {
    count,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await gone;
    },
  };
}

/** A QEMU the daemon could not stop (the daemon died first) must not outlive the test. */
function killLeftoverQemu(run: string, name: string): void {
  const pidFile = join(run, 'libvirt', 'qemu', 'run', `${name}.pid`);
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    // Only the QEMU of this domain: a stale pid file may name a reused pid.
    if (Number.isInteger(pid) && pid > 1 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`guest=${name},`)) process.kill(pid, 'SIGKILL');
  } catch {
    // No pid file or no such process: nothing is left.
  }
}
