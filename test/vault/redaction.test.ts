// No secret in any log line, stdout or stderr of a full run: org init, enroll,
// AMT activation and features against the simulated ME, a BMC user added on
// ipmi_sim, both credentials sealed into the vault, vault list (table and
// JSON), a failing vault open. Every command gets a real logger at trace level
// whose lines are collected with the rest (the amt and bmc commands log nothing
// today; what they print is searched all the same). Only `vault open`'s stdout may hold
// a secret, and the test checks that it does, so the search itself is shown to work.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../../agent/cli/args.ts';
import { makeAmtCommand } from '../../agent/cli/amt.ts';
import { makeBmcCommand } from '../../agent/cli/bmc.ts';
import type { Command } from '../../agent/cli/command.ts';
import type { Io } from '../../agent/cli/io.ts';
import { cok, deadlineIn } from '../../agent/channels/types.ts';
import { loadRecoveryKey } from '../../agent/identity/store.ts';
import { IpmiClient } from '../../agent/ipmi/client.ts';
import { PRIV } from '../../agent/ipmi/messages.ts';
import { createLogger } from '../../agent/log.ts';
import { mok } from '../../agent/mei/types.ts';
import { openVault, VAULT_DIR } from '../../agent/vault/store.ts';
import { amtWorld, PASSWORD as AMT_PASSWORD } from '../amt/world.ts';
import { runAgent, secretFile, type Ran } from '../helpers/run.ts';
import { startSim } from '../ipmi/sim.ts';
import { must, secretBytes, tmp } from './fixture.ts';

const BMC_PASSWORD = 'Rd4-vlt-Qm8zT2wY'; // 16 bytes: ipmi_sim's limit for Set User Password

test('the logger redacts every secret-bearing key the vault, AMT and BMC flows use, at any depth used', (t) => {
  const lines: string[] = [];
  const log = createLogger({ format: 'json', level: 'trace', write: (s) => lines.push(s) });
  const s = 'S3cr3t-Value-9981';
  for (const k of ['password', 'adminPassword', 'userPassword', 'newPassword', 'secret', 'secretKey', 'recoveryKey', 'privateKey', 'key', 'token']) {
    log.info({ [k]: s }, 'top');
    log.debug({ step: { [k]: s } }, 'nested');
    log.trace({ a: { b: { [k]: s } } }, 'deeper');
  }
  t.is(lines.length, 30);
  t.false(lines.join('').includes(s));
  t.is((JSON.parse(lines[3] as string) as { adminPassword: string }).adminPassword, '[redacted]');
});

function capture(): { all: string[]; io: Io; logger: () => Promise<ReturnType<typeof createLogger>> } {
  const all: string[] = [];
  const io: Io = { out: (s) => all.push(s), err: (s) => all.push(s), env: {}, stderrIsTTY: false };
  const logger = createLogger({ format: 'json', level: 'trace', write: (s) => all.push(s) });
  return { all, io, logger: async () => logger };
}

async function runCommand(cmd: Command, argv: string[], c: ReturnType<typeof capture>, name: string): Promise<number> {
  return cmd.run(parseArgs(`agent ${name}`, argv, cmd.flags, cmd.maxPositionals), { io: c.io, logger: c.logger, startedAt: 0 });
}

const hasIpmiSim = spawnSync('sh', ['-c', 'command -v ipmi_sim'], { encoding: 'utf8' }).status === 0;

test('a full run prints and logs no secret; only vault open shows them', async (t) => {
  const c = capture();
  const keep = (r: Ran): Ran => (c.all.push(r.out, r.err), r);
  const dir = tmp();
  const org = join(dir, 'org');
  const id = join(dir, 'node-a');
  const state = join(dir, 'state');
  t.is(keep(await runAgent(['org', 'init', '--out', org])).code, 0);
  t.is(keep(await runAgent(['enroll', '--org', org, '--name', 'node-a', '--out', id])).code, 0);

  // AMT: activate in CCM and switch SOL on with the password from a file, as the policy executor would.
  const w = await amtWorld();
  t.teardown(() => w.stop());
  const amt = makeAmtCommand({ openBus: () => mok(w.me) });
  const amtPw = secretFile(t, AMT_PASSWORD);
  t.is(await runCommand(amt, ['activate', '--ccm', '--password-file', amtPw], c, 'amt'), 0);
  t.is(await runCommand(amt, ['features', '--sol', 'on', '--password-file', amtPw, '--json'], c, 'amt'), 0);
  t.is(w.me.state.controlMode, 1);

  // BMC: a dedicated operator on a real BMC implementation, when ipmi_sim is installed.
  const secrets = [AMT_PASSWORD];
  if (hasIpmiSim) {
    const sim = await startSim();
    const client = new IpmiClient({ host: sim.host, port: sim.port, user: 'admin', password: sim.password, allowWeakCiphers: false, privilege: PRIV.admin });
    t.teardown(async () => {
      await client.close(deadlineIn(2000));
      await sim.stop();
    });
    const bmc = makeBmcCommand({ open: async () => cok({ transport: client, close: async () => {} }) });
    t.is(await runCommand(bmc, ['add-user', '--name', 'fortros-oob', '--password-file', secretFile(t, BMC_PASSWORD)], c, 'bmc'), 0);
    // The same name again is refused: a failure path prints and logs too.
    t.is(await runCommand(bmc, ['add-user', '--name', 'fortros-oob', '--password-file', secretFile(t, BMC_PASSWORD), '--json'], c, 'bmc'), 1);
    secrets.push(BMC_PASSWORD, sim.password);
  } else {
    t.log('ipmi_sim not installed (Debian openipmi): the BMC part of the run is skipped');
  }

  // Both credentials sealed into the vault, then everything an operator may list.
  const vault = must(openVault({ stateDir: state, identityDir: id }));
  must(await vault.put('amt-admin', 'amt-admin', secretBytes(AMT_PASSWORD), { user: 'admin', mode: 'ccm' }));
  must(await vault.put('bmc-user', 'bmc-user:fortros-oob', secretBytes(BMC_PASSWORD), { user: 'fortros-oob' }));
  if (!secrets.includes(BMC_PASSWORD)) secrets.push(BMC_PASSWORD);
  t.is(keep(await runAgent(['vault', 'list', '--state', state, '--org', org])).code, 0);
  t.is(keep(await runAgent(['vault', 'list', '--state', state, '--identity', id, '--json'])).code, 0);
  t.is(keep(await runAgent(['vault', 'open', '--org', id, '--node', 'node-a', '--state', state])).code, 1, 'an identity dir has no recovery key');
  t.is(keep(await runAgent(['vault', 'open', '--org', org, '--node', 'node-a', '--id', 'nothing', '--state', state])).code, 1);

  // The org's recovery secret key must not leak either, in any encoding a log might use.
  const rk = must(loadRecoveryKey(org)).secretKey;
  const keyForms = [Buffer.from(rk).toString('hex'), Buffer.from(rk).toString('base64'), Buffer.from(rk).toString('base64url')];
  const everything = c.all.join('');
  t.true(everything.length > 1000, 'the run produced output to search');
  for (const s of [...secrets, ...keyForms]) t.false(everything.includes(s), `a secret (${s.length} chars) appeared in output or logs`);
  for (const f of readdirSync(join(state, VAULT_DIR))) {
    const bytes = readFileSync(join(state, VAULT_DIR, f));
    for (const s of secrets) t.false(bytes.includes(s), `${f} holds a plaintext secret`);
  }

  // The one place secrets are shown: vault open, on stdout, with the org recovery key.
  const open = await runAgent(['vault', 'open', '--org', org, '--node', 'node-a', '--state', state]);
  t.is(open.code, 0, open.err);
  t.is(open.out, `amt-admin\t${AMT_PASSWORD}\nbmc-user:fortros-oob\t${BMC_PASSWORD}\n`);
  t.is(open.err, '');
});
