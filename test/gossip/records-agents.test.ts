// Vault records over gossip, end to end with `agent run` processes on
// loopback: a record node A's vault gets while A runs, and one it got while A
// was down (published when A starts again), both reach node C's vault store,
// where `agent vault list` shows them without their secret. A record file
// someone changed on A's disk is refused by A itself and reaches nobody.
import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openVault, recordFileName, VAULT_DIR } from '../../agent/vault/store.ts';
import type { VaultEntry } from '../../agent/vault/types.ts';
import { eventually, spawnAgent, startCluster, type AgentProc } from '../helpers/agents.ts';
import { runAgent } from '../helpers/run.ts';

// Only ever written to the sealed box; the test checks no output carries it.
const SECRET = 'oob-test-secret-3f9a1c';

interface Dirs {
  state: string;
  identity: string;
}

test("node A's vault records appear in node C's vault store, sealed; a tampered one does not", async (t) => {
  t.timeout(120_000);
  const { org, agents } = await startCluster(t, ['va', 'vb', 'vc'], { base: 60, gossip: { pushPullIntervalMs: 2000 } });
  const [a, , c] = agents as [AgentProc, AgentProc, AgentProc];
  const dirs = (name: string): Dirs => ({ state: join(org.root, name, 'state'), identity: join(org.root, name, 'identity') });
  const put = async (name: string, id: string, user: string): Promise<VaultEntry> => {
    const v = openVault({ stateDir: dirs(name).state, identityDir: dirs(name).identity });
    if (!v.ok) throw new Error(v.error.message);
    const e = await v.value.put('bmc-user', id, new TextEncoder().encode(SECRET), { user });
    if (!e.ok) throw new Error(e.error.message);
    return e.value;
  };
  const heldBy = (name: string): VaultEntry[] => {
    const v = openVault({ stateDir: dirs(name).state, identityDir: dirs(name).identity });
    if (!v.ok) throw new Error(v.error.message);
    const l = v.value.list();
    return l.ok ? l.value : [];
  };
  const has = (name: string, e: VaultEntry): boolean => heldBy(name).some((x) => x.node === e.node && x.id === e.id && x.seq === e.seq);

  // While A runs: its poll finds the new file and publishes it.
  const first = await put('va', 'bmc-user:fortros-oob', 'fortros-oob');
  t.true(await eventually(() => has('vc', first) && has('vb', first), 20_000), 'the record reached vb and vc');
  await c.waitForLog((l) => l.msg === 'vault record received' && l.node === 'va', 1000, 'the received line on vc');

  // While A is down: the record waits on disk and is published when A starts again.
  a.kill('SIGKILL');
  await a.exited;
  const second = await put('va', 'channel-ref:pdu', 'pdu-outlet-7');
  t.false(has('vc', second));
  const a2 = spawnAgent(t, 'va', a.addr, a.configFile, a.socket);
  await a2.waitForLog((l) => l.msg === 'vault record published' && l.id === 'channel-ref:pdu', 30_000, 'the publish line on va');
  t.true(await eventually(() => has('vc', second), 30_000), 'the record written while va was down reached vc');

  // A record file changed on A's disk: A refuses to publish it, and C keeps the genuine one.
  const vaultA = join(dirs('va').state, VAULT_DIR);
  const file = join(vaultA, recordFileName('va', 'bmc-user:fortros-oob'));
  const genuine = readFileSync(file);
  const bytes = Buffer.from(genuine);
  bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff;
  writeFileSync(join(vaultA, recordFileName('va', 'tampered')), bytes);
  const refused = await a2.waitForLog((l) => l.msg === 'vault record not published', 10_000, 'the refusal on va');
  t.is(refused.code, 'BAD_SIGNATURE');
  // Two push-pull intervals and more: had it gone out, it would be on vc by now.
  await new Promise((r) => setTimeout(r, 5000));
  t.deepEqual(readFileSync(join(dirs('vc').state, VAULT_DIR, recordFileName('va', 'bmc-user:fortros-oob'))), genuine);
  t.false(readdirSync(join(dirs('vc').state, VAULT_DIR)).includes(recordFileName('va', 'tampered')));

  // `agent status` on C counts the records its gossip holds: A's two.
  const st = (await c.status()) as { gossip: { records: number } };
  t.is(st.gossip.records, 2);

  // `agent vault list` on C: A's records, no secret.
  const l = await runAgent(['vault', 'list', '--state', dirs('vc').state, '--identity', dirs('vc').identity, '--json']);
  t.is(l.code, 0, l.err);
  const listed = JSON.stringify(JSON.parse(l.out));
  t.regex(listed, /fortros-oob/);
  t.regex(listed, /channel-ref:pdu/);
  t.false(listed.includes(SECRET));
  for (const p of [a, a2, ...agents.slice(1)]) t.false(JSON.stringify(p.lines).includes(SECRET), `${p.name}'s log`);
  for (const name of ['vb', 'vc']) {
    for (const f of readdirSync(join(dirs(name).state, VAULT_DIR))) t.false(readFileSync(join(dirs(name).state, VAULT_DIR, f)).includes(Buffer.from(SECRET)), `${name}/${f} holds the secret only sealed`);
  }
});
