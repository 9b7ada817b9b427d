// The shipped artefact: dist/agent must be one file that runs anywhere, with no
// node on PATH and no node_modules beside it. `make test` builds it first.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const built = resolve('dist/agent');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

function runCopy(args: string[]) {
  // A lone copy in an empty directory, an environment with no PATH to node.
  const dir = mkdtempSync(join(tmpdir(), 'agent-sea-'));
  const exe = join(dir, 'agent');
  copyFileSync(built, exe);
  return spawnSync(exe, args, { cwd: dir, env: { PATH: '/nonexistent' }, encoding: 'utf8', timeout: 30_000 });
}

test('dist/agent exists (make build)', (t) => {
  t.true(existsSync(built), 'dist/agent is missing: run `make build` (make test does)');
});

test('the single binary runs alone: --version', (t) => {
  if (!existsSync(built)) return t.fail('dist/agent missing');
  const r = runCopy(['--version']);
  t.is(r.status, 0, r.stderr);
  t.true(r.stdout.startsWith(`agent ${pkg.version} (`), r.stdout);
});

test('the single binary prints a JSON report of a fixture root', (t) => {
  if (!existsSync(built)) return t.fail('dist/agent missing');
  const r = runCopy(['report', '--json', '--root', resolve('test/fixtures/vpro-desktop')]);
  t.is(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { schema: string; channels: { kind: string }[] };
  t.is(rep.schema, 'fortros.oob.report/v1');
  t.is(rep.channels[0]?.kind, 'amt');
});

test('the single binary keeps the usage contract: bad flag exits 2 with one line', (t) => {
  if (!existsSync(built)) return t.fail('dist/agent missing');
  const r = runCopy(['report', '--nope']);
  t.is(r.status, 2);
  t.is(r.stdout, '');
  t.is(r.stderr, "agent report: unknown flag --nope (see 'agent report --help')\n");
});
