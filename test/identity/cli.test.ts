import test from 'ava';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAgent } from '../helpers/run.ts';
import { hasTool, startSwtpm } from '../tpm/swtpm.ts';
import { BOOT_A, BOOT_B, tmp } from './fixture.ts';

/** A probe root with only a boot id: the report runs, finds no channels, and the record still forms. */
function root(bootId: string): string {
  const r = tmp();
  mkdirSync(join(r, 'proc/sys/kernel/random'), { recursive: true });
  writeFileSync(join(r, 'proc/sys/kernel/random/boot_id'), `${bootId}\n`);
  return r;
}

async function setup(): Promise<{ dir: string; org: string; id: string }> {
  const dir = tmp();
  const org = join(dir, 'org');
  const id = join(dir, 'node');
  const o = await runAgent(['org', 'init', '--out', org]);
  if (o.code !== 0) throw new Error(o.err);
  const e = await runAgent(['enroll', '--org', org, '--name', 'node-a', '--out', id]);
  if (e.code !== 0) throw new Error(e.err);
  return { dir, org, id };
}

test('org init, enroll, attest and attest verify end to end', async (t) => {
  const { dir, org, id } = await setup();
  t.is(statSync(join(org, 'org.key')).mode & 0o777, 0o600);
  t.is(statSync(join(id, 'node.key')).mode & 0o777, 0o600);
  const a = await runAgent(['attest', '--json', '--identity', id, '--root', root(BOOT_A), '--out', join(dir, 'r1.cose')]);
  t.is(a.code, 0, a.err);
  const j = JSON.parse(a.out) as { record: string; attested: boolean; payload: { name: string; bootId: string; incarnation: number; policy: null; tpm: null } };
  t.false(j.attested);
  t.is(j.payload.name, 'node-a');
  t.is(j.payload.bootId, BOOT_A);
  t.is(j.payload.incarnation, 1);
  t.is(j.payload.policy, null);
  t.is(j.payload.tpm, null);
  t.is(Buffer.from(readFileSync(join(dir, 'r1.cose'))).toString('base64'), j.record);
  const v = await runAgent(['attest', 'verify', '--org', join(org, 'org.pub'), '--record', join(dir, 'r1.cose')]);
  t.is(v.code, 0, v.err);
  t.is(v.out, `ok: node-a incarnation 1 boot ${BOOT_A} unattested (no TPM)\n`);

  // The next boot: a higher incarnation; the base64 form verifies as well; the old record is now a replay.
  const b = await runAgent(['attest', '--identity', id, '--root', root(BOOT_B)]);
  t.is(b.code, 0, b.err);
  writeFileSync(join(dir, 'r2.b64'), b.out);
  const v2 = await runAgent(['attest', 'verify', '--org', join(org, 'org.pub'), '--record', join(dir, 'r2.b64'), '--seen', join(dir, 'r1.cose')]);
  t.is(v2.code, 0, v2.err);
  t.regex(v2.out, /incarnation 2 /);
  const replay = await runAgent(['attest', 'verify', '--org', join(org, 'org.pub'), '--record', join(dir, 'r1.cose'), '--seen', join(dir, 'r2.b64')]);
  t.is(replay.code, 1);
  t.regex(replay.err, /rejected: REPLAYED: incarnation 1 is older than 2/);
  const late = await runAgent(['attest', 'verify', '--org', join(org, 'org.pub'), '--record', join(dir, 'r1.cose'), '--now', new Date(Date.now() + 3600_000).toISOString()]);
  t.is(late.code, 1);
  t.regex(late.err, /rejected: EXPIRED: record expired/);
});

test('attest verify names a foreign org; usage errors exit 2', async (t) => {
  const mine = await setup();
  const theirs = await setup();
  const a = await runAgent(['attest', '--identity', theirs.id, '--root', root(BOOT_A), '--out', join(theirs.dir, 'r.cose')]);
  t.is(a.code, 0, a.err);
  const v = await runAgent(['attest', 'verify', '--org', join(mine.org, 'org.pub'), '--record', join(theirs.dir, 'r.cose')]);
  t.is(v.code, 1);
  t.regex(v.err, /rejected: FOREIGN_ORG/);
  t.is((await runAgent(['attest', 'verify', '--identity', mine.id])).code, 2);
  t.is((await runAgent(['attest', '--org', 'x', '--identity', mine.id])).code, 2);
  t.is((await runAgent(['org', 'create', '--out', mine.dir])).code, 2);
  t.is((await runAgent(['enroll', '--org', mine.org, '--name', 'x'])).code, 2);
  const again = await runAgent(['org', 'init', '--out', mine.org]);
  t.is(again.code, 1);
  t.regex(again.err, /exists; not replacing a key/);
});

test('with --tpm the record carries a quote over the session key that verify checks (swtpm)', async (t) => {
  if (!hasTool('swtpm')) {
    t.log('swtpm not installed: skipped');
    t.pass();
    return;
  }
  const sw = await startSwtpm();
  try {
    const { dir, org, id } = await setup();
    const a = await runAgent(['attest', '--json', '--tpm', sw.uri, '--pcrs', 'sha256:0,7', '--identity', id, '--root', root(BOOT_A), '--out', join(dir, 'r.cose')]);
    t.is(a.code, 0, a.err);
    const j = JSON.parse(a.out) as { attested: boolean; payload: { tpm: { akPem: string; msg: string } } };
    t.true(j.attested);
    t.regex(j.payload.tpm.akPem, /^-----BEGIN PUBLIC KEY-----/);
    t.true(j.payload.tpm.msg.startsWith('ff544347'), 'TPMS_ATTEST starts with TPM_GENERATED_VALUE');
    const v = await runAgent(['attest', 'verify', '--org', join(org, 'org.pub'), '--record', join(dir, 'r.cose')]);
    t.is(v.code, 0, v.err);
    t.regex(v.out, /attested \(TPM quote\)/);
  } finally {
    await sw.stop();
  }
});
