// `agent oob` end to end, in-process: real ipmi_sim (cross-checked with
// ipmitool), the Redfish fake over pinned HTTPS, and the usage errors. The
// password is distinctive and looked for in everything the command printed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { runAgent, secretFile, type OobJson } from '../helpers/run.ts';
import { startSim } from '../ipmi/sim.ts';
import { makeCert } from '../fakes/cert.ts';
import { FakeRedfish } from '../fakes/redfish/server.ts';

const run = promisify(execFile);
const haveIpmi = async (): Promise<boolean> => {
  try {
    await run('sh', ['-c', 'command -v ipmi_sim && command -v ipmitool']);
    return true;
  } catch {
    return false;
  }
};

test('ipmi: status, off, cycle through the CLI; ipmitool sees the same state', async (t) => {
  if (!(await haveIpmi())) return t.fail('ipmi_sim and ipmitool are required (make deps installs them)');
  const sim = await startSim({ initialPower: 'on' });
  t.teardown(() => sim.stop());
  const base = ['--host', sim.host, '--port', String(sim.port), '--user', 'admin', '--password-file', sim.passwordFile, '--timeout', '30'];
  const ipmitool = async () => (await run('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', sim.host, '-p', String(sim.port), '-U', 'admin', '-f', sim.passwordFile, 'chassis', 'power', 'status'])).stdout.trim();

  const st = await runAgent(['oob', 'ipmi', 'status', ...base]);
  t.is(st.code, 0, st.err);
  t.is(st.out, 'on\n');

  const off = await runAgent(['oob', 'ipmi', 'off', '--json', ...base]);
  t.is(off.code, 0, off.err);
  const j = JSON.parse(off.out) as OobJson;
  t.like(j, { channel: 'ipmi', action: 'off', state: 'off', verified: true });
  t.true(j.attempts >= 3, 'status, off, status at least');
  t.is(await ipmitool(), 'Chassis Power is off');

  const cyc = await runAgent(['oob', 'ipmi', 'cycle', '--json', ...base]);
  t.is(cyc.code, 0, cyc.err);
  t.like(JSON.parse(cyc.out) as OobJson, { state: 'on', verified: true });
  t.is(await ipmitool(), 'Chassis Power is on');
  for (const r of [st, off, cyc]) t.false((r.out + r.err).includes(sim.password));
});

test('ipmi: a wrong password exits 1 with AUTH, and the password is never printed', async (t) => {
  if (!(await haveIpmi())) return t.fail('ipmi_sim and ipmitool are required (make deps installs them)');
  const sim = await startSim();
  t.teardown(() => sim.stop());
  const wrong = 'Wr0ng-pass-7781';
  const r = await runAgent(['oob', 'ipmi', 'status', '--json', '--host', sim.host, '--port', String(sim.port), '--user', 'admin', '--password-file', secretFile(t, wrong), '--timeout', '10']);
  t.is(r.code, 1);
  const j = JSON.parse(r.out) as OobJson;
  t.is(j.error?.code, 'AUTH');
  t.false(j.verified);
  t.true(j.elapsedMs < 10_000);
  t.false((r.out + r.err).includes(wrong));
});

test('redfish over pinned HTTPS: cycle verified; a wrong pin sends no credential', async (t) => {
  const cert = makeCert();
  const pw = 'rf-S3cret-cli-42';
  const fake = new FakeRedfish({ user: 'fence', password: pw, systems: [{ id: '1', power: 'On' }], transitionMs: 200, tls: { key: cert.key, cert: cert.cert } });
  const port = await fake.start();
  t.teardown(() => fake.stop());
  const base = ['--host', '127.0.0.1', '--port', String(port), '--user', 'fence', '--password-file', secretFile(t, pw), '--timeout', '30'];
  const r = await runAgent(['oob', 'redfish', 'cycle', '--json', '--tls-fingerprint', cert.pin, ...base]);
  t.is(r.code, 0, r.err);
  t.like(JSON.parse(r.out) as OobJson, { channel: 'redfish', action: 'cycle', state: 'on', verified: true });
  t.is(fake.openSessions, 0, 'the CLI logs out');
  t.true(fake.seen.some((s) => s.power === 'Off'), 'the machine was seen off on the way');

  const seen = fake.seen.length;
  const bad = await runAgent(['oob', 'redfish', 'status', '--json', '--tls-fingerprint', `sha256:${'00'.repeat(32)}`, ...base]);
  t.is(bad.code, 1);
  t.is((JSON.parse(bad.out) as OobJson).error?.code, 'TLS');
  t.is(fake.seen.length, seen, 'no request reached the service');
  for (const x of [r, bad]) t.false((x.out + x.err).includes(pw));
});

test('usage: missing password file, unknown channel or action, bad fingerprint -> exit 2', async (t) => {
  const pf = secretFile(t, 'x');
  for (const argv of [
    ['oob', 'ipmi', 'status', '--host', 'h'],
    ['oob', 'telnet', 'status', '--host', 'h', '--password-file', pf],
    ['oob', 'ipmi', 'explode', '--host', 'h', '--password-file', pf],
    ['oob', 'redfish', 'status', '--host', 'h', '--password-file', pf, '--tls-fingerprint', 'md5:00'],
    ['oob', 'ipmi', 'status', '--password-file', pf],
    ['oob', 'ipmi', 'status', '--host', 'h', '--password-file', '/nonexistent/pw'],
  ]) {
    const r = await runAgent(argv);
    t.is(r.code, 2, argv.join(' '));
    t.regex(r.err, /agent oob/);
  }
});

test('redfish without a pin or --insecure-http is refused before any I/O', async (t) => {
  const r = await runAgent(['oob', 'redfish', 'status', '--json', '--host', '127.0.0.1', '--port', '9', '--password-file', secretFile(t, 'pw-1')]);
  t.is(r.code, 1);
  t.like(JSON.parse(r.out) as OobJson, { verified: false, attempts: 0, error: { code: 'CONFIG' } });
});
