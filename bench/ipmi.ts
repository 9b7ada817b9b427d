// Wall time of one IPMI status read: in-process (session, Get Chassis Status,
// Close Session), the CLI `dist/agent oob ipmi status`, and ipmitool lanplus as
// a whole process, all against the same ipmi_sim. Runs are interleaved so a
// noisy neighbour hits all contestants alike; we report medians.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { deadlineIn } from '../agent/channels/types.ts';
import { IpmiClient } from '../agent/ipmi/client.ts';
import { startSim } from '../test/ipmi/sim.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const sim = await startSim();
const common = ['-H', sim.host, '-p', String(sim.port), '-U', 'admin'];
const ipmitoolArgv = (suite: number): string[] => ['ipmitool', '-I', 'lanplus', '-C', String(suite), ...common, '-f', sim.passwordFile, 'chassis', 'power', 'status'];
const cliArgv = ['dist/agent', 'oob', 'ipmi', 'status', '--host', sim.host, '--port', String(sim.port), '--user', 'admin', '--password-file', sim.passwordFile];

// NODE_EXTRA_CA_CERTS makes every Node process read and parse that bundle before any
// JavaScript runs (on the build sandbox, where it names the system bundle, `node -e 0`
// takes 50 ms with it and 18 ms without). A fleet node does not set it, so the headline
// runs all processes without it; when it is set here, one more row shows the agent with it.
const extraCa = process.env.NODE_EXTRA_CA_CERTS;
const fieldEnv: NodeJS.ProcessEnv = { ...process.env };
delete fieldEnv.NODE_EXTRA_CA_CERTS;

function timed(argv: string[], env: NodeJS.ProcessEnv = fieldEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0] as string, argv.slice(1), { stdio: 'ignore', env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${argv.slice(0, 4).join(' ')} exited ${r.status}`);
  return ms;
}

async function inProcess(): Promise<number> {
  const t0 = process.hrtime.bigint();
  const c = new IpmiClient({ host: sim.host, port: sim.port, user: 'admin', password: sim.password, allowWeakCiphers: false });
  const r = await c.powerOn(deadlineIn(5000));
  await c.close(deadlineIn(1000));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.ok) throw new Error(`in-process status: ${r.error.code} ${r.error.message}`);
  return ms;
}

// The CLI joins once `make build` produced a dist/agent that has `oob`.
const cliReady = existsSync('dist/agent') && spawnSync(cliArgv[0] as string, cliArgv.slice(1), { stdio: 'ignore' }).status === 0;
const contestants: { name: string; run: () => Promise<number> | number }[] = [
  { name: 'in-process (session + status + close)', run: inProcess },
  ...(cliReady ? [{ name: 'agent oob ipmi status', run: () => timed(cliArgv) }] : []),
  ...(cliReady && extraCa !== undefined ? [{ name: 'agent oob ipmi status, NODE_EXTRA_CA_CERTS set', run: () => timed(cliArgv, process.env) }] : []),
  { name: 'node -e 0 (process)', run: () => timed([process.execPath, '-e', '0']) },
  { name: 'ipmitool -I lanplus -C 3 (process)', run: () => timed(ipmitoolArgv(3)) },
];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

try {
  for (const c of contestants) await c.run(); // warm caches and ipmi_sim
  const wall = new Map<string, number[]>(contestants.map((c) => [c.name, []]));
  for (let i = 0; i < RUNS; i++) for (const c of contestants) wall.get(c.name)?.push(await c.run());

  const tool = median(wall.get('ipmitool -I lanplus -C 3 (process)') ?? []);
  console.log(`ipmi benchmark: ${RUNS} interleaved runs each, medians (node ${process.version}, ${spawnSync('nproc').stdout.toString().trim()} cores, ipmi_sim on 127.0.0.1:${sim.port})`);
  console.log(`processes run without NODE_EXTRA_CA_CERTS${extraCa !== undefined ? ` (set here to ${extraCa}; the row that keeps it shows its cost)` : ''}`);
  const nameWidth = Math.max(...contestants.map((c) => c.name.length)) + 2;
  console.log(`${'contestant'.padEnd(nameWidth)} ${'wall ms'.padStart(8)} ${'x ipmitool'.padStart(11)}`);
  for (const c of contestants) {
    const w = median(wall.get(c.name) ?? []);
    console.log(`${c.name.padEnd(nameWidth)} ${w.toFixed(1).padStart(8)} ${(w / tool).toFixed(2).padStart(11)}`);
  }
  const inproc = median(wall.get('in-process (session + status + close)') ?? []) / tool;
  const line = [`targets: in-process <= 0.50x ipmitool -> ${inproc.toFixed(2)}x ${inproc <= 0.5 ? 'met' : 'MISSED'}`];
  if (cliReady) {
    const cli = median(wall.get('agent oob ipmi status') ?? []) / tool;
    line.push(`CLI <= 2.50x -> ${cli.toFixed(2)}x ${cli <= 2.5 ? 'met' : 'MISSED'}`);
  } else line.push('CLI <= 2.50x -> not measured (no dist/agent with `oob ipmi status`; run `make build`)');
  console.log(line.join('; '));
} finally {
  await sim.stop();
}
