// `make demo`: the self-healing loop once (or --runs N times) in QEMU, told as
// it happens: X boots, Y and Z see it, X is frozen, one of them power-cycles it
// through its BMC, X comes back. Exit 0 when every death was healed by exactly
// one power action, 1 otherwise, 2 on a usage error, 3 when this machine
// cannot run it (not root, no QEMU, no image).

import { existsSync } from 'node:fs';
import { IMAGE_OUT } from '../qemu/boot.ts';
import { netUnavailable } from '../qemu/net.ts';
import { startDemoFleet } from './fleet.ts';
import { row, summary } from './report.ts';
import { freezeAndHeal, type Death } from './scenarios.ts';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
if (!Number.isInteger(runs) || runs < 1 || runs > 100 || args.some((a, i) => a !== '--runs' && i !== runsAt + 1)) {
  process.stderr.write('usage: demo [--runs N]   (N from 1 to 100)\n');
  process.exit(2);
}
const why = netUnavailable() ?? (existsSync(`${IMAGE_OUT}/initramfs.img`) ? null : 'image/out/initramfs.img is missing: make image');
if (why) {
  process.stderr.write(`demo: cannot run here: ${why}\n`);
  process.exit(3);
}

const say = (s: string): void => void process.stdout.write(`[${new Date().toISOString().slice(11, 23)}] ${s}\n`);
say('starting: org, identities for x, y, z; network namespace; X boots the preboot image with ipmi_sim as its BMC');
const fleet = await startDemoFleet({ log: say });
let code = 0;
try {
  const deaths: Death[] = [];
  for (let i = 1; i <= runs; i++) {
    say(`death ${i}: freezing X (QMP stop): its CPUs, agent and watchdog stop; only its BMC can bring it back`);
    const d = await freezeAndHeal(fleet);
    for (const e of d.audit) say(`  ${e.by}: ${e.kind}${e.actor ? ` (${e.actor})` : ''}: ${e.why}`);
    say(row(i, d));
    deaths.push(d);
  }
  const s = summary(deaths);
  process.stdout.write(`\n${s.text}\n`);
  if (s.exactlyOne !== deaths.length) code = 1;
} catch (e) {
  say(`demo failed: ${(e as Error).message}`);
  code = 1;
} finally {
  await fleet.stop();
}
process.exit(code);
