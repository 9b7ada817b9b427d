// Which recovery channels this node offers, best first, each with the evidence
// that found it. Pure: it reads the other sections and touches nothing.
//
// Order of preference is the heal ladder's (DESIGN.md): a channel that can
// power-cycle the machine and then read back its power state beats one that
// cannot verify; one that works now beats one that needs setup first.

export type ChannelKind = 'amt' | 'ipmi' | 'redfish' | 'dash' | 'hypervisor' | 'vps' | 'wol' | 'watchdog';
export type ChannelVerdict = 'usable' | 'needs-setup' | 'unusable';
export type PowerAction = 'status' | 'on' | 'off' | 'cycle' | 'reset';

export interface Channel {
  kind: ChannelKind;
  rank: number;
  verdict: ChannelVerdict;
  reason: string;
  /** Actions a peer can drive through it (the watchdog only resets its own node). */
  actions: PowerAction[];
  /** Whether the channel can read back power state, so a cycle can be verified. */
  verifiable: boolean;
  evidence: string[];
}

const PREFERENCE: readonly ChannelKind[] = ['amt', 'ipmi', 'redfish', 'dash', 'hypervisor', 'vps', 'wol', 'watchdog'];
const VERDICT_ORDER: Record<ChannelVerdict, number> = { usable: 0, 'needs-setup': 1, unusable: 2 };
const FULL: PowerAction[] = ['status', 'on', 'off', 'cycle', 'reset'];

/** The parts of the report channel ranking reads; structural so each probe owns its types. */
export interface ChannelInputs {
  amt: { present: boolean; enabledInBios?: boolean | null; evidence: string[] };
  mei: { disabled?: boolean | null; evidence?: string[] };
  bmc: { present: boolean; evidence: string[] };
  redfish: { present: boolean; evidence: string[] };
  dash: { present: boolean; evidence: string[] };
  hypervisor: { virtualized: boolean | null; hypervisor: string | null; provider: string | null; evidence: string[] };
  watchdogs: { name: string; identity: string | null; kind: string; devNode?: string | null }[];
  nics: { name: string; bus: string; virtual: boolean; mac: string | null; driver: string | null; pciAddress: string | null }[];
}

type Draft = Omit<Channel, 'rank'>;

export function rankChannels(r: ChannelInputs): Channel[] {
  const drafts: Draft[] = [];
  const amt = amtChannel(r);
  if (amt) drafts.push(amt);
  if (r.bmc.present) {
    drafts.push({ kind: 'ipmi', verdict: 'needs-setup', reason: 'BMC found; policy `use` gives it a dedicated operator account, then peers reach it over RMCP+', actions: FULL, verifiable: true, evidence: r.bmc.evidence });
  }
  if (r.redfish.present) {
    drafts.push({ kind: 'redfish', verdict: 'needs-setup', reason: 'Redfish host interface advertised; needs a BMC account for the service', actions: FULL, verifiable: true, evidence: r.redfish.evidence });
  }
  if (r.dash.present) {
    drafts.push({ kind: 'dash', verdict: 'needs-setup', reason: 'DASH management controller found; needs DASH credentials provisioned', actions: FULL, verifiable: true, evidence: r.dash.evidence });
  }
  const hv = r.hypervisor;
  if (hv.virtualized && hv.hypervisor && !hv.provider) {
    drafts.push({ kind: 'hypervisor', verdict: 'needs-setup', reason: `running under ${hv.hypervisor}; the hypervisor API endpoint and credentials come from the org config`, actions: FULL, verifiable: true, evidence: hv.evidence });
  }
  if (hv.provider) {
    drafts.push({ kind: 'vps', verdict: 'needs-setup', reason: `${hv.provider} instance; the provider API token comes from the org config`, actions: FULL, verifiable: true, evidence: hv.evidence });
  }
  const wol = wolChannel(r);
  if (wol) drafts.push(wol);
  const wd = watchdogChannel(r);
  if (wd) drafts.push(wd);

  // A peer heals this node through a power channel; the watchdog only resets the node
  // itself, so it follows every channel a peer could use, usable or not yet set up.
  const tier = (d: Draft): number => (d.verdict === 'unusable' ? 2 : d.kind === 'watchdog' ? 1 : 0);
  drafts.sort((a, b) => tier(a) - tier(b) || VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] || PREFERENCE.indexOf(a.kind) - PREFERENCE.indexOf(b.kind));
  return drafts.map((d, i) => ({ kind: d.kind, rank: i + 1, verdict: d.verdict, reason: d.reason, actions: d.actions, verifiable: d.verifiable, evidence: d.evidence }));
}

function amtChannel(r: ChannelInputs): Draft | null {
  if (!r.amt.present) return null;
  const evidence = [...r.amt.evidence];
  if (r.mei.disabled) {
    return { kind: 'amt', verdict: 'unusable', reason: 'the ME is disabled, so AMT cannot answer', actions: [], verifiable: false, evidence: [...evidence, ...(r.mei.evidence ?? [])] };
  }
  if (r.amt.enabledInBios === false) {
    return { kind: 'amt', verdict: 'unusable', reason: 'AMT is disabled in the firmware setup (SMBIOS 130)', actions: [], verifiable: false, evidence };
  }
  return { kind: 'amt', verdict: 'needs-setup', reason: 'AMT firmware present; policy `use` provisions it in client control mode (files cannot tell whether it is provisioned already)', actions: FULL, verifiable: true, evidence };
}

function wolChannel(r: ChannelInputs): Draft | null {
  // A virtual NIC never wakes a powered-off machine; only physical PCI NICs count.
  if (r.hypervisor.virtualized) return null;
  const nics = r.nics.filter((n) => !n.virtual && n.bus === 'pci' && n.mac);
  if (nics.length === 0) return null;
  return {
    kind: 'wol',
    verdict: 'needs-setup',
    reason: 'power-on only and blind to power state; whether the NIC wakes on a magic packet is an ethtool setting, not a file',
    actions: ['on'],
    verifiable: false,
    evidence: nics.map((n) => `NIC ${n.name} ${n.mac} (${n.driver ?? 'no driver'}, PCI ${n.pciAddress ?? '?'})`),
  };
}

function watchdogChannel(r: ChannelInputs): Draft | null {
  const resetting = r.watchdogs.filter((w) => w.kind !== 'alarm-only');
  if (resetting.length === 0) {
    if (r.watchdogs.length === 0) return null;
    return { kind: 'watchdog', verdict: 'unusable', reason: 'only alarm-only watchdogs, which cannot reset the machine', actions: [], verifiable: false, evidence: r.watchdogs.map(describeWd) };
  }
  const hardware = resetting.filter((w) => w.kind !== 'software');
  return {
    kind: 'watchdog',
    verdict: 'usable',
    reason: hardware.length > 0 ? 'hardware watchdog resets this node when the agent stops feeding it' : 'software watchdog only: resets this node on a hang only while the kernel still runs',
    actions: ['reset'],
    verifiable: false,
    evidence: (hardware.length > 0 ? hardware : resetting).map(describeWd),
  };
}

const describeWd = (w: ChannelInputs['watchdogs'][number]): string => `${w.devNode ?? w.name}: ${w.identity ?? 'unknown'} (${w.kind})`;
