// Time from command to verified state for every issue-8 channel against its
// fake (or real daemon), whose machine takes a simulated delay to change power,
// and the channel's overhead beyond that delay: exchanges, task polling and the
// ladder's status polls. The ladder runs with the timing the CLI and the healer
// use (DEFAULT_TIMING), so the overhead is what a real fence pays.

import { CHANNELS } from '../agent/channels/registry.ts';
import { deadlineIn, type ChannelEntry } from '../agent/channels/types.ts';
import { Channel } from '../agent/channels/verify.ts';
import type { BenchTarget, StartBenchTarget } from '../test/fakes/bench-target.ts';
import { startAwsBench } from '../test/fakes/aws/bench.ts';
import { startDigitaloceanBench } from '../test/fakes/digitalocean/bench.ts';
import { startGceBench } from '../test/fakes/gce/bench.ts';
import { startHetznerCloudBench } from '../test/fakes/hetzner-cloud/bench.ts';
import { startHetznerRobotBench } from '../test/fakes/hetzner-robot/bench.ts';
import { startLibvirtBench } from '../test/fakes/libvirt/bench.ts';
import { libvirtMissing } from '../test/fakes/libvirt/daemon.ts';
import { startLinodeBench } from '../test/fakes/linode/bench.ts';
import { startOvhBench } from '../test/fakes/ovh/bench.ts';
import { proxmoxTicket, proxmoxToken } from '../test/fakes/proxmox/bench.ts';
import { startPduBench } from '../test/fakes/snmp-pdu/bench.ts';
import { vsphereApi, vsphereRest } from '../test/fakes/vsphere/bench.ts';
import { startVultrBench } from '../test/fakes/vultr/bench.ts';
import { startWolBench } from '../test/fakes/wol/bench.ts';

// Not a multiple of the ladder's 1 s poll, so the rows show what polling costs on average.
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 1700);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const only = process.argv.slice(2);

const TARGETS: StartBenchTarget[] = [startPduBench, proxmoxToken, proxmoxTicket, vsphereApi, vsphereRest, startHetznerCloudBench, startDigitaloceanBench, startVultrBench, startLinodeBench, startAwsBench, startGceBench, startHetznerRobotBench, startOvhBench, startWolBench];

interface Row {
  label: string;
  delayMs: number;
  verified: boolean;
  cycleMs: number[];
  attempts: number;
  failed: string | null;
}

async function cycleOnce(t: BenchTarget): Promise<{ ms: number; verified: boolean; attempts: number; error: string | null }> {
  const entry: ChannelEntry = CHANNELS[t.channel];
  const mod = await entry.load();
  const d = mod.open(t.opts);
  if (!d.ok) return { ms: NaN, verified: false, attempts: 0, error: `${d.error.code}: ${d.error.message}` };
  const ch = new Channel(d.value);
  const desc = ch.describe();
  // Wake-on-LAN can only power on: its row times that, the one thing it does.
  const onOnly = !desc.verifiable && !desc.actions.some((a) => a === 'cycle' || a === 'reset');
  const t0 = performance.now();
  try {
    const r = await (onOnly ? ch.on(deadlineIn(120_000)) : ch.cycle(deadlineIn(120_000)));
    const ms = performance.now() - t0;
    if (!r.ok) return { ms, verified: false, attempts: r.error.attempts, error: `${r.error.code}: ${r.error.message}` };
    return { ms, verified: r.value.verified, attempts: r.value.attempts, error: null };
  } finally {
    await ch.close(deadlineIn(5_000));
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const rows: Row[] = [];
// The libvirt row drives a real libvirtd and a TCG domain: only where the packages are (root, Debian's libvirt).
const missing = libvirtMissing();
if (missing === null) TARGETS.push(startLibvirtBench);
else console.error(`bench: no libvirt row (${missing})`);

for (const start of TARGETS) {
  const row: Row = { label: start.name, delayMs: DELAY_MS, verified: true, cycleMs: [], attempts: 0, failed: null };
  for (let i = 0; i < RUNS && row.failed === null; i++) {
    const target = await start(DELAY_MS);
    row.label = target.label;
    row.delayMs = target.delayMs;
    if (only.length && !only.includes(target.channel)) {
      await target.close();
      break;
    }
    try {
      const r = await cycleOnce(target);
      if (r.error !== null) row.failed = r.error;
      else {
        row.cycleMs.push(r.ms);
        row.verified = r.verified;
        row.attempts = r.attempts;
      }
    } finally {
      await target.close();
    }
  }
  if (row.cycleMs.length || row.failed) rows.push(row);
}

console.log(`channels benchmark: cycle (off, verify off, on, verify on) against each fake, machine delay ${DELAY_MS} ms per change, ${RUNS} runs, medians; ladder polls every 1000 ms (DEFAULT_TIMING)`);
const w = Math.max(10, ...rows.map((r) => r.label.length)) + 2;
console.log(`${'channel'.padEnd(w)}${'cycle ms'.padStart(10)}${'floor ms'.padStart(10)}${'overhead ms'.padStart(13)}${'x floor'.padStart(9)}${'exchanges'.padStart(11)}  verified`);
for (const r of rows) {
  if (r.failed) {
    console.log(`${r.label.padEnd(w)}FAILED: ${r.failed}`);
    continue;
  }
  const ms = median(r.cycleMs);
  // A verified cycle cannot beat two state changes; an unverified one waits for none.
  const floor = r.verified ? 2 * r.delayMs : 0;
  const over = ms - floor;
  console.log(`${r.label.padEnd(w)}${ms.toFixed(0).padStart(10)}${String(floor).padStart(10)}${over.toFixed(0).padStart(13)}${(floor ? (ms / floor).toFixed(2) : '-').padStart(9)}${String(r.attempts).padStart(11)}  ${r.verified ? 'yes' : 'no (cannot read state)'}`);
}
process.exit(rows.some((r) => r.failed) ? 1 : 0);
