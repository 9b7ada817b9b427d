// ipmi_sim (Debian openipmi) as a BMC without a VM: its documented
// `chassis_control` hook (ipmi_lan(5); protocol `PROG DEV get power` prints
// `power:0|1`, `set power 0|1`, `set reset 1`) points at a shell script whose
// state file is the "machine", so power on/off/cycle/reset are real state
// changes ipmi_sim itself performs (cycle = set power 0, then 1 about a second
// later). Loopback only; the password lives in a 0600 file for ipmitool -f.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confString } from '../../tools/qemu/ipmi-sim-config.ts';
import { freeUdpPort } from '../../tools/qemu/ports.ts';
import type { ExecutionContext } from 'ava';
import { deadlineIn } from '../../agent/channels/types.ts';
import { IpmiClient } from '../../agent/ipmi/client.ts';
import { PRIV } from '../../agent/ipmi/messages.ts';

export interface SimUser {
  name: string;
  priv: 'user' | 'operator' | 'admin';
}

export interface Sim {
  host: string;
  port: number;
  dir: string;
  /** The password of every user (random, 16 hex digits). */
  password: string;
  passwordFile: string;
  guid: string;
  /** The machine's power as ipmi_sim last set it. */
  power(): 'on' | 'off';
  /** How many resets ipmi_sim passed on. */
  resets(): number;
  /** Every change ipmi_sim made, in order: "power 0", "power 1", "reset". */
  actions(): string[];
  stop(): Promise<void>;
  /** Stops and starts ipmi_sim again on the same port: every session is gone. */
  restart(): Promise<void>;
}

const SCRIPT = `#!/bin/sh
# ipmi_sim chassis_control hook: $1 state dir, $2 get|set, then names (get) or name value pairs (set).
dir=$1; op=$2; shift 2
case $op in
get) for p in "$@"; do case $p in power) echo "power:$(cat "$dir/power" 2>/dev/null || echo 0)";; boot) echo "boot:default";; esac; done;;
set) while [ $# -gt 1 ]; do case $1 in power) echo "$2" > "$dir/power"; echo "power $2" >> "$dir/log";; reset) echo reset >> "$dir/resets"; echo reset >> "$dir/log";; esac; shift 2; done;;
*) exit 1;;
esac
`;

export interface SimOptions {
  users?: SimUser[];
  initialPower?: 'on' | 'off';
  /** A fixed password (the known-answer capture needs one); random otherwise. */
  password?: string;
}

export async function startSim(o: SimOptions = {}): Promise<Sim> {
  const dir = mkdtempSync(join(tmpdir(), 'ipmi-sim-'));
  const port = await freeUdpPort('127.0.0.1');
  const password = o.password ?? randomBytes(8).toString('hex');
  const guid = randomBytes(16).toString('hex');
  const users = o.users ?? [{ name: 'admin', priv: 'admin' }];
  writeFileSync(join(dir, 'chassis.sh'), SCRIPT, { mode: 0o700 });
  writeFileSync(join(dir, 'power'), o.initialPower === 'on' ? '1\n' : '0\n');
  writeFileSync(join(dir, 'password'), password, { mode: 0o600 });
  const conf = [
    'name "lite"',
    'set_working_mc 0x20',
    '  startlan 1',
    `    addr 127.0.0.1 ${port}`,
    `    priv_limit admin`,
    '    allowed_auths_callback md5',
    '    allowed_auths_user md5',
    '    allowed_auths_operator md5',
    '    allowed_auths_admin md5',
    `    guid ${guid}`,
    '  endlan',
    `  chassis_control ${confString(`${join(dir, 'chassis.sh')} ${dir}`)}`,
    ...users.map((u, i) => `  user ${i + 2} true ${confString(u.name)} ${confString(password)} ${u.priv} 4`),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'lan.conf'), conf, { mode: 0o600 });
  writeFileSync(join(dir, 'bmc.emu'), ['mc_setbmc 0x20', 'mc_add 0x20 0x20 no-device-sdrs 0x01 1 0x20 0x9f 0x002a7c 0x0001', 'mc_enable 0x20', ''].join('\n'));

  let proc: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    proc = spawn('ipmi_sim', ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'bmc.emu'), '-s', dir, '-n'], { stdio: 'ignore' });
    try {
      await waitUp(port, 5000);
    } catch (err) {
      // A simulator that never came up must not outlive the test.
      await halt();
      throw err;
    }
  };
  const halt = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
    if (p.exitCode === null) p.kill('SIGKILL');
  };
  await launch();
  return {
    host: '127.0.0.1',
    port,
    dir,
    password,
    passwordFile: join(dir, 'password'),
    guid,
    power: () => (readFileSync(join(dir, 'power'), 'utf8').trim() === '1' ? 'on' : 'off'),
    resets: () => {
      try {
        return readFileSync(join(dir, 'resets'), 'utf8').split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    },
    actions: () => {
      try {
        return readFileSync(join(dir, 'log'), 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await halt();
      await launch();
    },
  };
}

/** ipmi_sim is up once it answers Get Channel Authentication Capabilities (IPMI v1.5 framing). */
async function waitUp(port: number, ms: number): Promise<void> {
  const probe = Buffer.from('0600ff07000000000000000000092018c88100388e04b5', 'hex');
  const s = createSocket('udp4');
  try {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const got = await new Promise<boolean>((resolve) => {
        const onMessage = (): void => {
          clearTimeout(t);
          resolve(true);
        };
        const t = setTimeout(() => {
          s.off('message', onMessage);
          resolve(false);
        }, 100);
        s.once('message', onMessage);
        s.send(probe, port, '127.0.0.1');
      });
      if (got) return;
    }
    throw new Error(`ipmi_sim did not answer on 127.0.0.1:${port}`);
  } finally {
    s.close();
  }
}

/** A running ipmi_sim and an admin RMCP+ client to it, both gone when the test ends. */
export async function simWithAdmin(t: ExecutionContext, o: SimOptions = {}): Promise<{ sim: Sim; c: IpmiClient }> {
  const sim = await startSim(o);
  const c = new IpmiClient({ host: sim.host, port: sim.port, user: 'admin', password: sim.password, allowWeakCiphers: false, privilege: PRIV.admin });
  t.teardown(async () => {
    await c.close(deadlineIn(2000));
    await sim.stop();
  });
  return { sim, c };
}
