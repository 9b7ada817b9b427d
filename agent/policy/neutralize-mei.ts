// The OS side of `neutralize`: unbind the mei_me driver from every PCI
// function it drives, blacklist the modules so no later boot loads them, and
// verify from the ME's own status registers that it is disabled. Every path is
// under deps.root, so tests run on a copy of a fixture tree; sysfs writes go
// through deps.sysfsWrite, the kernel on a machine and a fake one in tests.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Deadline } from '../channels/types.ts';
import { ErrorSink } from '../probe/errors.ts';
import { decodeHfsts, detectFamily, hex32 } from '../probe/hfsts.ts';
import { readMei } from '../probe/mei.ts';
import { meVerdicts } from '../probe/me-verdicts.ts';
import { readSmbios } from '../probe/smbios/index.ts';
import { SysRoot } from '../probe/sysroot.ts';
import { writeAtomic } from '../state/atomic.ts';
import type { PlanStep } from './types.ts';
import { already, done, failed, strParam, type ApplyDeps, type RunContext, type StepResult, type SysfsWrite } from './apply-types.ts';

const DRIVER_DIR = '/sys/bus/pci/drivers/mei_me';
const PCI_DEVICES = '/sys/bus/pci/devices';
const PCI_ADDR = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
export const BLACKLIST_PATH = '/etc/modprobe.d/fortros-mei.conf';
export const BLACKLIST_TEXT = [
  '# Written by the FortrOS OOB agent (policy neutralize): the OS never talks to the Intel ME again.',
  'blacklist mei_me',
  'blacklist mei',
  // blacklist stops alias loading only; an explicit modprobe or a dependent module would still load it.
  'install mei_me /bin/false',
  '',
].join('\n');

/** The kernel's own writes: r+ because sysfs attributes exist and cannot be created. */
export const kernelWrite: SysfsWrite = (p, data) => writeFileSync(p, data, { flag: 'r+' });

/** PCI functions mei_me drives now: the driver directory's links, and each device's driver link. */
export function boundToMei(sys: SysRoot): string[] {
  const drv = sys.list(DRIVER_DIR);
  const fromDriver = (drv.ok ? drv.value : []).filter((n) => PCI_ADDR.test(n));
  const devs = sys.list(PCI_DEVICES);
  const fromDevices = (devs.ok ? devs.value : []).filter((a) => PCI_ADDR.test(a) && sys.linkName(`${PCI_DEVICES}/${a}/driver`) === 'mei_me');
  return [...new Set([...fromDriver, ...fromDevices])].sort();
}

export async function unbindStep(s: PlanStep, deps: ApplyDeps, _ctx: RunContext, _d: Deadline): Promise<StepResult> {
  const sys = new SysRoot(deps.root);
  const only = strParam(s, 'pciAddress');
  const bound = boundToMei(sys).filter((a) => only === null || a === only);
  if (bound.length === 0) return already(`no PCI function is bound to mei_me${only ? ` at ${only}` : ''}`);
  const write = deps.sysfsWrite ?? kernelWrite;
  const gone: string[] = [];
  for (const addr of bound) {
    try {
      write(sys.resolve(`${DRIVER_DIR}/unbind`), addr);
    } catch (e) {
      return failed(`write ${addr} to ${DRIVER_DIR}/unbind: ${(e as NodeJS.ErrnoException).code ?? String(e)}; unbound before: ${gone.join(', ') || 'none'}`);
    }
    gone.push(addr);
  }
  const still = boundToMei(sys).filter((a) => bound.includes(a));
  if (still.length > 0) return failed(`still bound to mei_me after unbind: ${still.join(', ')}`);
  return done(`unbound ${gone.join(', ')} from mei_me`);
}

export async function blacklistStep(_s: PlanStep, deps: ApplyDeps, _ctx: RunContext, _d: Deadline): Promise<StepResult> {
  const path = join(deps.root, BLACKLIST_PATH);
  let now: string | null = null;
  try {
    now = readFileSync(path, 'utf8');
  } catch {
    now = null;
  }
  if (now === BLACKLIST_TEXT) return already(`${BLACKLIST_PATH} blacklists mei_me and mei`);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeAtomic(dirname(path), basename(path), Buffer.from(BLACKLIST_TEXT), 0o644);
  } catch (e) {
    return failed(`write ${BLACKLIST_PATH}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return done(`${BLACKLIST_PATH} ${now === null ? 'written' : 'rewritten'}: blacklist mei_me, mei; install mei_me /bin/false (effective from the next boot; an initramfs that carries mei_me needs rebuilding)`);
}

/** HFSTS1..6 from the HECI function's PCI config space (0x40, 0x48, 0x60..0x6C): still readable after mei_me is unbound, as root. */
function hfstsFromConfig(sys: SysRoot): { addr: string; regs: number[] } | null {
  for (const addr of ['0000:00:16.0']) {
    const b = sys.readBytes(`${PCI_DEVICES}/${addr}/config`, 4096);
    if (!b.ok || b.value.length < 0x70) continue;
    const regs = [0x40, 0x48, 0x60, 0x64, 0x68, 0x6c].map((o) => b.value.readUInt32LE(o));
    if (regs[0] === 0xffffffff) continue;
    return { addr, regs };
  }
  return null;
}

export async function verifyDisabledStep(_s: PlanStep, deps: ApplyDeps, _ctx: RunContext, _d: Deadline): Promise<StepResult> {
  const sys = new SysRoot(deps.root);
  const errs = new ErrorSink('policy');
  const mei = readMei(sys, errs.for('mei'), readSmbios(sys, errs.for('smbios')));
  const evidence = [...mei.evidence];
  let disabled = mei.verdicts?.disabled ?? null;
  let source: string | null = mei.source;
  // SMBIOS 219 is the firmware's copy from boot; the PCI config register is live, so it wins.
  if (source !== 'sysfs' || disabled === null || disabled.disabled === null) {
    const cfg = hfstsFromConfig(sys);
    if (cfg) {
      const dec = decodeHfsts(cfg.regs, detectFamily(null, cfg.regs));
      disabled = meVerdicts(dec, null).disabled;
      source = `PCI ${cfg.addr} config space`;
      evidence.push(`PCI ${cfg.addr} config HFSTS1 ${hex32(cfg.regs[0] as number)}: ${dec.summary ?? 'undecoded'}`);
    }
  }
  if (disabled === null || disabled.disabled === null) {
    return failed(`ME state unknown: no HFSTS1 readable (no MEI device in sysfs, no SMBIOS type 219, no PCI config of 00:16.0); HAP cannot be verified${evidence.length ? `; ${evidence.join('; ')}` : ''}`);
  }
  if (mei.pthiClient) return failed(`ME active: the AMT host interface (PTHI) is listed on the MEI bus; ${evidence.join('; ')}`);
  if (!disabled.disabled) return failed(`ME active: HFSTS1 (${source}) shows no disable state; ${evidence.join('; ')}`);
  return already(`ME disabled: ${disabled.reasons.join(', ')} (HFSTS1 from ${source})`);
}
