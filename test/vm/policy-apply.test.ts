// The acceptance round trip for the vault: the preboot image boots
// with ipmi_sim as its BMC (profile server-bmc-oob). The guest gets a signed
// policy (use, bmc.provision) and the node identity enrolled in a throwaway
// org through fw_cfg; `agent policy apply` in the guest shell provisions the
// BMC user in band with a random password that exists only sealed to the org.
// The guest prints the sealed record (base64: safe on a console); on the host
// `agent vault open` opens it with the org's recovery key, and ipmitool logs
// in over LAN as that user with what came out. A second apply changes nothing.
//
// bmc.harden stays off: after it ipmi_sim opens only admin sessions on suite
// 3 (see bmc-inband.test.ts), and the user here is an operator.

import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { enroll, initOrg, loadOrg, NODE_FILES } from '../../agent/identity/store.ts';
import { signPolicy } from '../../agent/policy/document.ts';
import { policyFromJson } from '../../agent/policy/schema.ts';
import type { ApplyRecord } from '../../agent/policy/types.ts';
import { recordFileName } from '../../agent/vault/store.ts';
import { imageKernel, IMAGE_OUT } from '../../tools/qemu/boot.ts';
import { loadProfile, type Profile } from '../../tools/qemu/profile.ts';
import { startVm } from '../../tools/qemu/vm.ts';
import { missing } from '../harness/env.ts';
import { runAgent } from '../helpers/run.ts';
import { guest, must } from '../helpers/guest-shell.ts';

const run = promisify(execFile);
const BOOT_MS = 200_000;
const NODE = 'bmc-node';
const FW = '/sys/firmware/qemu_fw_cfg/by_name';
const ID_FILES = [NODE_FILES.privateKey, NODE_FILES.publicKey, NODE_FILES.certificate, NODE_FILES.orgPublicKey, NODE_FILES.recoveryPublicKey];
const why = missing('qemu-system-x86_64', 'ipmi_sim', 'ipmitool') ?? (existsSync(`${IMAGE_OUT}/initramfs.img`) ? null : 'image/out/initramfs.img missing: run `make image` (make test does)');
if (why) console.log(`test/vm/policy-apply: skipped: ${why}`);
const serial = why ? test.skip : test.serial;

serial('server-bmc-oob: agent policy apply provisions the BMC user; the sealed record opens on the host and ipmitool logs in', async (t) => {
  t.timeout(BOOT_MS + 200_000);
  const dir = mkdtempSync(join(tmpdir(), 'policy-apply-vm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const orgDir = join(dir, 'org');
  must(initOrg(orgDir));
  const org = must(loadOrg(orgDir));
  const idDir = join(dir, 'identity');
  must(enroll(org, NODE, idDir, Math.floor(Date.now() / 1000) - 60, 86_400));
  const policyFile = join(dir, 'policy.cose');
  const p = must(policyFromJson({ serial: 1, issued: Math.floor(Date.now() / 1000), oob: 'use', amt: { provision: false }, bmc: { provision: true, user: 'fortros-oob', privilege: 'operator', harden: false, lan: 'keep' } }, Math.floor(Date.now() / 1000)));
  writeFileSync(policyFile, signPolicy(p, org));

  const base = loadProfile('server-bmc-oob');
  const profile: Profile = {
    ...base,
    fwCfg: [
      { name: 'opt/fortros/config', string: `{"node":{"name":"${NODE}"}}` },
      { name: 'opt/fortros/policy', file: policyFile },
      ...ID_FILES.map((f) => ({ name: `opt/fortros/id/${f}`, file: join(idDir, f) })),
    ],
  };
  const vm = await startVm(profile, { boot: imageKernel('fortros.agent=run fortros.debug=shell') });
  t.teardown(() => vm.stop());
  const bmc = vm.bmc;
  if (!bmc) return t.fail('the profile has an external BMC but the VM has no endpoint');
  await vm.waitForSerial(new RegExp(`agent ready.*node=${NODE}`), BOOT_MS);

  const pre = await guest(vm, 'PRE', `dmesg -n 1; mkdir -p /tmp/id /tmp/state && for f in ${ID_FILES.join(' ')}; do cat ${FW}/opt/fortros/id/$f/raw > /tmp/id/$f; done; chmod 600 /tmp/id/${NODE_FILES.privateKey}; ls /tmp/id | wc -l`);
  t.is(pre.out.trim(), String(ID_FILES.length), pre.out);

  const apply = await guest(vm, 'APPLY', `agent policy apply --policy ${FW}/opt/fortros/policy/raw --identity /tmp/id --state /tmp/state --json`, 120_000);
  t.is(apply.rc, 0, apply.out);
  const j = JSON.parse(apply.out.trim()) as { ok: boolean; record: ApplyRecord };
  t.deepEqual(j.record.steps.map((s) => [s.action, s.outcome]), [['bmc.add-user', 'done']], apply.out);

  const list = await guest(vm, 'LIST', 'agent vault list --state /tmp/state --identity /tmp/id --json');
  t.is(list.rc, 0, list.out);
  const records = (JSON.parse(list.out.trim()) as { records: { node?: string; id?: string; kind?: string; verified: boolean | null }[] }).records;
  t.deepEqual(records.map((r) => [r.node, r.id, r.kind, r.verified]), [[NODE, 'bmc-user:fortros-oob', 'bmc-user', true]]);
  t.false(list.out.includes('secret'), 'the listing carries no secret');

  const raw = await guest(vm, 'RAW', `base64 /tmp/state/vault/${recordFileName(NODE, 'bmc-user:fortros-oob')} | tr -d '\\n'; echo`);
  t.is(raw.rc, 0, raw.out);
  const recordFile = join(dir, 'record.cose');
  writeFileSync(recordFile, Buffer.from(raw.out.trim(), 'base64'));

  const opened = await runAgent(['vault', 'open', '--org', orgDir, '--node', NODE, '--record', recordFile]);
  t.is(opened.code, 0, opened.err);
  const password = opened.out.trim();
  t.is(password.length, 16);
  const pwFile = join(dir, 'password');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  const { stdout } = await run('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', bmc.host, '-p', String(bmc.port), '-U', 'fortros-oob', '-f', pwFile, '-L', 'OPERATOR', '-N', '2', '-R', '3', 'chassis', 'power', 'status'], { timeout: 30_000 });
  t.is(stdout.trim(), 'Chassis Power is on');

  const again = await guest(vm, 'AGAIN', `agent policy apply --policy ${FW}/opt/fortros/policy/raw --identity /tmp/id --state /tmp/state --json`, 120_000);
  t.is(again.rc, 0, again.out);
  const j2 = JSON.parse(again.out.trim()) as { record: ApplyRecord };
  t.true(j2.record.steps.every((s) => s.outcome === 'already' || s.outcome === 'skipped'), again.out);

  t.false(vm.serial.output().includes(password), 'the password reached the serial console');
});
