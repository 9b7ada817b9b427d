import test from 'ava';
import { runAgent } from '../helpers/run.ts';
import { parseArgs } from '../../agent/cli/args.ts';
import { UsageError } from '../../agent/cli/exit.ts';

test('--version prints the version and exits 0', async (t) => {
  const r = await runAgent(['--version']);
  t.is(r.code, 0);
  t.regex(r.out, /^agent \d+\.\d+\.\d+\S* \(\S+\) node \d+\.\d+\.\d+\n$/);
  t.is(r.err, '');
});

test('--help lists every command; bare agent prints help and exits 2', async (t) => {
  const r = await runAgent(['--help']);
  t.is(r.code, 0);
  t.regex(r.out, /usage: agent COMMAND/);
  t.regex(r.out, /^\s+report\s+print this machine's out-of-band management capabilities$/m);
  const bare = await runAgent([]);
  t.is(bare.code, 2);
  t.regex(bare.out, /usage: agent COMMAND/);
});

test('COMMAND --help shows usage and flags', async (t) => {
  const r = await runAgent(['report', '--help']);
  t.is(r.code, 0);
  t.regex(r.out, /^usage: agent report \[--json \[--frame\]\] \[--root DIR\]$/m);
  t.regex(r.out, /--root DIR\s+read sys\/, proc\/, dev\/ under DIR/);
  t.regex(r.out, /-h, --help/);
});

test('unknown command: one line on stderr, exit 2', async (t) => {
  const r = await runAgent(['frobnicate']);
  t.is(r.code, 2);
  t.is(r.out, '');
  t.is(r.err, "agent: unknown command 'frobnicate' (see 'agent --help')\n");
});

test('unknown and malformed flags: one line on stderr, exit 2', async (t) => {
  for (const [argv, msg] of [
    [['report', '--jsn'], "agent report: unknown flag --jsn (see 'agent report --help')\n"],
    [['report', '--root'], 'agent report: --root needs a value (DIR)\n'],
    [['report', '--json=yes'], 'agent report: --json takes no value\n'],
    [['report', 'extra'], "agent report: unexpected argument 'extra' (see 'agent report --help')\n"],
    [['--bogus'], "agent: unknown flag --bogus (see 'agent --help')\n"],
  ] as const) {
    const r = await runAgent([...argv]);
    t.is(r.code, 2, argv.join(' '));
    t.is(r.err, msg);
    t.is(r.out, '');
  }
});

test('parseArgs: --flag=value, -h, -- and duplicates', (t) => {
  const specs = [
    { name: 'root', kind: 'string', value: 'DIR', help: '' },
    { name: 'json', kind: 'boolean', short: 'j', help: '' },
  ] as const;
  const p = parseArgs('x', ['--root=/a', '-j', '--', '--json'], [...specs], 1);
  t.is(p.flags.get('root'), '/a');
  t.is(p.flags.get('json'), true);
  t.deepEqual(p.positionals, ['--json']);
  t.throws(() => parseArgs('x', ['--root', 'a', '--root', 'b'], [...specs]), { instanceOf: UsageError, message: 'x: --root given twice' });
});

test('report on a root with nothing to probe exits 1 with one line', async (t) => {
  const r = await runAgent(['report', '--root', '/nonexistent-fortros-root']);
  t.is(r.code, 1);
  t.is(r.err, 'agent report: nothing to probe under /nonexistent-fortros-root (no sys/ or proc/)\n');
});
