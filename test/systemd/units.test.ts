// The units as systemd itself reads them: `systemd-analyze verify` for syntax
// and references, `systemd-analyze security --offline` for the main unit's
// hardening, measured rather than asserted by eye.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const has = spawnSync('systemd-analyze', ['--version']).status === 0;

/** Copies units to a temp dir with /usr/bin/agent pointing at an existing binary, as verify checks ExecStart. */
function staged(files: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'units-'));
  for (const f of files) fs.writeFileSync(path.join(dir, path.basename(f)), fs.readFileSync(f, 'utf8').replaceAll('/usr/bin/agent', '/bin/true'));
  return dir;
}

const analyze = (args: string[]) => spawnSync('systemd-analyze', args, { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' }, timeout: 30_000 });

test('every unit passes systemd-analyze verify', (t) => {
  if (!has) return t.fail('systemd-analyze missing (Debian package systemd)');
  const preboot = fs.readdirSync('systemd/preboot').map((f) => path.join('systemd/preboot', f));
  const dir = staged([...preboot, 'systemd/fortros-agent.service']);
  for (const unit of fs.readdirSync(dir)) {
    const r = analyze(['verify', path.join(dir, unit)]);
    t.is(r.status, 0, `${unit}: ${r.stderr}`);
    t.is(r.stderr.trim(), '', unit);
  }
});

test('main unit: Type=notify with WatchdogSec, and an exposure level of at most 3.0 (OK)', (t) => {
  if (!has) return t.fail('systemd-analyze missing (Debian package systemd)');
  const text = fs.readFileSync('systemd/fortros-agent.service', 'utf8');
  t.regex(text, /^Type=notify$/m);
  t.regex(text, /^WatchdogSec=\d+/m);
  t.regex(text, /^NoNewPrivileges=yes$/m);
  t.regex(text, /^ProtectSystem=strict$/m);
  t.regex(text, /^CapabilityBoundingSet=/m);
  const dir = staged(['systemd/fortros-agent.service']);
  const r = analyze(['security', '--offline=true', path.join(dir, 'fortros-agent.service')]);
  const m = /Overall exposure level for fortros-agent\.service: (\d+\.\d+)/.exec(r.stdout);
  t.truthy(m, r.stdout + r.stderr);
  t.true(Number(m?.[1]) <= 3.0, `exposure ${m?.[1]}`);
});

test('preboot units: each agent mode is selected by the kernel command line', (t) => {
  const read = (f: string) => fs.readFileSync(path.join('systemd/preboot', f), 'utf8');
  t.regex(read('fortros-report.service'), /^ConditionKernelCommandLine=fortros\.agent=report$/m);
  t.regex(read('fortros-report.service'), /^ExecStart=\/usr\/bin\/agent report --json --frame$/m);
  t.regex(read('fortros-report.service'), /^SuccessAction=poweroff-force$/m);
  t.regex(read('fortros-agent-preboot.service'), /^ConditionKernelCommandLine=fortros\.agent=run$/m);
  t.regex(read('fortros-agent-preboot.service'), /^Type=notify$/m);
  t.regex(read('fortros-debug-shell.service'), /^ConditionKernelCommandLine=fortros\.debug=shell$/m);
  const target = read('fortros-preboot.target');
  for (const u of ['fortros-report.service', 'fortros-agent-preboot.service', 'fortros-debug-shell.service']) t.true(target.includes(u), u);
});
