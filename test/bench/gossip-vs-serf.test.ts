// Smoke test of bench/gossip-vs-serf on the serf side alone: one kill round
// under 20 % UDP loss, no soak. It checks that the namespace, the drop rule,
// the serf agents and the log-based timing all work; the comparison itself is
// the bench's job, not a test's.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { systemNft } from '../../bench/serf/netns.ts';
import type { RunResult } from '../../bench/serf/summary.ts';
import { missing } from '../harness/env.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');

const skip =
  missing('serf', 'ip', 'setpriv') ?? (systemNft() === null ? 'not installed: nft (nftables)' : null) ?? (process.getuid?.() === 0 ? null : 'network namespaces and nftables need root');
const title = 'bench/gossip-vs-serf times serf detecting a SIGKILLed agent under UDP loss';

if (skip) test(`${title} (skipped: ${skip})`, (t) => t.pass());
else test(title, async (t) => {
  t.timeout(75_000);
  const dir = mkdtempSync('/tmp/fortros-gvs-test-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'result.json');
  await run(join(ROOT, 'bench/gossip-vs-serf'), ['--sides', 'serf', '--quick', '--rounds', '1', '--soak-sec', '0', '--json-out', out], {
    cwd: ROOT,
    timeout: 70_000,
  });
  const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  t.is(result.sides.length, 1);
  const serf = result.sides[0];
  t.is(serf?.side, 'serf');
  t.is(serf?.rounds.length, 1);
  const round = serf?.rounds[0];
  t.is(round?.survivors, 7);
  t.is(round?.marked, 7);
  const ms = round?.detectMs ?? -1;
  t.true(ms > 0 && ms < 60_000, `detection ${ms} ms`);
  t.true((round?.firstMs ?? Infinity) <= ms);
  // The drop rule was measured, and it dropped agent traffic too.
  const lost = (result.measuredLoss.sent - result.measuredLoss.received) / result.measuredLoss.sent;
  t.true(lost > 0.15 && lost < 0.25, `probe loss ${lost}`);
  t.true(result.udpCounters.dropped > 0);
  t.deepEqual(serf?.crashes, []);
});
