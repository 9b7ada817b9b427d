// `agent oob wol` through main(): an unverified `on` exits 1 unless
// --unverified-ok, `status` is UNSUPPORTED, the flags the channel does not
// take are usage errors, and the SecureOn password appears nowhere.

import test from 'ava';
import { runAgent, secretFile } from '../helpers/run.ts';
import { FakeNic } from '../fakes/wol/nic.ts';

const MAC = '52:54:00:cc:00:01';
const SECRET = 'f0:0d:ca:fe:ba:be';

test('on: verified false; exit 1 without --unverified-ok, 0 with it; three packets each time', async (t) => {
  const nic = await FakeNic.start({ mac: MAC });
  t.teardown(() => nic.close());
  const base = ['oob', 'wol', 'on', '--mac', MAC, '--host', '127.0.0.1', '--port', String(nic.port)];
  const strict = await runAgent([...base, '--json']);
  t.is(strict.code, 1, strict.err);
  const j = JSON.parse(strict.out) as Record<string, unknown>;
  t.like(j, { channel: 'wol', action: 'on', state: 'unknown', verified: false, attempts: 1 });
  t.false('error' in j);
  t.true(await nic.waitFor(3, 2000));
  const ok = await runAgent([...base, '--unverified-ok']);
  t.is(ok.code, 0, ok.err);
  t.regex(ok.out, /^wol on: sent, unverified \(the channel cannot read the power state; 1 exchanges, \d+ ms\)\n$/);
  t.true(await nic.waitFor(6, 2000));
  t.true(nic.log.every((p) => p.woke && p.bytes.length === 102));
});

test('--secureon-file: the packet carries it, the output never shows it', async (t) => {
  const nic = await FakeNic.start({ mac: MAC, secureOn: Uint8Array.from(Buffer.from('f00dcafebabe', 'hex')) });
  t.teardown(() => nic.close());
  const f = secretFile(t, SECRET);
  const runs = [
    await runAgent(['oob', 'wol', 'on', '--mac', MAC, '--host', '127.0.0.1', '--port', String(nic.port), '--secureon-file', f, '--json']),
    await runAgent(['oob', 'wol', 'status', '--mac', MAC, '--secureon-file', f]),
    await runAgent(['oob', 'wol', 'on', '--mac', MAC, '--secureon-file', secretFile(t, 'Sekr1t-not-hex')]),
  ];
  t.true(await nic.waitFor(3, 2000));
  t.true(nic.log.every((p) => p.woke && p.bytes.length === 108));
  t.is(runs[2]?.code, 1);
  t.regex(runs[2]?.err ?? '', /CONFIG: the SecureOn password is not 4 or 6 bytes/);
  for (const r of runs) {
    const text = (r.out + r.err).toLowerCase();
    t.false(text.includes(SECRET) || text.includes('f00dcafebabe') || text.includes('sekr1t'));
  }
});

test('status is UNSUPPORTED (exit 1); missing --mac, --password-file, and a wol flag given to ipmi are usage errors (exit 2)', async (t) => {
  const st = await runAgent(['oob', 'wol', 'status', '--mac', MAC, '--json']);
  t.is(st.code, 1);
  t.like(JSON.parse(st.out), { channel: 'wol', action: 'status', verified: false, error: { code: 'UNSUPPORTED' } });
  const off = await runAgent(['oob', 'wol', 'off', '--mac', MAC]);
  t.is(off.code, 1);
  t.regex(off.err, /UNSUPPORTED: wol cannot off/);
  const noMac = await runAgent(['oob', 'wol', 'on']);
  t.is(noMac.code, 2);
  t.regex(noMac.err, /wol needs --mac/);
  const pw = await runAgent(['oob', 'wol', 'on', '--mac', MAC, '--password-file', secretFile(t, 'x')]);
  t.is(pw.code, 2);
  t.regex(pw.err, /wol takes no --password-file/);
  const foreign = await runAgent(['oob', 'ipmi', 'status', '--host', '127.0.0.1', '--password-file', secretFile(t, 'x'), '--relay-socket', '/tmp/x.sock']);
  t.is(foreign.code, 2);
  t.regex(foreign.err, /--relay-socket does not apply to ipmi/);
  const bad = await runAgent(['oob', 'wol', 'on', '--mac', 'ff:ff:ff:ff:ff:ff', '--host', '127.0.0.1']);
  t.is(bad.code, 1);
  t.regex(bad.err, /CONFIG: ff:ff:ff:ff:ff:ff is the broadcast address/);
});
