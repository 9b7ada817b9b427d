// `agent org init` -> `agent enroll` -> records put through the store (as the
// policy executor does) -> `agent vault list` -> `agent vault open`, in-process
// with temp directories. Only `vault open` may print a secret.

import test from 'ava';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FILES } from '../../agent/identity/store.ts';
import { openVault, VAULT_DIR } from '../../agent/vault/store.ts';
import { runAgent, type Ran } from '../helpers/run.ts';
import { AMT_SECRET, BMC_SECRET, must, secretBytes, tmp } from './fixture.ts';

async function ok(argv: string[]): Promise<Ran> {
  const r = await runAgent(argv);
  if (r.code !== 0) throw new Error(`agent ${argv.join(' ')}: exit ${r.code}: ${r.err}`);
  return r;
}

async function fleet(): Promise<{ dir: string; org: string; id: string; state: string }> {
  const dir = tmp();
  const org = join(dir, 'org');
  const id = join(dir, 'node-a');
  const state = join(dir, 'state');
  const o = await ok(['org', 'init', '--out', org]);
  if (!o.out.includes(join(org, 'recovery.key')) || !o.out.includes(join(org, 'recovery.pub'))) throw new Error(o.out);
  await ok(['enroll', '--org', org, '--name', 'node-a', '--out', id]);
  const v = must(openVault({ stateDir: state, identityDir: id }));
  must(await v.put('amt-admin', 'amt-admin', secretBytes(AMT_SECRET), { user: 'admin', mode: 'ccm' }));
  must(await v.put('bmc-user', 'bmc-user:fortros-oob', secretBytes(BMC_SECRET), { user: 'fortros-oob', slot: 3 }));
  return { dir, org, id, state };
}

const noSecret = (t: { false: (v: boolean, m?: string) => void }, r: Ran, what: string): void => {
  for (const s of [AMT_SECRET, BMC_SECRET]) t.false(`${r.out}${r.err}`.includes(s), `${what} printed a secret`);
};

test('list: entries with verification, never a secret (table and --json)', async (t) => {
  const { org, id, state } = await fleet();
  const table = await ok(['vault', 'list', '--state', state, '--org', org]);
  t.regex(table.out, /^NODE\s+ID\s+KIND\s+SEQ\s+CREATED\s+VERIFIED\s+META\n/);
  t.regex(table.out, /^node-a\s+amt-admin\s+amt-admin\s+\d+\s+\S+Z\s+yes\s+mode=ccm user=admin$/m);
  t.regex(table.out, /^node-a\s+bmc-user:fortros-oob\s+bmc-user\s+\d+\s+\S+Z\s+yes\s+slot=3 user=fortros-oob$/m);
  const j = await ok(['vault', 'list', '--state', state, '--identity', id, '--json']);
  const doc = JSON.parse(j.out) as { schema: string; records: { node: string; id: string; kind: string; verified: boolean; meta: Record<string, unknown>; error: null }[] };
  t.is(doc.schema, 'fortros.oob.vault/v1');
  t.deepEqual(
    doc.records.map((r) => [r.node, r.id, r.kind, r.verified, r.error]),
    [
      ['node-a', 'amt-admin', 'amt-admin', true, null],
      ['node-a', 'bmc-user:fortros-oob', 'bmc-user', true, null],
    ],
  );
  t.deepEqual(doc.records[1]?.meta, { user: 'fortros-oob', slot: 3 });
  // On a node: the daemon's config names both the state directory and the identity.
  const conf = join(state, '..', 'agent.json');
  writeFileSync(conf, JSON.stringify({ node: { name: 'node-a', identityDir: id }, state: { dir: state } }));
  const byConfig = await ok(['vault', 'list', '--config', conf, '--json']);
  t.deepEqual((JSON.parse(byConfig.out) as typeof doc).records.map((r) => r.verified), [true, true]);
  const unchecked = await runAgent(['vault', 'list', '--state', state]);
  t.is(unchecked.code, 0);
  t.regex(unchecked.out, /unchecked/);
  t.regex(unchecked.err, /signatures were not checked/);
  for (const r of [table, j, byConfig, unchecked]) noSecret(t, r, 'list');
});

test('list: a record of another org or a damaged one is shown as failing, exit 1', async (t) => {
  const { org, state } = await fleet();
  const other = await fleet();
  const foreign = await runAgent(['vault', 'list', '--state', state, '--org', other.org, '--json']);
  t.is(foreign.code, 1);
  t.true((JSON.parse(foreign.out) as { records: { verified: boolean; error: { code: string } }[] }).records.every((r) => !r.verified && r.error.code === 'FOREIGN'));
  const file = join(state, VAULT_DIR, 'node-a@amt-admin.cose');
  const b = readFileSync(file);
  b[b.length - 3] = (b[b.length - 3] as number) ^ 1;
  writeFileSync(file, b);
  const bad = await runAgent(['vault', 'list', '--state', state, '--org', org]);
  t.is(bad.code, 1);
  t.regex(bad.out, /^node-a\s+amt-admin\s.*NO \(BAD_SIGNATURE\)/m);
  t.regex(bad.out, /^node-a\s+bmc-user:fortros-oob\s.*\byes\b/m);
  const empty = await ok(['vault', 'list', '--state', tmp()]);
  t.regex(empty.out, /^no vault records in /);
});

test('open: prints the secret of one record, or every record of the node, on stdout only', async (t) => {
  const { dir, org, state } = await fleet();
  const one = await ok(['vault', 'open', '--org', org, '--node', 'node-a', '--id', 'amt-admin', '--state', state]);
  t.is(one.out, `${AMT_SECRET}\n`);
  t.is(one.err, '');
  const all = await ok(['vault', 'open', '--org', org, '--node', 'node-a', '--state', state]);
  t.is(all.out, `amt-admin\t${AMT_SECRET}\nbmc-user:fortros-oob\t${BMC_SECRET}\n`);
  const rec = join(dir, 'copy.cose');
  writeFileSync(rec, readFileSync(join(state, VAULT_DIR, 'node-a@bmc-user%3Afortros-oob.cose')));
  const byFile = await ok(['vault', 'open', '--org', org, '--node', 'node-a', '--record', rec]);
  t.is(byFile.out, `${BMC_SECRET}\n`);
  // A secret that is not one printable line comes out as base64, so each output line stays one record.
  const v = must(openVault({ stateDir: state, identityDir: join(dir, 'node-a') }));
  must(await v.put('channel-ref', 'channel-ref:pdu', new Uint8Array([0x61, 0x0a, 0x62, 0xff]), { channel: 'pdu' }));
  const bin = await ok(['vault', 'open', '--org', org, '--node', 'node-a', '--id', 'channel-ref:pdu', '--state', state]);
  t.is(bin.out, `base64:${Buffer.from([0x61, 0x0a, 0x62, 0xff]).toString('base64')}\n`);
  // The record file says whose it is: asked for another node, it is not printed.
  const wrongNode = await runAgent(['vault', 'open', '--org', org, '--node', 'node-b', '--record', rec]);
  t.is(wrongNode.code, 1);
  t.regex(wrongNode.err, /is the record of node-a\/bmc-user:fortros-oob, not of node-b/);
  noSecret(t, wrongNode, 'open for another node');
});

test('open: another org\'s recovery key, a missing record, a missing recovery key fail without a secret', async (t) => {
  const { org, state } = await fleet();
  const other = await fleet();
  // Another org's recovery key with this org's public key: the chain verifies, the box does not open.
  rmSync(join(other.org, 'org.pub'));
  writeFileSync(join(other.org, 'org.pub'), readFileSync(join(org, 'org.pub')));
  const wrongKey = await runAgent(['vault', 'open', '--org', other.org, '--node', 'node-a', '--state', state]);
  t.is(wrongKey.code, 1);
  t.regex(wrongKey.err, /DECRYPT: the sealed box does not open with this recovery key/);
  t.is(wrongKey.out, '');
  const foreign = await runAgent(['vault', 'open', '--org', org, '--node', 'node-a', '--state', other.state]);
  t.is(foreign.code, 1);
  t.regex(foreign.err, /FOREIGN/);
  const missing = await runAgent(['vault', 'open', '--org', org, '--node', 'node-a', '--id', 'nothing', '--state', state]);
  t.is(missing.code, 1);
  t.regex(missing.err, /ENOENT/);
  const none = await runAgent(['vault', 'open', '--org', org, '--node', 'node-q', '--state', state]);
  t.is(none.code, 1);
  t.regex(none.err, /no records of node node-q/);
  rmSync(join(org, 'recovery.key'));
  const noKey = await runAgent(['vault', 'open', '--org', org, '--node', 'node-a', '--state', state]);
  t.is(noKey.code, 1);
  t.regex(noKey.err, /recovery\.key: ENOENT/);
  for (const r of [wrongKey, foreign, missing, none, noKey]) noSecret(t, r, 'failed open');
});

test('usage errors exit 2', async (t) => {
  for (const argv of [
    ['vault'],
    ['vault', 'frob'],
    ['vault', 'list'],
    ['vault', 'list', '--state', '/x', '--config', '/y'],
    ['vault', 'list', '--config', '/nonexistent/agent.json'],
    ['vault', 'list', '--state', '/x', '--org', '/a', '--identity', '/b'],
    ['vault', 'open', '--node', 'a', '--state', '/x'],
    ['vault', 'open', '--org', '/o', '--node', 'a'],
    ['vault', 'open', '--org', '/o', '--node', 'a', '--state', '/x', '--record', '/y'],
  ]) {
    const r = await runAgent(argv);
    t.is(r.code, 2, argv.join(' '));
  }
});

test('enroll with an org from before recovery keys warns; that node\'s vault says NO_KEY; init-recovery fixes the org', async (t) => {
  const dir = tmp();
  const org = join(dir, 'org');
  await ok(['org', 'init', '--out', org]);
  rmSync(join(org, 'recovery.key'));
  rmSync(join(org, 'recovery.pub'));
  const e = await ok(['enroll', '--org', org, '--name', 'node-o', '--out', join(dir, 'old')]);
  t.regex(e.err, /has no recovery\.pub \(`agent org init-recovery`\)/);
  const v = must(openVault({ stateDir: join(dir, 'state'), identityDir: join(dir, 'old') }));
  t.like(await v.put('amt-admin', 'amt-admin', secretBytes('x'), {}), { ok: false, error: { code: 'NO_KEY' } });
  const r = await ok(['org', 'init-recovery', '--out', org]);
  t.is(r.out, `${join(org, 'recovery.key')}\n${join(org, 'recovery.pub')}\n`);
  t.is((await runAgent(['org', 'init-recovery', '--out', org])).code, 1);
  const e2 = await ok(['enroll', '--org', org, '--name', 'node-n', '--out', join(dir, 'new')]);
  t.is(e2.err, '');
  t.is(readFileSync(join(dir, 'new', NODE_FILES.recoveryPublicKey), 'utf8'), readFileSync(join(org, 'recovery.pub'), 'utf8'));
});
