// `agent oob pdu` end to end through main(), against the test PDU: cycle over
// v2c, status over v3, the usage errors, and a wrong community. The secrets
// go through 0600 files and are looked for in everything the command printed.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { runAgent, secretFile, type OobJson } from '../helpers/run.ts';
import { PduAgent } from '../fakes/snmp-pdu/agent.ts';
import { COMMUNITY, V3 } from '../fakes/snmp-pdu/harness.ts';

const OUTLETS = [
  { name: 'web1-psuA', power: 'on' as const },
  { name: 'web1-psuB', power: 'on' as const },
];

test('pdu cycle over SNMPv2c, outlets by name: exit 0, verified, both outlets switched; the community is never printed', async (t) => {
  const pdu = await PduAgent.start({ profile: 'raritan', outlets: OUTLETS, community: COMMUNITY, delayMs: 50 });
  t.teardown(() => pdu.close());
  const base = ['--host', '127.0.0.1', '--port', String(pdu.port), '--outlet', 'web1-psuA,web1-psuB', '--community-file', secretFile(t, COMMUNITY), '--timeout', '20'];
  const st = await runAgent(['oob', 'pdu', 'status', ...base]);
  t.is(st.code, 0, st.err);
  t.is(st.out, 'on\n');
  const cyc = await runAgent(['oob', 'pdu', 'cycle', '--json', ...base]);
  t.is(cyc.code, 0, cyc.err);
  const j = JSON.parse(cyc.out) as OobJson;
  t.like(j, { channel: 'pdu', action: 'cycle', state: 'on', verified: true });
  t.deepEqual(pdu.outlets.map((o) => o.machine.requests), [['off', 'on'], ['off', 'on']]);
  for (const r of [st, cyc]) t.false((r.out + r.err).includes(COMMUNITY));
});

test('pdu status over SNMPv3 (--user, --auth-file, --priv-file); reset is refused as unsupported', async (t) => {
  const pdu = await PduAgent.start({ profile: 'eaton', outlets: OUTLETS, user: V3 });
  t.teardown(() => pdu.close());
  const base = ['--host', '127.0.0.1', '--port', String(pdu.port), '--outlet', '1,2', '--user', V3.name, '--auth-file', secretFile(t, V3.authKey), '--priv-file', secretFile(t, V3.privKey), '--timeout', '10'];
  const st = await runAgent(['oob', 'pdu', 'status', '--json', ...base]);
  t.is(st.code, 0, st.err);
  t.like(JSON.parse(st.out) as OobJson, { state: 'on', verified: true });
  const reset = await runAgent(['oob', 'pdu', 'reset', '--json', ...base]);
  t.is(reset.code, 1);
  t.is((JSON.parse(reset.out) as OobJson).error?.code, 'UNSUPPORTED');
  t.deepEqual(pdu.sets(), []);
  for (const r of [st, reset]) for (const k of [V3.authKey, V3.privKey]) t.false((r.out + r.err).includes(k));
});

test('pdu: a wrong community exits 1 with TIMEOUT within --timeout, and neither community is printed', async (t) => {
  const pdu = await PduAgent.start({ profile: 'apc', outlets: OUTLETS, community: COMMUNITY });
  t.teardown(() => pdu.close());
  const wrong = 'Wr0ng-community-4410';
  const started = performance.now();
  const r = await runAgent(['oob', 'pdu', 'off', '--json', '--host', '127.0.0.1', '--port', String(pdu.port), '--outlet', '1,2', '--community-file', secretFile(t, wrong), '--timeout', '2']);
  t.is(r.code, 1);
  t.true(performance.now() - started < 2500);
  const j = JSON.parse(r.out) as OobJson;
  t.is(j.error?.code, 'TIMEOUT');
  t.false((r.out + r.err).includes(wrong));
  t.false((r.out + r.err).includes(COMMUNITY));
  t.deepEqual(pdu.power(), ['on', 'on']);
});

test('pdu usage: no --outlet, a --password-file, an unknown flag -> exit 2; no credentials or both kinds -> CONFIG before any I/O', async (t) => {
  const f = secretFile(t, 'x-community');
  for (const argv of [
    ['oob', 'pdu', 'status', '--host', '127.0.0.1', '--community-file', f],
    ['oob', 'pdu', 'status', '--host', '127.0.0.1', '--outlet', '1', '--password-file', f],
    ['oob', 'pdu', 'status', '--host', '127.0.0.1', '--outlet', '1', '--mac', '00:11:22:33:44:55'],
    ['oob', 'pdu', 'status', '--outlet', '1', '--community-file', f],
  ]) {
    const r = await runAgent(argv);
    t.is(r.code, 2, argv.join(' '));
  }
  for (const argv of [
    ['oob', 'pdu', 'status', '--json', '--host', '127.0.0.1', '--port', '9', '--outlet', '1'],
    ['oob', 'pdu', 'status', '--json', '--host', '127.0.0.1', '--port', '9', '--outlet', '1', '--community-file', f, '--user', 'u', '--auth-file', f, '--priv-file', f],
    ['oob', 'pdu', 'status', '--json', '--host', '127.0.0.1', '--port', '9', '--outlet', '1', '--community-file', f, '--vendor', 'acme'],
  ]) {
    const r = await runAgent(argv);
    t.is(r.code, 1, argv.join(' '));
    t.like(JSON.parse(r.out) as OobJson, { verified: false, error: { code: 'CONFIG' } });
  }
});

test('the channel and its tests use net-snmp only: no child process, no snmpget/snmpset', (t) => {
  const roots = ['agent/channels/pdu', 'test/fakes/snmp-pdu'];
  const files = roots.flatMap((r) => readdirSync(r).map((f) => join(r, f)));
  // This file names the forbidden words to look for them; the other PDU tests are checked.
  files.push(...readdirSync('test/channels').filter((f) => f.startsWith('pdu') && f !== 'pdu-cli.test.ts').map((f) => join('test/channels', f)));
  t.true(files.length >= 18, files.join(' '));
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    t.false(/child_process|execFile|spawn\(/.test(text), f);
    t.false(/['"`]snmp(get|set|walk|bulkwalk)['"`]/.test(text), f);
  }
});
