// One VM from a profile: its work directory, swtpm, SMBIOS and fw_cfg files,
// serial console, QEMU (directly, or under ipmi_sim for an external BMC), and a
// QMP connection. Everything it starts is registered with the reaper, so a
// failing test or a killed harness leaves no process behind.

import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { imageKernel, prepareBoot, type BootRequest } from './boot.ts';
import { startIpmiSim, type ExternalBmc } from './ipmi-sim.ts';
import { HOST_ADDRESS, type Network } from './net.ts';
import { freeTcpPort, freeUdpPort } from './ports.ts';
import type { Profile } from './profile.ts';
import { qemuArgs, type NicBackend, type VmPaths } from './qemu-args.ts';
import { QmpClient } from './qmp.ts';
import { guarded, registerCleanup, spawnTracked, type Spawned } from './reaper.ts';
import { SerialConsole } from './serial.ts';
import { smbiosFileBytes } from './smbios-entries.ts';
import { startSwtpm, type Swtpm } from './swtpm.ts';
import { TIMED_OUT, within } from './within.ts';

export const QEMU = 'qemu-system-x86_64';
/** sun_path is 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH = 107;

export interface StartVmOptions {
  /** Default: the image's kernel and initramfs (`make image`). */
  boot?: BootRequest;
  /** Position in a fleet: picks MACs, tap names and the expected address. */
  index?: number;
  /** Put the NICs on this namespace's bridge; without it they are up but reach nothing. */
  network?: Network;
  /** Parent of the VM's work directory; default a fresh /tmp/fq-XXXXXX (short, for socket paths). */
  baseDir?: string;
  /** Keep the work directory (serial log, QEMU and BMC logs) after stop. */
  keep?: boolean;
  /** How long QEMU may take to open its QMP socket. */
  startTimeoutMs?: number;
}

/** The external BMC as a client sees it. */
export type BmcEndpoint = Omit<ExternalBmc, 'proc'>;

export interface Vm {
  readonly name: string;
  readonly index: number;
  readonly dir: string;
  readonly profile: Profile;
  readonly serial: SerialConsole;
  readonly macs: readonly string[];
  readonly bmc: BmcEndpoint | null;
  readonly network: Network | null;
  /** The QMP connection to the current QEMU process (a new one after a BMC power-on: see reconnectQmp). */
  readonly qmp: QmpClient;
  /** The current QEMU's pid, from its pidfile. */
  qemuPid(): number | null;
  waitForSerial(pattern: RegExp, timeoutMs: number, since?: number): Promise<RegExpExecArray>;
  sendSerial(text: string): void;
  /** Waits for the QEMU that ipmi_sim starts on power-on and connects to it. */
  reconnectQmp(timeoutMs: number): Promise<QmpClient>;
  /** Resolves when the current QEMU process has exited (the guest powered off); rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export function macFor(index: number, nic: number): string {
  const h = (n: number): string => n.toString(16).padStart(2, '0');
  // 52:54:00 is QEMU's locally administered prefix; the rest encodes the NIC and the VM.
  return `52:54:00:${h(0xf0 | (nic & 0x0f))}:${h((index >> 8) & 0xff)}:${h(index & 0xff)}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is gone for our purposes.
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

class VmImpl implements Vm {
  private client: QmpClient | null = null;
  bmc: BmcEndpoint | null = null;
  private qemu: Spawned | null = null;
  private bmcProc: Spawned | null = null;
  private swtpm: Swtpm | null = null;
  private stopped = false;
  private unregisterDir: () => void = () => undefined;

  constructor(
    readonly name: string,
    readonly index: number,
    readonly dir: string,
    readonly profile: Profile,
    readonly serial: SerialConsole,
    readonly macs: readonly string[],
    readonly network: Network | null,
    private readonly pidFile: string,
    private readonly qmpPath: string,
    private readonly removeDir: string | null,
  ) {
    if (removeDir) this.unregisterDir = registerCleanup(`work dir ${removeDir}`, () => rmSync(removeDir, { recursive: true, force: true }));
  }

  async start(paths: Omit<VmPaths, 'tpmSocket' | 'ipmiPort'>, startTimeoutMs: number): Promise<void> {
    const p = this.profile;
    // swtpm --terminate would end the TPM at the first power-off, and ipmi_sim brings up a new QEMU after it.
    if (p.tpm) this.swtpm = await startSwtpm(this.dir, { terminate: p.bmc?.kind !== 'external' });
    const nsPrefix = this.network ? this.network.exec : [];
    if (p.bmc?.kind === 'external') {
      const vmPort = await freeTcpPort();
      const argv = guarded([QEMU, ...qemuArgs(p, { ...paths, tpmSocket: this.swtpm?.socket ?? null, ipmiPort: vmPort })]);
      const lanPort = await freeUdpPort();
      const ext = startIpmiSim({
        dir: this.dir,
        name: this.name,
        user: p.bmc.user,
        lanPort,
        vmPort,
        qemuArgv: argv,
        netns: this.network?.ns ?? null,
        extraAddresses: this.network ? [HOST_ADDRESS] : [],
      });
      const { proc, ...endpoint } = ext;
      this.bmcProc = proc;
      this.bmc = endpoint;
    } else {
      const out = openSync(join(this.dir, 'qemu.out'), 'a');
      try {
        this.qemu = spawnTracked(`qemu ${this.name}`, [...nsPrefix, QEMU, ...qemuArgs(p, { ...paths, tpmSocket: this.swtpm?.socket ?? null, ipmiPort: null })], {
          stdio: ['ignore', out, out],
        });
      } finally {
        closeSync(out);
      }
    }
    this.client = await this.connectQmp(startTimeoutMs);
  }

  private async connectQmp(timeoutMs: number): Promise<QmpClient> {
    const failed = this.qemu?.exited.then((code) => {
      throw new Error(`QEMU exited (${code}) before QMP was up:\n${this.tail('qemu.out')}`);
    });
    try {
      return await (failed ? Promise.race([QmpClient.connect(this.qmpPath, timeoutMs), failed]) : QmpClient.connect(this.qmpPath, timeoutMs));
    } catch (err) {
      throw new Error(`${this.name}: ${(err as Error).message}\n${this.tail('qemu.out')}${this.bmcProc ? this.tail('bmc/ipmi_sim.out') : ''}`);
    }
  }

  private tail(file: string): string {
    try {
      return readFileSync(join(this.dir, file), 'utf8').slice(-2000);
    } catch {
      return '';
    }
  }

  get qmp(): QmpClient {
    if (!this.client) throw new Error(`${this.name}: QMP is not connected`);
    return this.client;
  }

  qemuPid(): number | null {
    try {
      const pid = Number.parseInt(readFileSync(this.pidFile, 'utf8').trim(), 10);
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  waitForSerial(pattern: RegExp, timeoutMs: number, since = 0): Promise<RegExpExecArray> {
    return this.serial.waitFor(pattern, timeoutMs, since);
  }

  sendSerial(text: string): void {
    this.serial.send(text);
  }

  async reconnectQmp(timeoutMs: number): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    // The old QEMU may still be shutting down: wait until its connection is gone first.
    await within(this.qmp.closed, timeoutMs);
    if (!this.qmp.isClosed) throw new Error(`${this.name}: the current QEMU is still running; nothing to reconnect to`);
    this.client = await this.connectQmp(Math.max(1, deadline - Date.now()));
    return this.client;
  }

  async waitForExit(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.qemu) {
      if ((await within(this.qemu.exited, timeoutMs)) === TIMED_OUT) throw new Error(`${this.name}: QEMU still running after ${timeoutMs} ms`);
      return;
    }
    // Under ipmi_sim, QEMU is not our child: its QMP connection closing and its pid going away mark the exit.
    const pid = this.qemuPid();
    await within(this.qmp.closed, timeoutMs);
    while (pid !== null && pidAlive(pid)) {
      if (Date.now() > deadline) throw new Error(`${this.name}: QEMU (pid ${pid}) still running after ${timeoutMs} ms`);
      await sleep(50);
    }
    if (!this.qmp.isClosed) throw new Error(`${this.name}: QMP still open after ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const qmp = this.client;
    if (this.qemu && qmp && !qmp.isClosed) {
      // A clean quit lets QEMU flush and remove its sockets; the kill below covers a QEMU that does not answer.
      await qmp.quit(2000).catch(() => undefined);
    }
    qmp?.close();
    await this.qemu?.stop(3000);
    await this.bmcProc?.stop(3000);
    const pid = this.qemuPid();
    if (pid !== null && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    await this.swtpm?.proc.stop(2000);
    await this.serial.close();
    if (this.removeDir) {
      rmSync(this.removeDir, { recursive: true, force: true });
      this.unregisterDir();
    }
  }
}

export async function startVm(profile: Profile, opts: StartVmOptions = {}): Promise<Vm> {
  const index = opts.index ?? 0;
  const ownBase = opts.baseDir === undefined;
  const base = opts.baseDir ?? mkdtempSync('/tmp/fq-');
  const dir = join(base, String(index));
  mkdirSync(dir, { recursive: true });
  const removeDir = opts.keep ? null : ownBase ? base : dir;
  const qmpPath = join(dir, 'qmp.sock');
  const serialPath = join(dir, 'serial.sock');
  for (const s of [qmpPath, serialPath, join(dir, 'swtpm.sock')]) {
    if (Buffer.byteLength(s) > MAX_SOCKET_PATH) throw new Error(`socket path ${s} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter baseDir`);
  }
  if (existsSync(qmpPath)) throw new Error(`${dir} is in use by another VM`);

  const smbiosFiles = profile.smbios.map((e, i) => {
    const f = join(dir, `smbios-${i}.bin`);
    writeFileSync(f, smbiosFileBytes(e));
    return f;
  });
  const fwCfgFiles = profile.fwCfg.map((e, i) => {
    if (e.file !== undefined) return e.file;
    const f = join(dir, `fwcfg-${i}`);
    writeFileSync(f, e.string ?? '');
    return f;
  });
  const macs = profile.nics.map((n, k) => n.mac ?? macFor(index, k));
  const nics: NicBackend[] = macs.map((mac, k) => (opts.network ? { kind: 'tap', ifname: opts.network.addTap(index, k), mac } : { kind: 'user', mac }));
  const boot = prepareBoot(opts.boot ?? imageKernel(), dir);

  const serial = await SerialConsole.listen(serialPath, join(dir, 'serial.log'));
  const pidFile = join(dir, 'qemu.pid');
  const vm = new VmImpl(`${profile.name}-${index}`, index, dir, profile, serial, macs, opts.network ?? null, pidFile, qmpPath, removeDir);
  try {
    await vm.start({ qmpSocket: qmpPath, serialSocket: serialPath, smbiosFiles, fwCfgFiles, nics, boot, pidFile }, opts.startTimeoutMs ?? 15_000);
  } catch (err) {
    await vm.stop().catch(() => undefined);
    throw err;
  }
  return vm;
}
