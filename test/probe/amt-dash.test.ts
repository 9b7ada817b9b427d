// deriveAmt and deriveDash: pure functions over the SMBIOS, MEI and PCI sections,
// fed from the hand-built unit trees and in-memory SMBIOS records. Also checks
// that their reports satisfy the structural inputs channels.ts ranks.

import test from 'ava';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorSink } from '../../agent/probe/errors.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { readPci, type PciDevice } from '../../agent/probe/pci.ts';
import { readMei, type MeiReport } from '../../agent/probe/mei.ts';
import { deriveAmt } from '../../agent/probe/amt.ts';
import { deriveDash } from '../../agent/probe/dash.ts';
import { rankChannels, type ChannelInputs } from '../../agent/probe/channels.ts';
import type { AmtSmbios, VproSmbios } from '../../agent/probe/smbios/types.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

function load(fixture: string, pciIds: string | null = null): { mei: MeiReport; pci: PciDevice[] } {
  const sys = new SysRoot(path.join(FIXTURES, fixture));
  const errs = new ErrorSink();
  return { mei: readMei(sys, errs.for('mei'), null), pci: readPci(sys, errs.for('pci'), { pciIds }) };
}

const AMT_ON: AmtSmbios = { handle: 0x2d, signatureOk: true, supported: true, enabled: true, iderEnabled: true, solEnabled: true, networkEnabled: true, kvmEnabled: false, raw: '24414d5401010101010000000000000000' };
const VPRO: VproSmbios = { handle: 0x2e, signatureOk: true, txtSupported: true, txtEnabled: false, vmxSupported: true, vmxEnabled: true, mebxVersion: '16.0.0.0004', meVersion: '16.1.30.2307', raw: '' };

test('vPro desktop: $AMT enabled, Corporate SKU, PTHI client, SOL function, versions with their sources', (t) => {
  const { mei, pci } = load('unit/mei-csme16-corporate');
  const a = deriveAmt(AMT_ON, VPRO, mei, pci);
  t.true(a.present);
  t.true(a.capable);
  t.true(a.enabledInBios);
  t.is(a.sku, 'Corporate');
  t.true(a.pthiClient);
  t.deepEqual(a.features, { sol: true, ider: true, kvm: false, network: true });
  t.is(a.meVersion, '16.1.30.2307');
  t.is(a.meVersionSource, 'fw_ver');
  t.is(a.mebxVersion, '16.0.0.0004');
  t.is(a.solFunction, '0000:00:16.3');
  t.is(a.iderFunction, null);
  t.deepEqual(a.meiFunctions, ['0000:00:16.0']);
  t.is(a.provisioning, null);
  t.regex(a.provisioningUnavailable, /GetProvisioningState 0x11.*\/dev\/mei0/);
  t.deepEqual(a.evidence, [
    'SMBIOS type 130 $AMT: AMT supported, enabled in firmware setup; SOL on, IDE-R on, KVM off, network on',
    'ME firmware SKU Corporate (HFSTS3 0x00000030): AMT-capable firmware',
    'PTHI (AMT host interface) client on the MEI bus: 0000:00:16.0-12f80028-b4b7-4b2d-aca8-46e0ff65814c',
    'AMT Serial-over-LAN (KT) function 8086:7aeb at 0000:00:16.3 (serial)',
    'ME firmware 16.1.30.2307 (/sys/class/mei fw_ver)',
  ]);
});

test('$AMT supported but disabled in setup: present, enabledInBios false, channel unusable', (t) => {
  const { mei, pci } = load('unit/mei-csme16-corporate');
  const a = deriveAmt({ ...AMT_ON, enabled: false }, null, mei, pci);
  t.true(a.present);
  t.false(a.enabledInBios);
  t.is(a.mebxVersion, null);
  const ch = rankChannels(inputs({ amt: a, mei }));
  t.like(ch.find((c) => c.kind === 'amt'), { verdict: 'unusable' });
});

test('ME disabled: AMT stays present (the hardware has it) and the channel is unusable with the ME evidence', (t) => {
  const { mei, pci } = load('unit/mei-soft-disabled');
  const a = deriveAmt(AMT_ON, null, mei, pci);
  t.true(a.present);
  t.is(a.sku, 'Consumer');
  const amt = rankChannels(inputs({ amt: a, mei })).find((c) => c.kind === 'amt');
  t.is(amt?.verdict, 'unusable');
  t.true(amt?.evidence.includes('ME disabled: working state Disabled (HAP or soft-disable), operation mode Soft Temporary Disable, error code Disabled'));
});

test('Consumer SKU and nothing else: not capable', (t) => {
  const { mei, pci } = load('unit/mei-soft-disabled');
  const a = deriveAmt(null, null, mei, pci);
  t.false(a.present);
  t.false(a.capable);
  t.is(a.enabledInBios, null);
  t.deepEqual(a.features, { sol: null, ider: null, kvm: null, network: null });
  t.deepEqual(a.evidence, ['ME firmware SKU Consumer (HFSTS3 0x00000020): no AMT in this firmware']);
});

test('a $AMT table without its signature is ignored and said so', (t) => {
  const { mei, pci } = load('qemu-q35');
  const a = deriveAmt({ ...AMT_ON, signatureOk: false }, null, mei, pci);
  t.false(a.present);
  t.is(a.capable, null);
  t.is(a.enabledInBios, null);
  t.deepEqual(a.evidence, ['SMBIOS type 130 (handle 0x002d) lacks the $AMT signature; ignored']);
});

test('QEMU q35: no AMT, no DASH', (t) => {
  const { mei, pci } = load('qemu-q35');
  const a = deriveAmt(null, null, mei, pci);
  t.like(a, { present: false, capable: null, enabledInBios: null, sku: null, solFunction: null, meVersion: null });
  t.deepEqual(a.evidence, []);
  t.deepEqual(deriveDash(pci), { present: false, controller: null, functions: [], nics: [], evidence: [] });
});

test('AMT functions found by slot alone make AMT present even when the MEI driver is not loaded', (t) => {
  const { mei, pci } = load('unit/pci-mixed');
  const a = deriveAmt(null, null, mei, pci);
  t.true(a.present);
  t.is(a.solFunction, '0000:00:16.3');
  t.is(a.iderFunction, '0000:00:16.2');
  t.deepEqual(a.evidence, ['AMT Serial-over-LAN (KT) function 8086:7a9b at 0000:00:16.3 (serial)', 'AMT IDE-R function 8086:7a9a at 0000:00:16.2']);
});

test('Realtek RealManage: the DASH functions and the NIC in the same slot (names from pci.ids fallbacks)', (t) => {
  const { pci } = load('unit/pci-mixed');
  const d = deriveDash(pci);
  t.true(d.present);
  t.is(d.controller, 'Realtek RealManage');
  t.deepEqual(d.functions.map((f) => [f.address, f.kind]), [['0000:03:00.1', 'uart'], ['0000:03:00.2', 'uart'], ['0000:03:00.3', 'ipmi'], ['0000:03:00.4', 'bmc']]);
  // The igb NIC at 0000:04:00.0 is another card.
  t.deepEqual(d.nics, [{ address: '0000:03:00.0', vendorId: 0x10ec, deviceId: 0x8168, name: null, driver: 'r8169' }]);
  t.deepEqual(d.evidence, [
    'RTL8111xP UART #1 10ec:816a at 0000:03:00.1',
    'RTL8111xP UART #2 10ec:816b at 0000:03:00.2',
    'RTL8111xP IPMI interface 10ec:816c at 0000:03:00.3',
    'Realtek RealManage BMC 10ec:816e at 0000:03:00.4',
    'beside NIC 10ec:8168 at 0000:03:00.0 (r8169)',
  ]);
  t.like(rankChannels(inputs({ dash: d })).find((c) => c.kind === 'dash'), { verdict: 'needs-setup', evidence: d.evidence });
});

test('a RealManage BMC function alone: present, and the missing NIC is said', (t) => {
  const bmc = load('unit/pci-mixed').pci.filter((p) => p.address === '0000:03:00.4');
  const d = deriveDash(bmc);
  t.true(d.present);
  t.deepEqual(d.evidence, ['Realtek RealManage BMC 10ec:816e at 0000:03:00.4', 'no Ethernet function found in the same slot as the RealManage functions']);
});

function inputs(over: Partial<ChannelInputs>): ChannelInputs {
  return {
    amt: { present: false, enabledInBios: null, evidence: [] },
    mei: { disabled: null, evidence: [] },
    bmc: { present: false, evidence: [] },
    redfish: { present: false, evidence: [] },
    dash: { present: false, evidence: [] },
    hypervisor: { virtualized: false, hypervisor: null, provider: null, evidence: [] },
    watchdogs: [],
    nics: [],
    ...over,
  };
}
