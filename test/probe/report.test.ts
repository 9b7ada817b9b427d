// The whole report on every fixture machine: the contract's keys, the channels
// each machine really offers (ranked), and bad input that costs one probe, not
// the report.

import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildReport, REPORT_SCHEMA, type Report } from '../../agent/probe/report.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { runAgent } from '../helpers/run.ts';

const FIXTURES = path.resolve('test/fixtures');
const KEYS = ['host', 'smbios', 'pci', 'mei', 'amt', 'dash', 'bmc', 'redfish', 'watchdogs', 'tpm', 'hypervisor', 'nics', 'channels', 'errors'];
const MACHINES = ['qemu-q35', 'this-machine', 'vpro-desktop', 'me-hap-disabled', 'server-bmc', 'amd-dash', 'vps'];

const report = (name: string): Report => buildReport(new SysRoot(path.join(FIXTURES, name)), new Date(0));
const kinds = (r: Report): string[] => r.channels.map((c) => c.kind);
const channel = (r: Report, kind: string) => r.channels.find((c) => c.kind === kind);

for (const name of MACHINES) {
  test(`${name}: schema, every contract key, JSON round trip, no probe errors`, (t) => {
    const r = report(name);
    t.is(r.schema, REPORT_SCHEMA);
    for (const k of KEYS) t.true(k in r, `missing key ${k}`);
    t.deepEqual(JSON.parse(JSON.stringify(r)), r);
    t.deepEqual(r.errors, []);
    t.deepEqual(
      r.channels.map((c) => c.rank),
      r.channels.map((_, i) => i + 1),
    );
    for (const c of r.channels) t.true(c.evidence.length > 0, `${c.kind} has no evidence`);
  });
}

test('qemu-q35: IPMI from SMBIOS 38 + /dev/ipmi0, QEMU hypervisor, i6300ESB first among watchdogs', (t) => {
  const r = report('qemu-q35');
  t.deepEqual(kinds(r).slice().sort(), ['hypervisor', 'ipmi', 'watchdog']);
  const ipmi = channel(r, 'ipmi');
  t.truthy(ipmi?.evidence.some((e) => /KCS/.test(e) && /0xca2/i.test(e)), JSON.stringify(ipmi?.evidence));
  t.truthy(ipmi?.evidence.some((e) => e.includes('/dev/ipmi0')));
  t.is(r.hypervisor.virtualized, true);
  t.regex(r.hypervisor.hypervisor ?? '', /QEMU|KVM/);
  t.is(r.hypervisor.provider, null);
  t.is(r.watchdogs[0]?.identity, 'i6300ESB timer');
  t.true(r.tpm.present);
  t.false(r.mei.present);
  t.false(r.amt.present);
});

test('this-machine (Firecracker): no SMBIOS, hypervisor found from ACPI, nothing else to drive', (t) => {
  const r = report('this-machine');
  t.is(r.smbios, null);
  t.regex(r.hypervisor.hypervisor ?? '', /Firecracker/);
  t.deepEqual(kinds(r), ['hypervisor']);
  t.deepEqual(r.watchdogs, []);
  t.false(r.tpm.present);
});

test('vpro-desktop: AMT ranks first, the ME is not disabled, a hardware watchdog resets', (t) => {
  const r = report('vpro-desktop');
  t.is(r.channels[0]?.kind, 'amt');
  t.not(r.channels[0]?.verdict, 'unusable');
  t.true(r.amt.present);
  t.is(r.amt.enabledInBios, true);
  t.is(r.mei.disabled, false);
  t.is(channel(r, 'watchdog')?.verdict, 'usable');
  t.is(r.hypervisor.virtualized, false);
  t.truthy(channel(r, 'wol'));
});

test('me-hap-disabled: the ME reports disabled, so AMT is not a channel anyone can use', (t) => {
  const r = report('me-hap-disabled');
  t.is(r.mei.disabled, true);
  const amt = channel(r, 'amt');
  t.true(amt === undefined || amt.verdict === 'unusable');
  t.not(r.channels[0]?.kind, 'amt');
});

test('server-bmc: IPMI and Redfish channels with their evidence, the host NIC matched', (t) => {
  const r = report('server-bmc');
  t.true(r.bmc.present);
  t.true(r.redfish.present);
  t.deepEqual(kinds(r).slice(0, 2), ['ipmi', 'redfish']);
  t.truthy(channel(r, 'ipmi')?.evidence.some((e) => /0xcc0/i.test(e)));
  t.truthy(channel(r, 'redfish')?.evidence.some((e) => /Redfish|169\.254|USB/i.test(e)));
});

test('amd-dash: DASH found from the RealManage functions; no ME', (t) => {
  const r = report('amd-dash');
  t.true(r.dash.present);
  t.truthy(channel(r, 'dash')?.evidence.some((e) => /10ec:816/.test(e)));
  t.false(r.mei.present);
  t.false(r.amt.present);
});

test('vps: the provider is named and is the only power channel', (t) => {
  const r = report('vps');
  t.truthy(r.hypervisor.provider);
  t.is(r.channels[0]?.kind, 'vps');
  t.falsy(channel(r, 'wol'));
  t.falsy(channel(r, 'ipmi'));
});

/** A writable copy of a fixture tree, symlinks kept as they are. */
function copyFixture(name: string): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), `report-${name}-`));
  fs.cpSync(path.join(FIXTURES, name), dst, { recursive: true, verbatimSymlinks: true });
  return dst;
}

test('bad input: truncated DMI, garbage fw_status and watchdog files each cost one probe, exit 0', async (t) => {
  const root = copyFixture('vpro-desktop');
  const dmi = path.join(root, 'sys/firmware/dmi/tables/DMI');
  fs.writeFileSync(dmi, fs.readFileSync(dmi).subarray(0, 37));
  fs.writeFileSync(path.join(root, 'sys/class/mei/mei0/fw_status'), 'zz\u0001not hex\n');
  fs.writeFileSync(path.join(root, 'sys/class/watchdog/watchdog0/timeout'), 'sixty\n');
  const r = await runAgent(['report', '--json', '--root', root]);
  t.is(r.code, 0, r.err);
  t.false(/\n\s+at /.test(r.err), 'no stack trace');
  const rep = JSON.parse(r.out) as Report;
  const paths = rep.errors.map((e) => `${e.probe} ${e.path} ${e.code}`);
  t.true(rep.errors.some((e) => e.probe === 'smbios' && e.path.endsWith('/DMI')), paths.join('\n'));
  t.true(rep.errors.some((e) => e.path.endsWith('mei0/fw_status')), paths.join('\n'));
  t.true(rep.errors.some((e) => e.path.endsWith('watchdog0/timeout')), paths.join('\n'));
  // What did parse is still there.
  t.true(rep.pci.length > 0);
  t.true(rep.watchdogs.length > 0);
  t.true(rep.channels.length > 0);
});

test('bad input: a directory where a file should be and binary junk in sysfs text files', async (t) => {
  const root = copyFixture('qemu-q35');
  const entry = path.join(root, 'sys/firmware/dmi/tables/smbios_entry_point');
  fs.rmSync(entry);
  fs.mkdirSync(entry);
  fs.writeFileSync(path.join(root, 'sys/class/tpm/tpm0/tpm_version_major'), Buffer.from([0, 1, 2, 0xff]));
  const r = await runAgent(['report', '--json', '--root', root]);
  t.is(r.code, 0, r.err);
  const rep = JSON.parse(r.out) as Report;
  t.is(rep.smbios, null);
  t.true(rep.errors.some((e) => e.probe === 'smbios'));
  t.true(rep.errors.some((e) => e.path.endsWith('tpm_version_major')));
  t.true(rep.watchdogs.length === 2);
});

test('human form: sections and one verdict line per channel', async (t) => {
  const r = await runAgent(['report', '--root', path.join(FIXTURES, 'server-bmc')]);
  t.is(r.code, 0, r.err);
  const rep = report('server-bmc');
  for (const c of rep.channels) t.regex(r.out, new RegExp(`^\\s*${c.rank}\\s.*\\b${c.kind}\\b.*\\b${c.verdict}\\b`, 'm'));
  for (const heading of ['FortrOS out-of-band report', 'Recovery channels', 'Intel ME', 'AMD DASH', 'BMC', 'Watchdogs', 'TPM', 'NICs']) t.regex(r.out, new RegExp(`^${heading}`, 'm'));
});
