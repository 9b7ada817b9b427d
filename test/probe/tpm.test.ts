// TPM probe on the captured QEMU guest (swtpm TPM 2.0 on tpm_tis, four PCR
// banks) and the Firecracker VM (no TPM), plus the version inferred from the
// resource-manager node and bad input in tpm_version_major.

import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorSink } from '../../agent/probe/errors.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { readTpm } from '../../agent/probe/tpm.ts';

const FIXTURES = path.resolve('test/fixtures');
const made: string[] = [];
test.after.always(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
const run = (root: string) => {
  const errs = new ErrorSink('tpm');
  return { tpm: readTpm(new SysRoot(root), errs), errs: errs.list };
};

function copy(name: string): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'tpm-'));
  made.push(dst);
  fs.cpSync(path.join(FIXTURES, name), dst, { recursive: true, verbatimSymlinks: true });
  return dst;
}
const VERSION = 'sys/class/tpm/tpm0/tpm_version_major';

test('qemu-q35: TPM 2.0 on tpm_tis (ACPI MSFT0101), both device nodes, four PCR banks', (t) => {
  const { tpm, errs } = run(path.join(FIXTURES, 'qemu-q35'));
  t.deepEqual(errs, []);
  t.true(tpm.present);
  t.deepEqual(tpm.devices, [
    {
      name: 'tpm0',
      versionMajor: 2,
      versionSource: 'sysfs',
      devNode: '/dev/tpm0',
      rmDevNode: '/dev/tpmrm0',
      driver: 'tpm_tis',
      firmwareDevice: 'MSFT0101:00',
      description: null,
      pcrBanks: ['sha1', 'sha256', 'sha384', 'sha512'],
    },
  ]);
});

test('this-machine (Firecracker): no TPM', (t) => {
  const { tpm, errs } = run(path.join(FIXTURES, 'this-machine'));
  t.deepEqual(tpm, { present: false, devices: [] });
  t.deepEqual(errs, []);
});

test('without tpm_version_major (older kernels) the tpmrm node says TPM 2.0; without either, unknown', (t) => {
  const root = copy('qemu-q35');
  fs.rmSync(path.join(root, VERSION));
  t.like(run(root).tpm.devices[0], { versionMajor: 2, versionSource: 'tpmrm-node' });
  fs.rmSync(path.join(root, 'dev/tpmrm0'));
  const { tpm, errs } = run(root);
  t.like(tpm.devices[0], { versionMajor: null, versionSource: null, rmDevNode: null, devNode: '/dev/tpm0' });
  t.deepEqual(errs, []);
});

test('a TPM 1.2 has no resource manager node', (t) => {
  const root = copy('qemu-q35');
  fs.writeFileSync(path.join(root, VERSION), '1\n');
  fs.rmSync(path.join(root, 'dev/tpmrm0'));
  t.like(run(root).tpm.devices[0], { versionMajor: 1, versionSource: 'sysfs', rmDevNode: null });
});

test('the device description is reported when the firmware provides one', (t) => {
  const root = copy('qemu-q35');
  fs.writeFileSync(path.join(root, 'sys/bus/pci/devices/0000:00:1f.0/MSFT0101:00/description'), 'TPM 2.0 Device\n');
  t.is(run(root).tpm.devices[0]?.description, 'TPM 2.0 Device');
});

test('bad input: binary data or an unknown version in tpm_version_major is an error; the TPM is still listed', (t) => {
  const root = copy('qemu-q35');
  fs.writeFileSync(path.join(root, VERSION), Buffer.from([0, 1, 2, 0xff]));
  let r = run(root);
  t.deepEqual(
    r.errs.map((e) => [e.path, e.code]),
    [['/sys/class/tpm/tpm0/tpm_version_major', 'MALFORMED']],
  );
  t.true(r.tpm.present);
  // The resource-manager node still identifies TPM 2.0.
  t.like(r.tpm.devices[0], { versionMajor: 2, versionSource: 'tpmrm-node', driver: 'tpm_tis' });
  t.is(r.tpm.devices[0]?.pcrBanks.length, 4);

  fs.writeFileSync(path.join(root, VERSION), '3\n');
  r = run(root);
  t.is(r.errs[0]?.code, 'MALFORMED');
  t.regex(r.errs[0]?.message ?? '', /expected 1 or 2/);
});

test('bad input: a directory where tpm_version_major should be', (t) => {
  const root = copy('qemu-q35');
  fs.rmSync(path.join(root, VERSION));
  fs.mkdirSync(path.join(root, VERSION));
  const { tpm, errs } = run(root);
  t.deepEqual(
    errs.map((e) => [e.path, e.code]),
    [['/sys/class/tpm/tpm0/tpm_version_major', 'EIO']],
  );
  t.is(tpm.devices[0]?.devNode, '/dev/tpm0');
});
