// kill -9 at random points of a process that writes vault records in a loop,
// many times: after every kill each record file decodes and verifies and holds
// the last seq the writer reported for it or the next one (the put it was in
// the middle of), never a broken record; temp files a kill left behind are not
// records and are gone once the next writer opens the vault.
//
// The writer is bundled once with esbuild (dependencies left to node_modules)
// so a start costs tens of milliseconds instead of a tsx compile per kill.

import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { isTempName } from '../../agent/state/atomic.ts';
import { openVault, RECORD_SUFFIX, scanVault, VAULT_DIR } from '../../agent/vault/store.ts';
import { must, vaultNode, vaultOrg } from './fixture.ts';

const KILLS = 200;
const BUDGET_MS = 75_000;

async function bundleWriter(): Promise<string> {
  const dir = resolve('node_modules/.cache/fortros-vault-crash');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `writer-${process.pid}.mjs`);
  await build({ entryPoints: [resolve('test/vault/crash-writer.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'error' });
  return outfile;
}

interface Run {
  lines: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Starts the writer, kills it `delayMs` after it is ready (or after spawn when `early`), and waits for it to be gone. */
function runAndKill(writer: string, stateDir: string, identityDir: string, delayMs: number, early: boolean, first: number): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [writer, stateDir, identityDir, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const arm = (): void => {
      timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs);
    };
    if (early) arm();
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.startsWith('ready')) arm();
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      done({ lines: out.split('\n').filter((l) => l !== ''), stderr, code, signal });
    });
  });
}

test('kill -9 mid-write, many times: every record is whole, old or new seq, temp files never read', async (t) => {
  t.timeout(BUDGET_MS + 60_000);
  const org = vaultOrg();
  const node = vaultNode(org, 'node-k');
  const writer = await bundleWriter();
  t.teardown(() => rmSync(writer, { force: true }));
  const dir = join(node.stateDir, VAULT_DIR);
  /** Seq per id as the last check found it on disk. */
  const known = new Map<string, number>();
  const everReported = new Set<string>();
  const started = Date.now();
  let kills = 0;
  let puts = 0;
  let leftoverKills = 0;
  let newerThanReported = 0;
  while (kills < KILLS && Date.now() - started < BUDGET_MS) {
    const early = kills % 10 === 9;
    const r = await runAndKill(writer, node.stateDir, node.identityDir, Math.floor(Math.random() * (early ? 60 : 25)), early, kills % 3);
    if (r.signal !== 'SIGKILL') t.fail(`writer ended by itself: code ${r.code} ${r.stderr}`);
    kills++;
    // What this run reported last per id; unreported, it may have landed one put past that.
    const reported = new Map(known);
    for (const l of r.lines) {
      const [id, seq] = l.split(' ');
      if (id === 'ready' || id === undefined) continue;
      reported.set(id, Number(seq));
      everReported.add(id);
      puts++;
    }
    const names = readdirSync(dir);
    const temps = names.filter(isTempName);
    if (temps.length > 0) leftoverKills++;
    t.deepEqual(names.filter((n) => !isTempName(n) && !n.endsWith(RECORD_SUFFIX)), [], 'only records and temp files in the vault');
    const scanned = must(scanVault(node.stateDir, org.keys.publicKey));
    t.is(scanned.length, names.length - temps.length, 'a temp file was read as a record');
    for (const s of scanned) {
      if (!s.verified || !s.entry) {
        t.fail(`kill ${kills}: ${s.file}: ${s.error?.code}: ${s.error?.message}`);
        continue;
      }
      known.set(s.entry.id, s.entry.seq);
      const last = reported.get(s.entry.id);
      if (last === undefined) continue; // its first put, killed before the report
      // The put in flight took max(last + 1, its clock second): store.ts keeps seq at or above the clock.
      const next = Math.max(last + 1, Math.floor(Date.now() / 1000));
      if (s.entry.seq > last && s.entry.seq <= next) newerThanReported++;
      else if (s.entry.seq !== last) t.fail(`kill ${kills}: ${s.entry.id} holds seq ${s.entry.seq}, reported ${last}`);
    }
    for (const id of everReported) t.true(scanned.some((s) => s.entry?.id === id), `${id} was reported and is gone`);
  }
  const after = must(openVault({ stateDir: node.stateDir, identityDir: node.identityDir }));
  t.deepEqual(readdirSync(dir).filter(isTempName), [], 'the next open removes every leftover');
  t.log(`${kills} kills in ${Date.now() - started} ms, ${puts} puts reported; ${leftoverKills} kills left a temp file (${after.removedTemps.length} at the last), ${newerThanReported} times the put in flight had landed`);
  t.true(kills >= 50, `only ${kills} kills within the time budget`);
  t.true(puts > 0, 'the writer got work done between kills');
  // The kills must land inside writes, or the test shows nothing: a leftover temp file, or a put that landed unreported.
  t.true(leftoverKills + newerThanReported > 0, 'no kill landed inside a write');
  t.is(everReported.size, 3);
});
