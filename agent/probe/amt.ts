// Intel AMT as far as files tell: whether the firmware has it, whether the BIOS
// enabled it, which redirection features the BIOS reports, and where its PCI
// functions and versions are. What `rpc amtinfo` adds on top (provisioning state,
// control mode, AMT's own version string, LAN settings) needs PTHI commands over
// /dev/mei0 and is left null here with the reason in `provisioningUnavailable`.
//
// Sources: SMBIOS 130 ($AMT) and 131 (vPro) layouts and PTHI client GUID in
// shared/reference/amt-me.md sections 1a and 4; HFSTS3 FW SKU in section 3.

import type { AmtSmbios, VproSmbios } from './smbios/types.ts';
import type { MeiReport } from './mei.ts';
import type { PciDevice } from './pci.ts';
import { hex32 } from './hfsts.ts';

export interface AmtReport {
  /** The firmware has AMT (capable), whatever its BIOS setting or provisioning. */
  present: boolean;
  /** true: some source says AMT firmware; false: sources say no AMT; null: nothing tells. */
  capable: boolean | null;
  /** SMBIOS 130 "AMT enabled"; null without a valid $AMT table. */
  enabledInBios: boolean | null;
  /** HFSTS3 firmware SKU ("Corporate" carries AMT); null when not read. */
  sku: string | null;
  /** The PTHI (AMT host interface) client is listed on the MEI bus. */
  pthiClient: boolean;
  /** SMBIOS 130 flags; null without a valid $AMT table. */
  features: { sol: boolean | null; ider: boolean | null; kvm: boolean | null; network: boolean | null };
  meVersion: string | null;
  meVersionSource: MeiReport['versionSource'];
  mebxVersion: string | null;
  /** PCI address of the Serial-over-LAN (KT) function, when the BIOS exposes it. */
  solFunction: string | null;
  iderFunction: string | null;
  meiFunctions: string[];
  /** Needs PTHI GetProvisioningState/GetControlMode over /dev/mei0; always null from files. */
  provisioning: null;
  provisioningUnavailable: string;
  evidence: string[];
}

const PROVISIONING_UNAVAILABLE =
  'provisioning state and control mode are answers to PTHI commands (GetProvisioningState 0x11, GetControlMode 0x6B) over /dev/mei0; the file probes do not open the device';

export function deriveAmt(smbiosAmt: AmtSmbios | null, smbiosVpro: VproSmbios | null, mei: MeiReport, pci: PciDevice[]): AmtReport {
  const evidence: string[] = [];
  const positive: boolean[] = [];
  const negative: boolean[] = [];

  const amt = smbiosAmt?.signatureOk ? smbiosAmt : null;
  if (smbiosAmt && !smbiosAmt.signatureOk) evidence.push(`SMBIOS type 130 (handle 0x${smbiosAmt.handle.toString(16).padStart(4, '0')}) lacks the $AMT signature; ignored`);
  if (amt) {
    (amt.supported ? positive : negative).push(true);
    const flags = [`SOL ${onOff(amt.solEnabled)}`, `IDE-R ${onOff(amt.iderEnabled)}`, `KVM ${onOff(amt.kvmEnabled)}`, `network ${onOff(amt.networkEnabled)}`].join(', ');
    evidence.push(`SMBIOS type 130 $AMT: AMT ${amt.supported ? 'supported' : 'not supported'}, ${amt.enabled ? 'enabled' : 'disabled'} in firmware setup; ${flags}`);
  }

  const skuCoded = mei.hfsts?.hfsts3?.fwSku ?? null;
  const sku = skuCoded && !skuCoded.name.startsWith('unknown') ? skuCoded.name : null;
  if (sku && mei.hfsts?.hfsts3) {
    const from = mei.source === 'smbios-219' ? 'SMBIOS 219 copy of HFSTS3' : 'HFSTS3';
    if (sku === 'Corporate') {
      positive.push(true);
      evidence.push(`ME firmware SKU Corporate (${from} ${hex32(mei.hfsts.hfsts3.raw)}): AMT-capable firmware`);
    } else if (sku === 'Consumer' || sku === 'Lite') {
      negative.push(true);
      evidence.push(`ME firmware SKU ${sku} (${from} ${hex32(mei.hfsts.hfsts3.raw)}): no AMT in this firmware`);
    }
  }

  const pthi = mei.clients.find((c) => c.protocol?.startsWith('PTHI'));
  if (pthi) {
    positive.push(true);
    evidence.push(`PTHI (AMT host interface) client on the MEI bus: ${pthi.id}`);
  }

  const sol = pci.find((d) => d.role === 'amt-sol') ?? null;
  const ider = pci.find((d) => d.role === 'amt-ider') ?? null;
  for (const [label, f] of [['AMT Serial-over-LAN (KT)', sol], ['AMT IDE-R', ider]] as const) {
    if (!f) continue;
    positive.push(true);
    evidence.push(`${label} function ${ids(f)} at ${f.address}${f.driver ? ` (${f.driver})` : ''}`);
  }
  const meiFunctions = pci.filter((d) => d.role === 'mei');

  const capable = positive.length > 0 ? true : negative.length > 0 ? false : null;
  const present = capable === true;
  if (present) {
    if (mei.version) evidence.push(`ME firmware ${mei.version.text} (${versionFrom(mei.versionSource)})`);
    if (mei.mebxVersion) evidence.push(`MEBx ${mei.mebxVersion}`);
    if (!pthi && mei.devices.some((d) => d.platform) && mei.clients.length > 0) {
      // bus-fixup.c only puts single-connection clients on the bus, so a missing PTHI entry proves nothing.
      evidence.push('PTHI client not listed on the MEI bus (the kernel lists only single-connection clients there)');
    }
    if (meiFunctions.length === 0 && !mei.present) evidence.push('no HECI/MEI PCI function visible: the BIOS may hide it, which also hides AMT from this host');
  }

  return {
    present,
    capable,
    enabledInBios: amt ? amt.enabled : null,
    sku,
    pthiClient: mei.pthiClient,
    features: amt
      ? { sol: amt.solEnabled, ider: amt.iderEnabled, kvm: amt.kvmEnabled, network: amt.networkEnabled }
      : { sol: null, ider: null, kvm: null, network: null },
    meVersion: mei.version?.text ?? (smbiosVpro?.signatureOk ? smbiosVpro.meVersion : null),
    meVersionSource: mei.version ? mei.versionSource : smbiosVpro?.signatureOk && smbiosVpro.meVersion ? 'smbios-131' : null,
    mebxVersion: mei.mebxVersion ?? (smbiosVpro?.signatureOk ? smbiosVpro.mebxVersion : null),
    solFunction: sol?.address ?? null,
    iderFunction: ider?.address ?? null,
    meiFunctions: meiFunctions.map((d) => d.address),
    provisioning: null,
    provisioningUnavailable: PROVISIONING_UNAVAILABLE,
    evidence,
  };
}

const onOff = (b: boolean): string => (b ? 'on' : 'off');
const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
const ids = (d: PciDevice): string => `${hex4(d.vendorId)}:${hex4(d.deviceId)}`;

function versionFrom(src: MeiReport['versionSource']): string {
  switch (src) {
    case 'fw_ver':
      return '/sys/class/mei fw_ver';
    case 'smbios-221':
      return 'SMBIOS type 221';
    case 'smbios-131':
      return 'SMBIOS type 131';
    default:
      return 'unknown source';
  }
}
