// processIo writes straight to the descriptors (agent/cli/io.ts): every byte must
// arrive in order through a pipe that fills up, and a reader that goes away must
// not crash the command.
import { spawn } from 'node:child_process';
import test from 'ava';

const SCRIPT = `
import { processIo } from './agent/cli/io.ts';
const io = processIo();
const n = Number(process.argv.at(-1));
for (let i = 0; i < n; i++) io.out(String(i).padStart(8, '0') + '\\n');
io.err('done\\n');
`;

function runWriter(lines: number, readStdout: boolean): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, String(lines)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    if (readStdout) p.stdout.on('data', (b: Buffer) => out.push(b));
    else p.stdout.destroy();
    p.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() });
    });
  });
}

test('every line arrives, in order, through a pipe far larger than its buffer', async (t) => {
  const lines = 200_000; // 1.8 MB against a 64 KiB pipe
  const r = await runWriter(lines, true);
  t.is(r.code, 0, r.err);
  const got = r.out.split('\n');
  t.is(got.length, lines + 1);
  t.is(got[0], '00000000');
  t.is(got[lines - 1], String(lines - 1).padStart(8, '0'));
  t.true(got.slice(0, lines).every((l, i) => Number(l) === i));
  t.is(r.err, 'done\n');
});

test('a reader that closed the pipe: no crash, the rest of the command runs', async (t) => {
  const r = await runWriter(50_000, false);
  t.is(r.code, 0, r.err);
  t.is(r.err, 'done\n');
});
