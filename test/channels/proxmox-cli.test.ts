// `agent oob proxmox` end to end through main(), against the FAKE pveproxy over
// pinned HTTPS: a token from a 0600 file and a ticket login from a password file;
// neither secret appears in anything the command printed.

import test from 'ava';
import { runAgent, secretFile } from '../helpers/run.ts';
import { PASSWORD, TOKEN_ID, TOKEN_SECRET, USER, startPve } from '../fakes/proxmox/harness.ts';

test('agent oob proxmox: status and cycle with an API token, off with a ticket; secrets never printed', async (t) => {
  const rig = await startPve(['pve1', 'pve2']);
  t.teardown(() => rig.close());
  const vm = rig.fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve2', power: 'on', delayMs: 100 });
  const tokenFile = secretFile(t, TOKEN_SECRET);
  const pwFile = secretFile(t, PASSWORD);
  const common = ['--endpoint', rig.fake.url, '--vm', '100', '--tls-fingerprint', rig.cert.pin, '--timeout', '20'];
  const token = ['--user', TOKEN_ID, '--token-file', tokenFile];

  const st = await runAgent(['oob', 'proxmox', 'status', ...common, ...token]);
  t.is(st.code, 0, st.err);
  t.is(st.out, 'on\n');

  const cyc = await runAgent(['oob', 'proxmox', 'cycle', '--json', ...common, ...token]);
  t.is(cyc.code, 0, cyc.err);
  t.like(JSON.parse(cyc.out), { channel: 'proxmox', action: 'cycle', state: 'on', verified: true });
  t.deepEqual(vm.machine.requests, ['off', 'on']);

  const off = await runAgent(['oob', 'proxmox', 'off', '--json', ...common, '--node', 'pve2', '--kind', 'qemu', '--user', USER, '--password-file', pwFile]);
  t.is(off.code, 0, off.err);
  t.like(JSON.parse(off.out), { state: 'off', verified: true });
  t.is(rig.fake.logins, 1);

  const bad = await runAgent(['oob', 'proxmox', 'status', ...common, '--user', TOKEN_ID, '--token-file', pwFile]);
  t.is(bad.code, 1);
  t.regex(bad.err, /AUTH/);
  const usage = await runAgent(['oob', 'proxmox', 'status', '--vm', '100', ...token]);
  t.is(usage.code, 2, 'no --endpoint: a usage error');
  for (const r of [st, cyc, off, bad, usage]) for (const s of [TOKEN_SECRET, PASSWORD]) t.false((r.out + r.err).includes(s));
});
