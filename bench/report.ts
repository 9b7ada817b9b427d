// Wall time and peak RSS of `dist/agent report --json` against bare node and
// dmidecode + lspci. Runs are interleaved so that a noisy neighbour hits all
// contestants alike; we report medians. Peak RSS comes from GNU time (%M, KiB).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const TIME = '/usr/bin/time';
if (!existsSync(TIME)) {
  console.error('bench: /usr/bin/time missing (apt-get install time, or make deps)');
  process.exit(3);
}
const which = (cmd: string): string => spawnSync('sh', ['-c', `command -v ${cmd}`]).stdout.toString().trim();
const node = process.execPath;

const fixture = 'test/fixtures/vpro-desktop';
const tmp = mkdtempSync(join(tmpdir(), 'bench-report-'));
// dmidecode cannot take a root directory, only a dump file: build one from the fixture.
let fixtureDump: string | null = null;
if (existsSync(`${fixture}/sys/firmware/dmi/tables/DMI`)) {
  const { dmiDump } = await import('../tools/smbios/build.ts');
  fixtureDump = join(tmp, 'vpro.dump');
  writeFileSync(fixtureDump, dmiDump(readFileSync(`${fixture}/sys/firmware/dmi/tables/smbios_entry_point`), readFileSync(`${fixture}/sys/firmware/dmi/tables/DMI`)));
}

const dmidecode = which('dmidecode');
const lspci = which('lspci');
const contestants = [
  { name: 'agent report --json', argv: ['dist/agent', 'report', '--json'] },
  { name: 'node -e 0', argv: [node, '-e', '0'] },
  ...(dmidecode && lspci ? [{ name: 'dmidecode + lspci -vmm', argv: ['sh', '-c', `${dmidecode} >/dev/null 2>&1; ${lspci} -vmm -k >/dev/null 2>&1`] }] : []),
  { name: `agent report --json --root ${fixture}`, argv: ['dist/agent', 'report', '--json', '--root', fixture] },
  ...(dmidecode && fixtureDump ? [{ name: 'dmidecode --from-dump (same fixture)', argv: [dmidecode, '--from-dump', fixtureDump] }] : []),
];

function once(argv: string[]): { wallMs: number; rssKiB: number } {
  const r = spawnSync(TIME, ['-f', '%e %M', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = r.stderr.toString().trim().split('\n');
  const [wall = NaN, rss = NaN] = (lines.at(-1) ?? '').split(' ').map(Number);
  return { wallMs: wall * 1000, rssKiB: rss };
}
// GNU time's %e has 10 ms resolution; time the spawn ourselves for wall time.
function timed(argv: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0] as string, argv.slice(1), { stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  return ms;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

for (const c of contestants) timed(c.argv); // warm the page cache
const wall = new Map<string, number[]>(contestants.map((c) => [c.name, []]));
const rss = new Map<string, number[]>(contestants.map((c) => [c.name, []]));
const get = (m: Map<string, number[]>, k: string): number[] => m.get(k) ?? [];
for (let i = 0; i < RUNS; i++) {
  for (const c of contestants) {
    get(wall, c.name).push(timed(c.argv));
    if (i < 5) get(rss, c.name).push(once(c.argv).rssKiB);
  }
}

const floor = median(get(wall, 'node -e 0'));
console.log(`report benchmark: ${RUNS} interleaved runs each, medians (node ${process.version}, ${spawnSync('nproc').stdout.toString().trim()} cores)`);
const nameWidth = Math.max(...contestants.map((c) => c.name.length)) + 2;
console.log(`${'command'.padEnd(nameWidth)} ${'wall ms'.padStart(8)} ${'x node'.padStart(7)} ${'peak RSS MiB'.padStart(13)}`);
for (const c of contestants) {
  const w = median(get(wall, c.name));
  const m = Math.max(...get(rss, c.name)) / 1024;
  console.log(`${c.name.padEnd(nameWidth)} ${w.toFixed(1).padStart(8)} ${(w / floor).toFixed(2).padStart(7)} ${m.toFixed(1).padStart(13)}`);
}
const agentWall = median(get(wall, 'agent report --json')) / floor;
const agentRss = Math.max(...get(rss, 'agent report --json'), ...get(rss, `agent report --json --root ${fixture}`)) / 1024;
console.log(`targets: wall <= 1.60x node -> ${agentWall.toFixed(2)}x ${agentWall <= 1.6 ? 'met' : 'MISSED'}; peak RSS <= 70 MiB -> ${agentRss.toFixed(1)} MiB ${agentRss <= 70 ? 'met' : 'MISSED'}`);
