// The OEM SMBIOS encoders the QEMU profiles use, checked by decoding their
// bytes with the agent's own decoders (the round trip the guest will do), and
// against the dmidecode dumps of real machines the fixtures quote.

import test from 'ava';
import fc from 'fast-check';
import { decodeSmbios } from '../../agent/probe/smbios/index.ts';
import { buildTable, entryPoint3, structureBytes, type RawStructure } from '../../tools/smbios/build.ts';
import { amtTable, fwstsTable, redfishHostInterfacePci, vproTable } from '../../tools/smbios/oem.ts';

function decode(...structs: RawStructure[]) {
  const table = buildTable(structs);
  const r = decodeSmbios(entryPoint3(table), table);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const hex = (s: RawStructure): string =>
  [...structureBytes(s)]
    .map((b) => b.toString(16).toUpperCase().padStart(2, '0'))
    .join(' ');

test('type 130 $AMT: the OptiPlex 7050 dump byte for byte, and decoded as such', (t) => {
  const s = amtTable({
    handle: 0xf022,
    supported: true,
    enabled: true,
    ider: true,
    sol: true,
    network: true,
    kvm: true,
    extendedData: 0xa5,
    oemCapabilities: [0xaf, 0x02, 0x80, 0x00],
  });
  // Header and data dmidecode printed for handle 0xF022 on that machine (tools/fixtures/vpro-desktop.ts), then the empty string set.
  t.is(hex(s), '82 14 22 F0 24 41 4D 54 01 01 01 01 01 A5 AF 02 80 00 01 00 00 00');
  const r = decode(s);
  t.deepEqual(r.issues, []);
  t.like(r.report.amt, { handle: 0xf022, signatureOk: true, supported: true, enabled: true, iderEnabled: true, solEnabled: true, networkEnabled: true, kvmEnabled: true });
});

test('type 130: each flag lands in its own byte', (t) => {
  const r = decode(amtTable({ handle: 0xf000, supported: true, enabled: false, ider: false, sol: true, network: false, kvm: false }));
  t.like(r.report.amt, { supported: true, enabled: false, iderEnabled: false, solEnabled: true, networkEnabled: false, kvmEnabled: false });
});

test('type 131 vPro: versions and CPU capability bits come back', (t) => {
  const s = vproTable({ handle: 0xf023, cpuCapabilities: 0x35, mebxVersion: '11.0.0.10', meVersion: '11.8.77.3664' });
  t.is(structureBytes(s)[1], 0x40);
  const r = decode(s);
  t.deepEqual(r.issues, []);
  t.like(r.report.vpro, {
    handle: 0xf023,
    signatureOk: true,
    txtSupported: true,
    txtEnabled: false,
    vmxSupported: true,
    vmxEnabled: true,
    mebxVersion: '11.0.0.10',
    meVersion: '11.8.77.3664',
  });
});

test('type 131: the ME version fields sit where the OptiPlex dump has them', (t) => {
  const b = structureBytes(vproTable({ handle: 1, cpuCapabilities: 0, mebxVersion: '0.0.0.0', meVersion: '11.8.77.3664' }));
  // minor@0x1C major@0x1E build@0x20 hotfix@0x22, as in "08 00 0B 00 50 0E 4D 00" of that dump.
  t.deepEqual([...b.subarray(0x1c, 0x24)], [0x08, 0x00, 0x0b, 0x00, 0x50, 0x0e, 0x4d, 0x00]);
  t.is(b.toString('latin1', 0x38, 0x3c), 'vPro');
});

test('type 219 FWSTS: a disabled ME decodes to its HFSTS registers', (t) => {
  const hap = (4 << 0) | (1 << 6) | (2 << 12) | (3 << 16);
  const r = decode(fwstsTable(0xf0db, [{ component: 1, hfsts: [hap, 0, 0, 0, 0, 0] }]));
  t.deepEqual(r.report.fwsts, [{ handle: 0xf0db, version: 1, records: [{ component: 'MEI1', componentCode: 1, hfsts: [0x00032044, 0, 0, 0, 0, 0] }] }]);
});

test('type 219: several records, full 32-bit registers', (t) => {
  const records = [
    { component: 1, hfsts: [0x90000245, 0x8a108106, 0x30, 0x684000, 0x1f01, 0x47c003c9] },
    { component: 3, hfsts: [1, 2, 3, 4, 5, 0xffffffff] },
  ];
  const r = decode(fwstsTable(0xf033, records));
  t.deepEqual(
    r.report.fwsts[0]?.records.map((x) => [x.component, x.hfsts]),
    [
      ['MEI1', records[0]?.hfsts],
      ['MEI3', records[1]?.hfsts],
    ],
  );
});

test('type 219: bad input is refused when encoding', (t) => {
  t.throws(() => fwstsTable(1, []), { instanceOf: RangeError });
  t.throws(() => fwstsTable(1, [{ component: 1, hfsts: [1, 2, 3] }]), { message: /6/ });
});

test('type 42: a PCI/PCIe device descriptor naming QEMU e1000 ids, with its Redfish-over-IP record', (t) => {
  const r = decode(
    redfishHostInterfacePci(
      0xf0d9,
      { vendorId: 0x8086, deviceId: 0x100e, subsystemVendorId: 0x1af4, subsystemId: 0x1100 },
      {
        serviceUuid: 'a4b13f22-d0f3-11ea-aca9-e5b8d327f39f',
        hostIpAssignment: 'Static',
        hostIpv4: '169.254.95.120',
        hostMaskV4: '255.255.0.0',
        serviceIpDiscovery: 'Static',
        serviceIpv4: '169.254.95.118',
        serviceMaskV4: '255.255.0.0',
        servicePort: 443,
        vlanId: 0,
        hostname: 'XCC-7X06-J30ABCDE',
      },
    ),
  );
  t.deepEqual(r.issues, []);
  const hi = r.report.redfishHostInterfaces[0];
  t.is(hi?.interfaceType, 'Network');
  t.deepEqual(hi?.device, { type: 'PCI/PCIe', vendorId: 0x8086, deviceId: 0x100e, subsystemVendorId: 0x1af4, subsystemId: 0x1100 });
  const rec = hi?.protocols[0];
  t.is(rec?.type, 'Redfish over IP');
  t.like(rec && 'record' in rec ? rec.record : {}, { serviceIpAddress: '169.254.95.118', servicePort: 443, serviceHostname: 'XCC-7X06-J30ABCDE' });
});

test('OEM encoders: any valid input round-trips through the agent decoders', (t) => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const ver = fc.tuple(fc.nat(0xffff), fc.nat(0xffff), fc.nat(0xffff), fc.nat(0xffff)).map((v) => v.join('.'));
  fc.assert(
    fc.property(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), u32, ver, ver, fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.array(u32, { minLength: 6, maxLength: 6 })), { minLength: 1, maxLength: 9 }), (f, cpu, mebx, me, recs) => {
      const r = decode(
        amtTable({ handle: 0xf000, supported: f[0]!, enabled: f[1]!, ider: f[2]!, sol: f[3]!, network: f[4]!, kvm: f[5]! }),
        vproTable({ handle: 0xf001, cpuCapabilities: cpu, mebxVersion: mebx, meVersion: me }),
        fwstsTable(0xf002, recs.map(([component, hfsts]) => ({ component, hfsts }))),
      );
      const a = r.report.amt;
      const v = r.report.vpro;
      return (
        r.issues.length === 0 &&
        a !== null &&
        [a.supported, a.enabled, a.iderEnabled, a.solEnabled, a.networkEnabled, a.kvmEnabled].every((x, i) => x === f[i]) &&
        v !== null &&
        v.mebxVersion === mebx &&
        v.meVersion === me &&
        v.txtSupported === ((cpu & 4) !== 0) &&
        v.vmxEnabled === ((cpu & 0x20) !== 0) &&
        JSON.stringify(r.report.fwsts[0]?.records.map((x) => [x.componentCode, x.hfsts])) === JSON.stringify(recs)
      );
    }),
    { numRuns: 200 },
  );
  t.pass();
});
