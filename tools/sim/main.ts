// CLI: node --import tsx tools/sim/main.ts --nodes 1000 --loss 0.05 --duration 3600 --kills 20 --seed 1 [--json]
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { checkTargets, formatReport } from './report.ts';
import { DEFAULT_SCENARIO, runScenario, type PartitionSpec, type ScenarioOptions } from './scenario.ts';
import { swimFactory } from './swim-core.ts';

const USAGE = `usage: main.ts [--nodes N] [--loss P] [--duration S] [--kills K] [--seed X]
  [--latency-ms MS] [--jitter-ms MS] [--restart S] [--joins J] [--seeds S] [--join-spread S] [--warm]
  [--converge-cap S] [--settle S] [--liar] [--slow N] [--slow-ms MS]
  [--one-way A,B]... [--partition FRACTION@FROM-UNTIL]... [--heap-limit-mb MB] [--progress S] [--json]`;

function num(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0) throw new Error(`--${name}: not a non-negative number: ${v}`);
  return x;
}

function parse(argv: string[]): { opts: ScenarioOptions; json: boolean; progressS: number } {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      loss: { type: 'string' },
      duration: { type: 'string' },
      kills: { type: 'string' },
      seed: { type: 'string' },
      'latency-ms': { type: 'string' },
      'jitter-ms': { type: 'string' },
      restart: { type: 'string' },
      joins: { type: 'string' },
      seeds: { type: 'string' },
      'join-spread': { type: 'string' },
      warm: { type: 'boolean' },
      'converge-cap': { type: 'string' },
      settle: { type: 'string' },
      liar: { type: 'boolean' },
      slow: { type: 'string' },
      'slow-ms': { type: 'string' },
      'one-way': { type: 'string', multiple: true },
      partition: { type: 'string', multiple: true },
      'heap-limit-mb': { type: 'string' },
      progress: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const d = DEFAULT_SCENARIO;
  const oneWay = (values['one-way'] ?? []).map((s): [number, number] => {
    const m = /^(\d+),(\d+)$/.exec(s);
    if (m === null) throw new Error(`--one-way: want A,B (node indices): ${s}`);
    return [Number(m[1]), Number(m[2])];
  });
  const partitions = (values.partition ?? []).map((s): PartitionSpec => {
    const m = /^([0-9.]+)@([0-9.]+)-([0-9.]+)$/.exec(s);
    if (m === null) throw new Error(`--partition: want FRACTION@FROM-UNTIL (seconds into the window): ${s}`);
    const p = { fraction: Number(m[1]), fromS: Number(m[2]), untilS: Number(m[3]) };
    if (!(p.fraction > 0 && p.fraction < 1 && p.untilS > p.fromS)) throw new Error(`--partition: fraction in (0,1) and FROM < UNTIL: ${s}`);
    return p;
  });
  const opts: ScenarioOptions = {
    ...d,
    nodes: Math.floor(num(values.nodes, 'nodes', d.nodes)),
    seed: Math.floor(num(values.seed, 'seed', d.seed)),
    durationS: num(values.duration, 'duration', d.durationS),
    kills: Math.floor(num(values.kills, 'kills', d.kills)),
    restartAfterS: values.restart === undefined ? null : num(values.restart, 'restart', 0),
    joins: Math.floor(num(values.joins, 'joins', d.joins)),
    seeds: Math.floor(num(values.seeds, 'seeds', d.seeds)),
    joinSpreadS: num(values['join-spread'], 'join-spread', d.joinSpreadS),
    warm: values.warm === true,
    convergeCapS: num(values['converge-cap'], 'converge-cap', d.convergeCapS),
    settleS: num(values.settle, 'settle', d.settleS),
    liar: values.liar === true,
    slow: Math.floor(num(values.slow, 'slow', d.slow)),
    slowMs: num(values['slow-ms'], 'slow-ms', d.slowMs),
    oneWay,
    partitions,
    // Default: stop at 85 % of V8's heap limit, so a run too big for this machine reports instead of crashing.
    heapLimitMB: num(values['heap-limit-mb'], 'heap-limit-mb', Math.floor((getHeapStatistics().heap_size_limit / 2 ** 20) * 0.85)),
    network: {
      loss: num(values.loss, 'loss', 0),
      latencyMs: num(values['latency-ms'], 'latency-ms', 1),
      jitterMs: num(values['jitter-ms'], 'jitter-ms', 1),
    },
  };
  if (opts.network.loss !== undefined && opts.network.loss > 1) throw new Error('--loss is a fraction in [0, 1]');
  return { opts, json: values.json === true, progressS: num(values.progress, 'progress', 0) };
}

function main(): void {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  let report: ReturnType<typeof runScenario>;
  try {
    const progress = parsed.progressS > 0 ? { everyS: parsed.progressS, report: (l: string) => void process.stderr.write(`${l}\n`) } : null;
    report = runScenario(parsed.opts, swimFactory(), progress);
  } catch (e) {
    // Options the scenario cannot honour (a cut to a node that does not exist, too few nodes for a liar).
    if (!(e instanceof RangeError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  if (parsed.json) process.stdout.write(`${JSON.stringify({ ...report, targets: checkTargets(report) }, jsonSafe, 2)}\n`);
  else process.stdout.write(`${formatReport(report)}\n`);
}

/** NaN (an empty sample) becomes null so the JSON stays parseable. */
function jsonSafe(_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

main();
