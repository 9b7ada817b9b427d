// readMei on hand-built trees (test/fixtures/unit/mei-*: a CSME16 vPro desktop,
// an ME soft-disabled over HECI, garbage attributes) and on SMBIOS-only input,
// where the HECI function is hidden and only the firmware's type 219/221 copies
// remain. Register values are real ones with their sources cited in hfsts.test.ts
// and in the fixtures' README.

import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorSink } from '../../agent/probe/errors.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { parseClientDirName, readMei } from '../../agent/probe/mei.ts';
import type { SmbiosReport } from '../../agent/probe/smbios/types.ts';
import { emptySmbiosReport } from '../../agent/probe/smbios/decode.ts';

const UNIT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'unit');
const FIXTURES = path.dirname(UNIT);

function mei(root: string, smbios: SmbiosReport | null = null) {
  const errs = new ErrorSink('mei');
  return { report: readMei(new SysRoot(root), errs, smbios), errs: errs.list };
}

function emptyRoot(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mei-empty-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true }));
  return dir;
}

function smbios(over: Partial<SmbiosReport>): SmbiosReport {
  return { ...emptySmbiosReport({ anchor: '_SM3_', version: '3.3.0', tableAddress: '0x0', tableLength: 0, structureCount: null }), ...over };
}

// fwupd plugins/intel-me-smbios/tests/smbios-subtype-0x18.builder.xml, decoded:
// type 0xDB (handle 0x0073) records MEI1..MEI4 and type 0xDD (handle 0x0018) entries.
const FWUPD_FWSTS: SmbiosReport['fwsts'] = [
  {
    handle: 0x73,
    version: 1,
    records: [
      { component: 'MEI1', componentCode: 1, hfsts: [0x90000245, 0x39850106, 0x00000020, 0x00004000, 0x00000000, 0x40200002] },
      { component: 'MEI2', componentCode: 2, hfsts: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff] },
      { component: 'MEI3', componentCode: 3, hfsts: [0, 0x80, 0, 0, 0, 0] },
      { component: 'MEI4', componentCode: 4, hfsts: [0, 0, 0, 0, 0, 0] },
    ],
  },
];
const FWUPD_VERSIONS: SmbiosReport['firmwareVersions'] = [
  {
    handle: 0x18,
    entries: [
      { name: 'Reference Code - ME', label: null, version: '12.0.244.16' },
      { name: 'MEBx version', label: null, version: '0.0.0.0' },
      { name: 'ME Firmware Version', label: 'Consumer SKU', version: '16.1.32.2473' },
    ],
  },
];

test('unit/mei-csme16-corporate: device, versions, registers, clients and evidence', (t) => {
  const { report: r, errs } = mei(path.join(UNIT, 'mei-csme16-corporate'));
  t.deepEqual(errs, []);
  t.true(r.present);
  t.is(r.source, 'sysfs');
  t.false(r.disabled);
  t.is(r.family, 'CSME16');
  t.is(r.version?.text, '16.1.30.2307');
  t.is(r.versionSource, 'fw_ver');
  t.deepEqual(r.fwStatus, ['0x90000245', '0x39850106', '0x00000030', '0x00004000', '0x00000000', '0x40200002']);
  t.is(r.hfsts?.hfsts3?.fwSku?.name, 'Corporate');
  t.is(r.verdicts?.overrideStrap.result, 'pass');
  t.is(r.verdicts?.manufacturingMode.result, 'unknown');
  t.is(r.devices.length, 1);
  const d = r.devices[0]!;
  t.like(d, { name: 'mei0', parent: '0000:00:16.0', driver: 'mei_me', kind: 'mei', platform: true, devState: 'ENABLED', hbmVersion: '2.2', fwStatusState: 'ok' });
  t.deepEqual(d.firmware.map((f) => f.text), ['16.1.30.2307', '16.1.30.2307', '16.0.15.1810']);
  t.deepEqual(
    r.clients.map((c) => [c.uuid, c.protocol, c.version, c.parent]),
    [
      ['05b79a6f-4628-4d7f-899d-a91514cb32ab', 'WD (iAMT watchdog)', 2, '0000:00:16.0'],
      ['12f80028-b4b7-4b2d-aca8-46e0ff65814c', 'PTHI (AMT host interface)', 1, '0000:00:16.0'],
      ['55213584-9a29-4916-badf-0fb7ed682aeb', 'MKHI fix (kernel firmware-version client)', 1, '0000:00:16.0'],
      ['b638ab7e-94e2-4ea2-a552-d1c54b627f04', 'HDCP', 1, '0000:00:16.0'],
    ],
  );
  t.true(r.pthiClient);
  t.deepEqual(r.evidence, [
    'MEI mei0 at 0000:00:16.0 (mei_me), fw 16.1.30.2307, HFSTS1 0x90000245: Normal, M0 with UMA',
    'ME clients on the MEI bus: WD (iAMT watchdog), PTHI (AMT host interface), MKHI fix (kernel firmware-version client), HDCP',
  ]);
});

test('unit/mei-soft-disabled: HFSTS1 says disabled, evidence says why', (t) => {
  const { report: r, errs } = mei(path.join(UNIT, 'mei-soft-disabled'));
  t.deepEqual(errs, []);
  t.true(r.present);
  t.true(r.disabled);
  t.is(r.version, null);
  t.is(r.family, null);
  t.is(r.verdicts?.vulnerableVersion.result, 'not-enabled');
  t.false(r.pthiClient);
  t.deepEqual(r.evidence, [
    'MEI mei0 at 0000:00:16.0 (mei_me), fw version not published, HFSTS1 0x00032044: Disabled, M0 with UMA, mode Soft Temporary Disable, error Disabled',
    'ME disabled: working state Disabled (HAP or soft-disable), operation mode Soft Temporary Disable, error code Disabled',
  ]);
});

test('unit/mei-garbage: malformed attributes become errors, never exceptions', (t) => {
  const { report: r, errs } = mei(path.join(UNIT, 'mei-garbage'));
  t.true(r.present);
  t.is(r.disabled, null);
  t.is(r.source, null);
  t.is(r.devices[0]!.fwStatusState, 'malformed');
  t.deepEqual(r.devices[0]!.firmware, []);
  t.deepEqual(
    errs.map((e) => [e.path, e.code]),
    [
      ['/sys/class/mei/mei0/fw_ver', 'MALFORMED'],
      ['/sys/class/mei/mei0/fw_status', 'MALFORMED'],
      ['/sys/bus/mei/devices/0000:00:16.0-55213584-9a29-4916-badf-0fb7ed682aeb/version', 'MALFORMED'],
      ['/sys/bus/mei/devices/not-a-client/uuid', 'MALFORMED'],
      ['/sys/bus/mei/devices/not-a-client', 'MALFORMED'],
    ],
  );
  t.is(r.clients.length, 1);
  t.is(r.clients[0]!.version, null);
  t.is(r.evidence[0], 'MEI mei0 at 0000:00:16.0 (mei_me), fw version not published, fw_status unreadable');
});

test('no MEI and no SMBIOS: absent, disabled unknown, no errors', (t) => {
  const { report: r, errs } = mei(emptyRoot(t), null);
  t.deepEqual(errs, []);
  t.like(r, { present: false, source: null, disabled: null, family: null, version: null, pthiClient: false });
  t.deepEqual(r.evidence, []);
  // The captured QEMU guest has no MEI either.
  t.false(mei(path.join(FIXTURES, 'qemu-q35')).report.present);
});

test('HECI hidden: falls back to SMBIOS 219 (MEI1 record) and 221 (version), fwupd test data', (t) => {
  const { report: r, errs } = mei(emptyRoot(t), smbios({ fwsts: FWUPD_FWSTS, firmwareVersions: FWUPD_VERSIONS }));
  t.deepEqual(errs, []);
  t.true(r.present);
  t.is(r.source, 'smbios-219');
  t.false(r.disabled);
  // fwupd's self-test asserts the same version and family for this data.
  t.is(r.version?.text, '16.1.32.2473');
  t.is(r.versionSource, 'smbios-221');
  t.is(r.family, 'CSME16');
  t.is(r.hfsts?.hfsts3?.fwSku?.name, 'Consumer');
  t.deepEqual(r.fwStatus, ['0x90000245', '0x39850106', '0x00000020', '0x00004000', '0x00000000', '0x40200002']);
  // "MEBx version 0.0.0.0" means none.
  t.is(r.mebxVersion, null);
  t.deepEqual(r.evidence, [
    'no MEI device in /sys/class/mei; SMBIOS type 219 FWSTS (MEI1) copy made by the firmware: HFSTS1 0x90000245: Normal, M0 with UMA',
    'ME firmware 16.1.32.2473 from SMBIOS type 221',
  ]);
});

test('HECI hidden and the ME disabled: SMBIOS 219 says so', (t) => {
  const fwsts: SmbiosReport['fwsts'] = [{ handle: 1, version: 1, records: [{ component: 'MEI1', componentCode: 1, hfsts: [0x00032044, 0, 0x30, 0, 0, 0] }] }];
  const { report: r } = mei(emptyRoot(t), smbios({ fwsts }));
  t.true(r.present);
  t.true(r.disabled);
  t.is(r.source, 'smbios-219');
  t.true(r.evidence.includes('ME disabled: working state Disabled (HAP or soft-disable), operation mode Soft Temporary Disable, error code Disabled'));
});

test('SMBIOS: an all-ones MEI1 record is an absent function; 131 supplies the version when 221 has none', (t) => {
  const fwsts: SmbiosReport['fwsts'] = [{ handle: 1, version: 1, records: [{ component: 'MEI1', componentCode: 1, hfsts: [0xffffffff, 0xffffffff] }] }];
  const vpro = { handle: 2, signatureOk: true, txtSupported: true, txtEnabled: false, vmxSupported: true, vmxEnabled: true, mebxVersion: '11.0.0.10', meVersion: '11.8.50.3425', raw: '' };
  const { report: r } = mei(emptyRoot(t), smbios({ fwsts, vpro }));
  t.false(r.present);
  t.is(r.source, null);
  t.is(r.disabled, null);
  t.is(r.version?.text, '11.8.50.3425');
  t.is(r.versionSource, 'smbios-131');
  t.is(r.mebxVersion, '11.0.0.10');
  t.is(r.family, 'CSME11');
  t.deepEqual(r.evidence, ['ME firmware 11.8.50.3425 from SMBIOS type 131']);
});

test('a graphics GSC controller is listed but is not the platform ME', (t) => {
  const root = emptyRoot(t);
  const w = (p: string, s: string) => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), s);
  };
  w('sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/i915.mei-gsc.768/.keep', '');
  w('sys/class/mei/mei0/kind', 'gsc\n');
  w('sys/class/mei/mei0/fw_status', '00000045\n');
  fs.symlinkSync('../../../devices/pci0000:00/0000:00:02.0/0000:03:00.0/i915.mei-gsc.768', path.join(root, 'sys/class/mei/mei0/device'));
  const { report: r, errs } = mei(root);
  t.deepEqual(errs, []);
  t.false(r.present);
  t.is(r.source, null);
  t.is(r.disabled, null);
  t.like(r.devices[0], { name: 'mei0', kind: 'gsc', platform: false, parent: 'i915.mei-gsc.768', verdicts: null });
  t.deepEqual(r.evidence, ['MEI mei0 at i915.mei-gsc.768 is a graphics GSC controller (kind gsc), not the platform ME']);
});

test('client directory names: current `<controller>-<uuid>` and the older `mei:<name>:<uuid>:<ver>`', (t) => {
  t.deepEqual(parseClientDirName('0000:00:16.0-55213584-9a29-4916-badf-0fb7ed682aeb'), { parent: '0000:00:16.0', uuid: '55213584-9a29-4916-badf-0fb7ed682aeb', name: null });
  t.deepEqual(parseClientDirName('mei::55213584-9A29-4916-BADF-0FB7ED682AEB:01'), { parent: null, uuid: '55213584-9a29-4916-badf-0fb7ed682aeb', name: null });
  t.deepEqual(parseClientDirName('mei:pn544:0bb17a78-2a8e-4c50-94d4-50266723775c:00'), { parent: null, uuid: '0bb17a78-2a8e-4c50-94d4-50266723775c', name: 'pn544' });
  t.is(parseClientDirName('not-a-client'), null);
});
