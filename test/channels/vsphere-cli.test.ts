// `agent oob vsphere` end to end through main(), against the FAKE vCenter over
// pinned HTTPS: the password from a 0600 file, never printed; no session left.

import test from 'ava';
import { runAgent, secretFile } from '../helpers/run.ts';
import { PASSWORD, USER, startVcenter } from '../fakes/vsphere/harness.ts';

test('agent oob vsphere: status, cycle, reset on /api; off on detected /rest; wrong password AUTH; no session left', async (t) => {
  const pwFile = secretFile(t, PASSWORD);
  const wrongFile = secretFile(t, 'not-it-9921');
  for (const dialects of ['both', 'rest-only'] as const) {
    const rig = await startVcenter({ dialects });
    try {
      const vm = rig.fake.add('vm-42', 'on', 60);
      const args = (action: string, pw = pwFile) => ['oob', 'vsphere', action, '--json', '--endpoint', rig.url, '--vm', 'vm-42', '--user', USER, '--password-file', pw, '--tls-fingerprint', rig.cert.pin, '--timeout', '20'];
      const runs = [];
      if (dialects === 'both') {
        const st = await runAgent(args('status'));
        t.is(st.code, 0, st.err);
        t.like(JSON.parse(st.out), { channel: 'vsphere', state: 'on', verified: true });
        const cyc = await runAgent(args('cycle'));
        t.is(cyc.code, 0, cyc.err);
        const rst = await runAgent(args('reset'));
        t.is(rst.code, 0, rst.err);
        t.deepEqual(vm.machine.requests, ['off', 'on', 'reset']);
        const bad = await runAgent(args('off', wrongFile));
        t.is(bad.code, 1);
        t.like(JSON.parse(bad.out), { error: { code: 'AUTH' } });
        runs.push(st, cyc, rst, bad);
      } else {
        const off = await runAgent(args('off'));
        t.is(off.code, 0, off.err);
        t.like(JSON.parse(off.out), { state: 'off', verified: true });
        t.true(rig.fake.server.log.some((r) => r.path === '/rest/vcenter/vm/vm-42/power/stop'));
        runs.push(off);
      }
      for (const r of runs) t.false((r.out + r.err).includes(PASSWORD) || (r.out + r.err).includes('not-it-9921'));
      t.is(rig.fake.openSessions, 0, `${dialects}: sessions left`);
    } finally {
      await rig.close();
    }
  }
});
