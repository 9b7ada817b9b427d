// The human-readable form of a run's report, and the issue's targets.
import type { ScenarioReport } from './scenario.ts';
import type { Summary } from './stats.ts';

export const TARGETS = {
  detectionP99Ms: 5_000,
  falseDeaths: 0,
  bytesOutPerNodePerSec: 1024,
};

export interface TargetCheck {
  name: string;
  value: string;
  ok: boolean;
}

/** The issue's targets for the simulator; the byte target is held against the p99 node, not the mean. */
export function checkTargets(r: ScenarioReport): TargetCheck[] {
  const checks: TargetCheck[] = [
    {
      name: `detection p99 <= ${TARGETS.detectionP99Ms / 1000} s (every live node)`,
      value: r.detection.kills === 0 ? 'no kills' : `${sec(r.detection.all.p99)}, ${r.detection.complete}/${r.detection.kills} complete`,
      ok: r.detection.kills > 0 && r.detection.complete === r.detection.kills && r.detection.all.p99 <= TARGETS.detectionP99Ms,
    },
    {
      name: 'zero false deaths (window and initial join)',
      value: `${r.falseDeaths.transitions} in the window (${r.falseDeaths.victims} victims), ${r.falseDeaths.duringJoin} during the join`,
      ok: r.falseDeaths.transitions === TARGETS.falseDeaths && r.falseDeaths.duringJoin === TARGETS.falseDeaths,
    },
    {
      name: `<= ${TARGETS.bytesOutPerNodePerSec} B/s sent per node (p99 node, UDP + stream)`,
      value: `${r.traffic.bytesOut.p99.toFixed(0)} B/s`,
      ok: r.traffic.bytesOut.p99 <= TARGETS.bytesOutPerNodePerSec,
    },
  ];
  if (r.aborted !== null) checks.push({ name: 'ran the whole scenario', value: `stopped at ${r.aborted.atS.toFixed(1)} s: ${r.aborted.reason}`, ok: false });
  if (r.liar !== null) checks.push({ name: 'liar: victim never declared dead', value: `${r.liar.victimDeaths} deaths`, ok: r.liar.victimDeaths === 0 });
  return checks;
}

const sec = (ms: number): string => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);
const row = (label: string, s: Summary, fmt: (x: number) => string): string =>
  `  ${label.padEnd(34)} ${s.n === 0 ? '-' : `median ${fmt(s.median)}  p99 ${fmt(s.p99)}  max ${fmt(s.max)}  (n=${s.n})`}`;
const rate = (label: string, s: Summary, unit: string): string =>
  `  ${label.padEnd(34)} mean ${s.mean.toFixed(1)}  p99 ${s.p99.toFixed(1)}  max ${s.max.toFixed(1)} ${unit}`;

export function formatReport(r: ScenarioReport): string {
  const o = r.options;
  const n = o.network;
  const lines = [
    `gossip simulator: N=${o.nodes} seed=${o.seed} loss=${(n.loss * 100).toFixed(1)}% latency=${n.latencyMs}+${n.jitterMs} ms window=${o.durationS} s kills=${o.kills}` +
      (o.restartAfterS !== null ? ` restart=${o.restartAfterS} s` : '') +
      (o.liar ? ' liar' : '') +
      (o.slow > 0 ? ` slow=${o.slow}x${o.slowMs} ms` : '') +
      (o.oneWay.length > 0 ? ` one-way=${o.oneWay.map(([a, b]) => `${a}->${b}`).join(',')}` : '') +
      (o.partitions.length > 0 ? ` partitions=${o.partitions.map((p) => `${p.fraction}@${p.fromS}-${p.untilS}`).join(',')}` : ''),
    ...(r.aborted === null ? [] : [`ABORTED at ${r.aborted.atS.toFixed(1)} s simulated: ${r.aborted.reason}; the figures below cover only what ran`]),
    `convergence (every node holds all N alive): ${r.convergedMs === null ? `not reached in ${o.convergeCapS} s` : sec(r.convergedMs)} (joins spread over ${o.joinSpreadS} s)`,
    `detection (${r.detection.complete}/${r.detection.kills} kills seen dead by every live node; ${r.detection.missing} observers missing)`,
    row('every live node marks dead', r.detection.all, sec),
    row('first node marks dead', r.detection.first, sec),
    row('first suspicion', r.detection.firstSuspect, sec),
    row('per (observer, victim)', r.detection.perObserver, sec),
    `false positives: ${r.falseDeaths.transitions} deaths of running nodes (${r.falseDeaths.pairs} observer/victim pairs, ${r.falseDeaths.victims} victims); ` +
      `${r.falseDeaths.suspicions} suspicions of running nodes; ${r.falseDeaths.partitionDeaths} during or within 60 s of a partition; ${r.falseDeaths.duringJoin} during the initial join`,
    `dissemination (${r.dissemination.complete}/${r.dissemination.updates} updates reached every live node)`,
    row('join or restart -> all live nodes', r.dissemination.all, sec),
    `traffic per node per second over the window (${r.traffic.nodes} nodes${r.traffic.excluded.length > 0 ? `, liar excluded` : ''})`,
    rate('sent bytes (UDP + stream)', r.traffic.bytesOut, 'B/s'),
    rate('received bytes (UDP + stream)', r.traffic.bytesIn, 'B/s'),
    rate('sent UDP bytes', r.traffic.udpBytesOut, 'B/s'),
    rate('sent stream bytes', r.traffic.streamBytesOut, 'B/s'),
    rate('sent datagrams', r.traffic.packetsOut, '/s'),
    rate('received datagrams', r.traffic.packetsIn, '/s'),
    rate('sent stream frames', r.traffic.framesOut, '/s'),
    `network: ${r.network.sent} datagrams, ${r.network.lost} lost, ${r.network.cut} cut; ${r.cluster.streams} streams, ${r.cluster.streamFailures} failed; ${r.cluster.vanished} to dead nodes`,
    `rejections: ${Object.entries(r.rejections).map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}`,
  ];
  if (r.liar !== null) lines.push(`liar ${r.liar.node} -> victim ${r.liar.victim}: ${r.liar.rounds} rounds, ${r.liar.packets} packets; victim deaths ${r.liar.victimDeaths}`);
  if (r.slowNodes.length > 0) lines.push(`slow nodes: ${r.slowNodes.join(' ')}`);
  lines.push(
    `wall: ${(r.wall.ms / 1000).toFixed(1)} s, ${r.wall.events} events (${(r.wall.eventsPerSec / 1000).toFixed(0)} k/s), heap ${r.wall.heapUsedMB.toFixed(0)} MB (peak sampled ${r.wall.heapPeakMB.toFixed(0)} MB)`,
  );
  lines.push('targets:');
  for (const c of checkTargets(r)) lines.push(`  [${c.ok ? 'ok  ' : 'FAIL'}] ${c.name}: ${c.value}`);
  return lines.join('\n');
}
