// Starts openipmi's ipmi_sim as the external BMC of one VM. ipmi_sim, not the
// harness, is the VM's parent: it runs QEMU at startup and on every power-on,
// which is what makes "chassis power on" real.

import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BMC_EMU, lanConf, shellQuote } from './ipmi-sim-config.ts';
import { spawnTracked, type Spawned } from './reaper.ts';

export interface ExternalBmc {
  /** Where RMCP+ listens: loopback of the host, or of `netns` when the VM is on a harness network. */
  host: string;
  /** The network namespace ipmi_sim runs in (reach it with `ip netns exec NS ...`), or null for the host's. */
  netns: string | null;
  port: number;
  user: string;
  /** A 0600 file holding the password, for `ipmitool -f` and the agent's --password-file. */
  passwordFile: string;
  /** Other addresses the BMC listens on (the namespace's host address, reachable from VMs). */
  extraAddresses: string[];
  /** One line per power-on ipmi_sim carried out ("<unix ms> power-on"): its startcmd writes it before starting QEMU. */
  powerLog: string;
  proc: Spawned;
}

export interface IpmiSimStart {
  dir: string;
  name: string;
  user: string;
  lanPort: number;
  vmPort: number;
  /** The full QEMU argv (already guarded), run by ipmi_sim on power-on. */
  qemuArgv: readonly string[];
  /** The namespace to run in (QEMU needs its taps there; ipmi_sim must share QEMU's loopback), or null. */
  netns: string | null;
  extraAddresses: readonly string[];
}

export function startIpmiSim(s: IpmiSimStart): ExternalBmc {
  const dir = join(s.dir, 'bmc');
  mkdirSync(join(dir, 'state'), { recursive: true });
  // 16 hex characters from 8 random bytes: within IPMI's 20-byte password and free of lan.conf quoting.
  const password = randomBytes(8).toString('hex');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, password, { mode: 0o600 });
  // ipmi_sim closes every descriptor before running startcmd, so QEMU's own output goes to a file through the shell.
  const qemuLog = join(s.dir, 'qemu.out');
  const nsPrefix = s.netns ? ['ip', 'netns', 'exec', s.netns] : [];
  const powerLog = join(s.dir, 'power.log');
  // ipmi_sim keeps no log of the commands it carries out. The record is written by a script that
  // then execs QEMU: a startcmd of two shell commands did not start QEMU at all (openipmi 2.0.33).
  const startScript = join(dir, 'power-on.sh');
  writeFileSync(startScript, `#!/bin/sh\necho "$(date +%s%3N) power-on" >>${shellQuote([powerLog])}\nexec ${shellQuote([...nsPrefix, ...s.qemuArgv])} >>${shellQuote([qemuLog])} 2>&1\n`, { mode: 0o700 });
  const startcmd = shellQuote(['/bin/sh', startScript]);
  const conf = lanConf({
    name: s.name,
    // In the VM's own namespace, every address there (its loopback and the bridge) belongs to the fleet; on the host, loopback only.
    lan: { address: s.netns ? '0.0.0.0' : '127.0.0.1', port: s.lanPort },
    vmPort: s.vmPort,
    user: s.user,
    password,
    guid: randomBytes(16).toString('hex'),
    startcmd,
    // QEMU exits as soon as ipmi-bmc-extern passes on the power-off; the waits only bound a stuck QEMU.
    poweroffWaitS: 5,
    killWaitS: 5,
  });
  const confPath = join(dir, 'lan.conf');
  writeFileSync(confPath, conf, { mode: 0o600 });
  const emuPath = join(dir, 'bmc.emu');
  writeFileSync(emuPath, BMC_EMU);
  const out = openSync(join(dir, 'ipmi_sim.out'), 'a');
  let proc: Spawned;
  try {
    proc = spawnTracked('ipmi_sim', [...nsPrefix, 'ipmi_sim', '-c', confPath, '-f', emuPath, '-s', join(dir, 'state'), '-n'], { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  return { host: '127.0.0.1', netns: s.netns, port: s.lanPort, user: s.user, passwordFile, extraAddresses: [...s.extraAddresses], powerLog, proc };
}
