// The daemon's side of record gossip (agent/daemon/vault-sync.ts) against the
// real vault store and record format: the verifier the core gets maps vault
// refusals to gossip codes, the scan publishes each record once (at start, and
// when a file changes, never on a quiet poll), and a record a peer brought is
// stored and not published back as if new.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vaultSync } from '../../agent/daemon/vault-sync.ts';
import type { RecordClaim } from '../../agent/gossip/records.ts';
import { gok, type GossipResult } from '../../agent/gossip/types.ts';
import { createLogger } from '../../agent/log.ts';
import { openVault, recordFileName, VAULT_DIR } from '../../agent/vault/store.ts';
import { enrollNode, eventually, makeOrg, type TestOrg } from '../helpers/agents.ts';

interface Line {
  msg: string;
  [k: string]: unknown;
}

function node(org: TestOrg, name: string) {
  const { dir: identityDir } = enrollNode(org, name);
  const stateDir = join(org.root, name, 'state');
  const v = openVault({ stateDir, identityDir });
  if (!v.ok) throw new Error(v.error.message);
  return { config: { node: { name, identityDir }, state: { dir: stateDir } }, vault: v.value, stateDir };
}

const put = async (v: ReturnType<typeof node>['vault'], id: string): Promise<Uint8Array> => {
  const e = await v.put('channel-ref', id, new TextEncoder().encode('vm-1234'), { channel: 'proxmox' });
  if (!e.ok) throw new Error(e.error.message);
  const raw = v.raw(e.value.node, e.value.id);
  if (!raw.ok) throw new Error(raw.error.message);
  return raw.value;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the verifier takes genuine vault records and names why it refuses the others', async (t) => {
  const org = makeOrg('records-vault-');
  const a = node(org, 'va');
  const sync = vaultSync(a.config, createLogger({ format: 'json', level: 'silent' }));
  if (!sync) return t.fail('no vault sync');
  const bytes = await put(a.vault, 'channel-ref:vm');
  const ok = sync.records.verify(bytes, Date.now());
  t.like(ok, { ok: true, value: { node: 'va', id: 'channel-ref:vm' } });
  const bad = Uint8Array.from(bytes);
  bad[bad.length - 5] = (bad[bad.length - 5] as number) ^ 1;
  t.like(sync.records.verify(bad, Date.now()), { ok: false, error: { code: 'BAD_SIGNATURE' } });
  t.like(sync.records.verify(new Uint8Array([1, 2, 3]), Date.now()), { ok: false, error: { code: 'MALFORMED' } });
  // A record of a node certified by another org.
  const other = node(makeOrg('records-vault-other-'), 'vx');
  t.like(sync.records.verify(await put(other.vault, 'channel-ref:vm'), Date.now()), { ok: false, error: { code: 'UNTRUSTED' } });
});

test('each record is published once: at start, when a file changes, and not after a peer brought it', async (t) => {
  const org = makeOrg('records-vault-');
  const a = node(org, 'va');
  const b = node(org, 'vb');
  await put(a.vault, 'channel-ref:one');
  const lines: Line[] = [];
  const log = createLogger({ format: 'json', level: 'debug', write: (s) => lines.push(JSON.parse(s) as Line) });
  const sync = vaultSync(a.config, log, 20);
  if (!sync) return t.fail('no vault sync');
  const published: string[] = [];
  const driver = {
    publishRecord(bytes: Uint8Array): GossipResult<RecordClaim> {
      const v = sync.records.verify(bytes, Date.now());
      if (v.ok) published.push(`${v.value.node}/${v.value.id}#${v.value.seq}`);
      return v.ok ? gok(v.value) : v;
    },
  };
  sync.start(driver);
  t.teardown(() => sync.stop());
  t.is(published.length, 1);
  t.regex(published[0] as string, /^va\/channel-ref:one#/);
  await sleep(150);
  t.is(published.length, 1, 'a quiet vault publishes nothing again');

  await put(a.vault, 'channel-ref:two');
  t.true(await eventually(() => published.length === 2, 5000));
  t.regex(published[1] as string, /^va\/channel-ref:two#/);

  // A peer's record, as the core hands it over: stored in va's vault, not published back.
  const theirs = await put(b.vault, 'channel-ref:peer');
  const claim = sync.records.verify(theirs, Date.now());
  if (!claim.ok) return t.fail(claim.error.message);
  sync.onRecord({ ...claim.value, bytes: theirs });
  const listed = a.vault.list();
  t.true(listed.ok && listed.value.some((e) => e.node === 'vb' && e.id === 'channel-ref:peer'));
  t.true(lines.some((l) => l.msg === 'vault record received' && l.node === 'vb'));
  await sleep(150);
  t.is(published.length, 2, 'the stored peer record is not published again');

  // A broken file: refused by the verifier, logged, and the scan goes on.
  writeFileSync(join(a.stateDir, VAULT_DIR, recordFileName('va', 'junk')), new Uint8Array([0xa1, 0x01]));
  t.true(await eventually(() => lines.some((l) => l.msg === 'vault record not published' && l.code === 'MALFORMED'), 5000));
  await put(a.vault, 'channel-ref:three');
  t.true(await eventually(() => published.length === 3, 5000));
  await sleep(150);
  t.is(published.length, 3);
});

test('no state.dir: gossip runs without records, and says so', (t) => {
  const lines: Line[] = [];
  const log = createLogger({ format: 'json', level: 'debug', write: (s) => lines.push(JSON.parse(s) as Line) });
  t.is(vaultSync({ node: { name: 'va', identityDir: '/nonexistent' }, state: { dir: null } }, log), null);
  t.true(lines.some((l) => l.msg === 'vault not gossiped: no state.dir'));
});
