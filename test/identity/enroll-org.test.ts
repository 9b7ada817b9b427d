import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { keyId, readPublicKey } from '../../agent/identity/keys.ts';
import { ORG_FILES, NODE_FILES } from '../../agent/identity/store.ts';
import { runAgent } from '../helpers/run.ts';
import { makeNode, makeOrg, must, tmp } from './fixture.ts';

test('enroll leaves a copy of the org public key in the identity directory', (t) => {
  const org = makeOrg();
  const node = makeNode(org, 'node-a');
  const path = join(node.dir, NODE_FILES.orgPublicKey);
  t.is(NODE_FILES.orgPublicKey, 'org.pub');
  t.is(statSync(path).mode & 0o777, 0o644);
  t.is(readFileSync(path, 'utf8'), readFileSync(join(org.dir, ORG_FILES.publicKey), 'utf8'));
  const copy = must(readPublicKey(path));
  t.deepEqual(keyId(copy), keyId(org.keys.publicKey));
  t.deepEqual(keyId(copy), node.cert.orgKeyId);
});

test('agent enroll writes org.pub next to node.cert, and no private org material', async (t) => {
  const dir = tmp();
  const orgDir = join(dir, 'org');
  const idDir = join(dir, 'id');
  t.is((await runAgent(['org', 'init', '--out', orgDir])).code, 0);
  const e = await runAgent(['enroll', '--org', orgDir, '--name', 'node-b', '--out', idDir]);
  t.is(e.code, 0, e.err);
  t.is(readFileSync(join(idDir, 'org.pub'), 'utf8'), readFileSync(join(orgDir, 'org.pub'), 'utf8'));
  t.notRegex(readFileSync(join(idDir, 'org.pub'), 'utf8'), /PRIVATE/);
  t.throws(() => statSync(join(idDir, 'org.key')), { code: 'ENOENT' });
});
