// The planner: policy + capability report (+ what enrollment stated) -> the
// exact steps `agent policy apply` would take, each with the evidence and rule
// behind it, and notes for what it saw and left alone. Pure and deterministic:
// no I/O, no clock, so a plan can be shown, diffed and tested on fixture trees.
//
// It plans only on what the report read. AMT's control mode and the BMC's user
// table come from the firmware in band (amt.inBand, bmc.inBand); where those
// were not read (a --root fixture tree, no permission) the channel gets a note,
// not a guess: activating an already-activated AMT or re-creating a BMC user
// are different actions than the ones a guess would pick.

import type { AmtInfo } from '../mei/amtinfo.ts';
import type { BmcInfo } from '../ipmi/bmc-info.ts';
import type { Report } from '../probe/report.ts';
import { NO_FACTS, type PlanFacts } from './facts.ts';
import { boundMeiDevices, meActivity } from './me-activity.ts';
import type { Plan, PlanStep, Policy, StepAction } from './types.ts';

const CONTROL_MODE = ['not activated (0)', 'client control mode (1)', 'admin control mode (2)'];

class Builder {
  readonly steps: PlanStep[] = [];
  readonly notes: string[] = [];
  step(action: StepAction, why: string, params: PlanStep['params'] = {}, id: string = action): void {
    this.steps.push({ id, action, why, params });
  }
  note(s: string): void {
    this.notes.push(s);
  }
}

type Read<T> = { ok: true; value: T } | { ok: false; why: string };

export function amtRead(r: Report): Read<AmtInfo & { controlModeCode: number }> {
  const a = r.amt.inBand;
  if ('unavailable' in a) return { ok: false, why: a.unavailable };
  const cm = a.raw.controlMode;
  if (cm === undefined) return { ok: false, why: `control mode not read: ${a.errors.controlMode?.message ?? 'PTHI GetControlMode did not answer'}` };
  return { ok: true, value: { ...a, controlModeCode: cm } };
}

export function bmcRead(r: Report): Read<BmcInfo & { devicePath: string }> {
  const b = r.bmc.inBand;
  return 'unavailable' in b ? { ok: false, why: b.unavailable } : { ok: true, value: b };
}

const lanChannels = (b: BmcInfo): number[] => b.channels.filter((c) => c.lan).map((c) => c.channel);

function planAmtUse(p: Policy, r: Report, b: Builder): void {
  if (!p.amt.provision) return b.note('AMT: policy amt.provision is false; AMT left as it is');
  if (!r.amt.present) return b.note(`AMT: not present (${r.amt.capable === false ? 'the firmware has no AMT' : 'nothing in SMBIOS, the ME registers or the MEI bus shows AMT'})`);
  if (r.mei.disabled) return b.note('AMT: present but the ME is disabled (HFSTS1), so AMT cannot be activated');
  const a = amtRead(r);
  if (!a.ok) return b.note(`AMT: present but not read in band (${a.why}); its control mode decides between activating and keeping, so nothing is planned`);
  const cm = a.value.controlModeCode;
  const mode = CONTROL_MODE[cm] ?? `unknown (${cm})`;
  if (cm === 0) {
    b.step('amt.activate-ccm', `AMT${a.value.amt ? ` ${a.value.amt}` : ''} answers PTHI in control mode ${mode}; policy use with amt.provision activates it in client control mode with a random admin password sealed to the org`, { controlMode: 'ccm' });
  } else if (cm === 1 || cm === 2) {
    b.step('amt.keep-activation', `AMT is already activated in ${mode}; policy use keeps a valid activation when the org holds its admin password (the executor checks the vault)`, { controlMode: cm === 1 ? 'ccm' : 'acm' });
    if (cm === 2) b.note('AMT: activated in admin control mode by someone else; the policy asks for CCM but ACM is kept (leaving it needs the ACM admin password)');
  } else return b.note(`AMT: control mode ${mode} is not one this agent knows; nothing planned`);
  let kvm = p.amt.kvm;
  if (kvm && /Standard Manageability/.test(a.value.features ?? '')) {
    kvm = false;
    b.note(`AMT: KVM asked for but this SKU (${a.value.features}) has no KVM; only SOL and IDE-R are set`);
  }
  b.step('amt.features', `policy amt: SOL ${onOff(p.amt.sol)}, IDE-R ${onOff(p.amt.ider)}, KVM ${onOff(kvm)}; the executor changes only what differs`, { sol: p.amt.sol, ider: p.amt.ider, kvm });
}

function planBmcUse(p: Policy, r: Report, f: PlanFacts, b: Builder): void {
  if (!p.bmc.provision) return b.note('BMC: policy bmc.provision is false; the BMC is left as it is');
  if (!r.bmc.present) return b.note('BMC: not present (no SMBIOS 38, IPMI interface, driver or BMC video function)');
  const read = bmcRead(r);
  if (!read.ok) return b.note(`BMC: present but not read in band (${read.why}); nothing planned`);
  const info = read.value;
  const lans = lanChannels(info);
  if (lans.length === 0) return b.note(`BMC at ${info.devicePath} reports no LAN channel: an account there would be unreachable by peers; nothing planned`);
  const existing = info.users?.users.find((u) => u.name === p.bmc.user);
  if (existing) b.note(`BMC: user ${p.bmc.user} already exists in slot ${existing.id}; not re-created (rotating its password is a separate decision)`);
  else {
    const seen = info.users ? `not among the ${info.users.users.filter((u) => u.name).length} named users` : 'the user table was not read (the executor reads it and refuses an existing name)';
    b.step('bmc.add-user', `BMC at ${info.devicePath} with LAN channel ${lans.join(', ')}; user ${p.bmc.user} ${seen}; policy use provisions it (${p.bmc.privilege}) with a random password sealed to the org`, {
      user: p.bmc.user,
      privilege: p.bmc.privilege,
    });
  }
  if (p.bmc.harden) b.step('bmc.harden', 'policy bmc.harden: disable nameless users and every cipher suite but 3 and 17', {});
  else b.note('BMC: policy bmc.harden is false; cipher suites and nameless users left as they are');
  if (p.bmc.lan === 'static') {
    const lan = f.lan;
    const channel = lans[0] as number;
    if (!lan) b.note('BMC: policy bmc.lan is static but enrollment gave no address; the LAN address is left as it is');
    else {
      const cur = info.lan.find((l) => l.channel === channel);
      if (cur && cur.ipAddress === lan.ip && cur.netmask === lan.netmask && cur.gateway === lan.gateway && cur.ipSource === 'static') {
        b.note(`BMC: LAN channel ${channel} already has static ${lan.ip}/${lan.netmask} via ${lan.gateway}`);
      } else {
        const now = cur ? `${cur.ipSource ?? 'unknown source'} ${cur.ipAddress ?? '?'}` : 'not read';
        b.step('bmc.set-lan', `policy bmc.lan static: channel ${channel} is ${now}; enrollment gives ${lan.ip}/${lan.netmask} via ${lan.gateway}`, { channel, ip: lan.ip, netmask: lan.netmask, gateway: lan.gateway });
      }
    }
  }
}

function planChannelRefs(r: Report, f: PlanFacts, b: Builder): void {
  for (const c of f.channels) {
    const seen = r.hypervisor.provider ? `; the report sees ${r.hypervisor.provider}` : r.hypervisor.hypervisor ? `; the report sees ${r.hypervisor.hypervisor}` : '';
    const ids = Object.entries(c.ref)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ');
    b.step('vault.record-channel', `enrollment gives the ${c.channel} reference (${ids})${seen}; policy use records it for peers, no secret`, { channel: c.channel, ...c.ref }, `vault.record-channel:${c.channel}`);
  }
  const hv = r.hypervisor;
  if ((hv.provider || hv.hypervisor) && f.channels.length === 0) {
    b.note(`channels: running under ${hv.provider ?? hv.hypervisor} but enrollment gave no VM or server reference; peers cannot power-cycle this node through it`);
  }
}

function planNeutralize(p: Policy, r: Report, b: Builder): void {
  if (!p.amt.provision) b.note('AMT: policy amt.provision is false; AMT left as it is');
  else if (!r.amt.present) b.note('AMT: not present; nothing to unprovision');
  else {
    const a = amtRead(r);
    if (!a.ok) b.note(`AMT: present but not read in band (${a.why}); its control mode decides how to unprovision, so nothing is planned`);
    else if (a.value.controlModeCode === 0) b.note('AMT: already not activated (control mode 0); nothing to unprovision');
    else if (a.value.controlModeCode === 1) b.step('amt.deactivate', 'AMT is activated in client control mode (1); policy neutralize unprovisions it over PTHI (no password needed in CCM)', { controlMode: 'ccm' });
    else {
      b.step('amt.deactivate', `AMT is activated in ${CONTROL_MODE[a.value.controlModeCode] ?? a.value.controlModeCode}; policy neutralize unprovisions it with WS-MAN Unprovision`, { controlMode: 'acm' });
      b.note("AMT: admin control mode needs the org's stored admin password to unprovision; only an operator holding the org recovery key can open it");
    }
  }
  const bound = boundMeiDevices(r);
  if (bound.length === 0) b.note('MEI: no platform MEI controller has a driver bound; nothing to unbind');
  bound.forEach((d, i) =>
    b.step('mei.unbind', `${d.name} at ${d.pciAddress} is bound to ${d.driver}; policy neutralize unbinds it so the OS stops talking to the ME`, { pciAddress: d.pciAddress, driver: d.driver }, i === 0 ? 'mei.unbind' : `mei.unbind:${d.pciAddress}`),
  );
  // Also once unbound: the PCI function stays, and a blacklist that a failed run did not write must still be planned.
  const functions = [...new Set([...bound.map((d) => d.pciAddress), ...r.pci.filter((d) => d.role === 'mei').map((d) => d.address)])].sort();
  if (functions.length > 0) {
    const drivers = [...new Set(bound.map((d) => d.driver))].sort().join(',');
    const seen = drivers ? `the MEI driver (${drivers}) is loaded` : `the MEI function ${functions.join(', ')} is present (no driver bound now)`;
    b.step('mei.blacklist', `${seen}; policy neutralize blacklists the driver so it does not come back at the next boot`, { functions: functions.join(','), drivers });
  } else if (bound.length === 0) b.note('MEI: no MEI PCI function; nothing to blacklist');
  const me = meActivity(r);
  b.step('me.verify-disabled', `policy neutralize requires a disabled ME; the report says ${me.state}: ${me.evidence.join('; ')}`, { reported: me.state });
  if (me.state === 'active') b.note('ME: active now; only HAP (a flash descriptor change, tools/hap) disables it, so verify-disabled will fail until the flash is changed');
}

const onOff = (v: boolean): string => (v ? 'on' : 'off');

export function plan(policy: Policy, policyDigest: string, report: Report, facts: PlanFacts = NO_FACTS): Plan {
  const b = new Builder();
  switch (policy.oob) {
    case 'use':
      planAmtUse(policy, report, b);
      planBmcUse(policy, report, facts, b);
      planChannelRefs(report, facts, b);
      break;
    case 'neutralize':
      planNeutralize(policy, report, b);
      if (facts.channels.length > 0) b.note('channels: neutralize records no channel references');
      break;
    case 'ignore':
      b.step('report-only', `policy oob ignore: nothing is changed; the report lists ${report.channels.length} channel(s)`, { channels: report.channels.map((c) => `${c.kind}:${c.verdict}`).join(' ') });
      break;
  }
  return { mode: policy.oob, serial: policy.serial, policyDigest, steps: b.steps, notes: b.notes };
}
