// `agent heal log` run in-process (main.ts registers it later; the lead does that).
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../agent/cli/args.ts';
import { UsageError } from '../../agent/cli/exit.ts';
import { healCommand } from '../../agent/cli/heal.ts';
import { generateKeyPair, rawPublicKey } from '../../agent/identity/keys.ts';
import { AUDIT_DIR, AUDIT_FILE, AuditLog } from '../../agent/heal/audit.ts';
import { T0 } from './helpers.ts';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s), env: {}, stderrIsTTY: false };
  const args = parseArgs('agent heal', argv, healCommand.flags, healCommand.maxPositionals);
  const code = await healCommand.run(args, { io, logger: () => Promise.reject(new Error('no logger')), startedAt: 0 });
  return { code, out, err };
}

function logDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'heal-cli-'));
  const kp = generateKeyPair();
  const log = AuditLog.open(dir, { privateKey: kp.privateKey, publicKey: rawPublicKey(kp.publicKey), binding: null }, T0);
  if (!log.ok) throw new Error(log.error.message);
  log.value.append({ at: T0 + 1000, kind: 'act', subject: 'node-x', incarnation: 9, actor: 'node-y', why: 'rank 1, self-check passed' });
  log.value.append({ at: T0 + 4000, kind: 'action-done', subject: 'node-x', incarnation: 9, actor: 'node-y', why: 'ipmi: off verified, on verified' });
  return dir;
}

test('prints each entry, one line, exit 0', async (t) => {
  const r = await run(['log', '--state', logDir()]);
  t.is(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  t.is(lines.length, 3);
  t.regex(lines[0] as string, /key +session [0-9a-f]{32} \(binding unchecked\)/);
  t.is(lines[1], '2026-11-01T00:00:01.000Z  act               node-x@9 by node-y: rank 1, self-check passed');
  t.regex(lines[2] as string, /action-done +node-x@9 by node-y: ipmi: off verified, on verified/);
});

test('--json: the schema, the entries, and a tampered line reported with exit 1', async (t) => {
  const dir = logDir();
  const path = join(dir, AUDIT_DIR, AUDIT_FILE);
  const lines = readFileSync(path, 'latin1').split('\n');
  const l = lines[1] as string;
  lines[1] = l.slice(0, 30) + (l[30] === 'A' ? 'B' : 'A') + l.slice(31);
  writeFileSync(path, lines.join('\n'));
  const r = await run(['log', '--state', dir, '--json']);
  t.is(r.code, 1);
  const j = JSON.parse(r.out) as { schema: string; lines: unknown[]; problems: { line: number }[] };
  t.is(j.schema, 'fortros.oob.heal-log/v1');
  t.is(j.lines.length, 2);
  t.deepEqual(j.problems.map((p) => p.line), [2, 3]);
  const text = await run(['log', '--state', dir]);
  t.is(text.code, 1);
  t.regex(text.out, /PROBLEM line 2: /);
});

test('an empty state directory says so; usage errors are usage errors', async (t) => {
  const r = await run(['log', '--state', mkdtempSync(join(tmpdir(), 'heal-cli-'))]);
  t.is(r.code, 0);
  t.regex(r.out, /^no heal log entries in /);
  await t.throwsAsync(run(['log']), { instanceOf: UsageError });
  await t.throwsAsync(run(['show', '--state', '/tmp']), { instanceOf: UsageError });
});
