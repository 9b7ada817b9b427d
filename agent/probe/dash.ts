// AMD DASH through Realtek RealManage: NICs with a DASH management controller
// expose extra PCI functions beside the Ethernet function (pci.ids, vendor 10ec:
// 816a/816b UARTs, 816c IPMI interface, 816d EHCI, 816e "Realtek RealManage BMC";
// shared/reference/amt-me.md section 6). Whether DASH is switched on is internal
// to the NIC (r8169 reads it from OCP registers), so presence is all files show.

import { sameSlot, type PciDevice } from './pci.ts';

export interface DashFunction {
  address: string;
  deviceId: number;
  kind: 'uart' | 'ipmi' | 'ehci' | 'bmc';
  name: string;
  driver: string | null;
}

export interface DashNic {
  address: string;
  vendorId: number;
  deviceId: number;
  name: string | null;
  driver: string | null;
}

export interface DashReport {
  present: boolean;
  /** The management controller family found, null when none. */
  controller: 'Realtek RealManage' | null;
  functions: DashFunction[];
  /** Ethernet functions in the same slot as the RealManage functions: the port DASH listens on. */
  nics: DashNic[];
  evidence: string[];
}

/** The RealManage functions by device id; names (pci.ids' own) are used when pci.ids is not installed. */
const FALLBACK: ReadonlyMap<number, { kind: DashFunction['kind']; name: string }> = new Map([
  [0x816a, { kind: 'uart', name: 'RTL8111xP UART #1' }],
  [0x816b, { kind: 'uart', name: 'RTL8111xP UART #2' }],
  [0x816c, { kind: 'ipmi', name: 'RTL8111xP IPMI interface' }],
  [0x816d, { kind: 'ehci', name: 'RTL811x EHCI host controller' }],
  [0x816e, { kind: 'bmc', name: 'Realtek RealManage BMC' }],
]);

export function deriveDash(pci: PciDevice[]): DashReport {
  const functions: DashFunction[] = [];
  for (const d of pci) {
    const known = d.role === 'dash' && d.vendorId === 0x10ec ? FALLBACK.get(d.deviceId) : undefined;
    if (known) functions.push({ address: d.address, deviceId: d.deviceId, kind: known.kind, name: d.deviceName ?? known.name, driver: d.driver });
  }
  const nics: DashNic[] = pci
    .filter((d) => d.role === 'nic' && functions.some((f) => sameSlot(f.address, d.address)))
    .map((d) => ({ address: d.address, vendorId: d.vendorId, deviceId: d.deviceId, name: d.deviceName, driver: d.driver }));

  const evidence = functions.map((f) => `${f.name} 10ec:${hex4(f.deviceId)} at ${f.address}${f.driver ? ` (${f.driver})` : ''}`);
  for (const n of nics) {
    evidence.push(`beside NIC ${n.name ? `${n.name} ` : ''}${hex4(n.vendorId)}:${hex4(n.deviceId)} at ${n.address}${n.driver ? ` (${n.driver})` : ''}`);
  }
  if (functions.length > 0 && nics.length === 0) evidence.push('no Ethernet function found in the same slot as the RealManage functions');

  return { present: functions.length > 0, controller: functions.length > 0 ? 'Realtek RealManage' : null, functions, nics, evidence };
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
