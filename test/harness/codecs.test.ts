// The harness's pure pieces: QMP line parsing, ipmi_sim configuration text,
// the initramfs cpio writer, module ordering.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { newcArchive } from '../../tools/qemu/guest/cpio.ts';
import { loadOrder, parseModulesDep } from '../../tools/qemu/guest/modules.ts';
import { confString, lanConf, shellQuote } from '../../tools/qemu/ipmi-sim-config.ts';
import { encodeCommand, LineSplitter, MAX_LINE, parseQmpLine } from '../../tools/qemu/qmp-protocol.ts';

test('QMP: greeting, return, error and event lines', (t) => {
  const g = parseQmpLine('{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}');
  t.deepEqual(g, { ok: true, value: { kind: 'greeting', version: '7.2.22', capabilities: ['oob'] } });
  t.deepEqual(parseQmpLine('{"return": {"status": "running", "running": true}, "id": "fortros-2"}'), {
    ok: true,
    value: { kind: 'return', id: 'fortros-2', value: { status: 'running', running: true } },
  });
  t.deepEqual(parseQmpLine('{"id": "fortros-3", "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}'), {
    ok: true,
    value: { kind: 'error', id: 'fortros-3', errorClass: 'CommandNotFound', desc: 'The command nope has not been found' },
  });
  t.deepEqual(parseQmpLine('{"timestamp": {"seconds": 1700000000, "microseconds": 5}, "event": "WATCHDOG", "data": {"action": "reset"}}'), {
    ok: true,
    value: { kind: 'event', event: { event: 'WATCHDOG', data: { action: 'reset' }, timestampUs: 1700000000000005 } },
  });
  t.like(parseQmpLine('{"return": {}}'), { ok: true, value: { kind: 'return', id: null } });
});

test('QMP: garbage is a MALFORMED result, never a throw', (t) => {
  for (const line of ['', 'nope', '[]', '42', '{"foo": 1}', '{"event": 3}']) t.like(parseQmpLine(line), { ok: false, error: { code: 'MALFORMED' } });
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (s) => {
      const r = parseQmpLine(s);
      return r.ok ? ['greeting', 'return', 'error', 'event'].includes(r.value.kind) : r.error.code === 'MALFORMED';
    }),
    { numRuns: 500 },
  );
});

test('QMP: commands carry their id and arguments on one line', (t) => {
  t.is(encodeCommand('fortros-1', 'qmp_capabilities'), '{"execute":"qmp_capabilities","id":"fortros-1"}\n');
  t.is(encodeCommand('x', 'system_reset', { a: 'b\nc' }), '{"execute":"system_reset","arguments":{"a":"b\\nc"},"id":"x"}\n');
});

test('LineSplitter: lines split across chunks and several per chunk; CRLF tolerated', (t) => {
  const s = new LineSplitter();
  t.deepEqual(s.push(Buffer.from('{"a"')).lines, []);
  t.deepEqual(s.push(Buffer.from(':1}\r\n{"b":2}\n{"c"')).lines, ['{"a":1}', '{"b":2}']);
  t.deepEqual(s.push(Buffer.from(':3}\n')).lines, ['{"c":3}']);
});

test('LineSplitter: an endless line is dropped whole and the stream recovers', (t) => {
  const s = new LineSplitter();
  const big = Buffer.alloc(MAX_LINE + 10, 0x61);
  const r1 = s.push(big);
  t.deepEqual(r1, { lines: [], overflow: true });
  t.deepEqual(s.push(Buffer.from('tail of the long line\n{"ok":1}\n')).lines, ['{"ok":1}']);
});

test('LineSplitter: any chunking of a stream gives the same lines', (t) => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary-ascii' }).map((x) => x.replaceAll('\n', '')), { maxLength: 20 }), fc.array(fc.nat(50), { maxLength: 30 }), (lines, cuts) => {
      const all = Buffer.from(lines.map((l) => `${l}\n`).join(''));
      const s = new LineSplitter();
      const got: string[] = [];
      let at = 0;
      for (const c of cuts) {
        got.push(...s.push(all.subarray(at, at + c)).lines);
        at = Math.min(all.length, at + c);
      }
      got.push(...s.push(all.subarray(at)).lines);
      return JSON.stringify(got) === JSON.stringify(lines.map((l) => l.replace(/\r$/, '')));
    }),
  );
  t.pass();
});

test('lan.conf strings: double quotes travel inside single-quoted runs', (t) => {
  t.is(confString('plain'), '"plain"');
  t.is(confString('say "hi"'), `"say "'"'"hi"'"'""`);
  t.throws(() => confString('a\nb'));
  t.is(shellQuote(['qemu', '-append', "console=ttyS0 it's", 'a,b=c']), `qemu -append 'console=ttyS0 it'\\''s' a,b=c`);
});

test('lan.conf: LAN channel on loopback, VM codec, startcmd, one admin user, no anonymous user', (t) => {
  const conf = lanConf({
    name: 'bmc-0',
    lan: { address: '127.0.0.1', port: 40623 },
    vmPort: 40002,
    user: 'fortros-test',
    password: '0123456789abcdef',
    guid: 'a123456789abcdefa123456789abcdef',
    startcmd: 'setpriv --pdeathsig KILL -- qemu-system-x86_64 -name "x"',
    poweroffWaitS: 5,
    killWaitS: 5,
  });
  const lines = conf.split('\n').map((l) => l.trim());
  t.true(lines.includes('addr 127.0.0.1 40623'));
  t.true(lines.includes('serial 15 127.0.0.1 40002 codec VM'));
  t.true(lines.includes(`startcmd "setpriv --pdeathsig KILL -- qemu-system-x86_64 -name "'"'"x"'"'""`));
  t.true(lines.includes('startnow true'));
  t.true(lines.includes('user 2 true "fortros-test" "0123456789abcdef" admin 4'));
  t.false(lines.some((l) => l.startsWith('user 1 ')));
  t.throws(() => lanConf({ name: 'x', lan: { address: '127.0.0.1', port: 1 }, vmPort: 1, user: 'u', password: 'p'.repeat(21), guid: '0'.repeat(32), startcmd: 'q', poweroffWaitS: 1, killWaitS: 1 }));
});

test('cpio newc: GNU cpio unpacks what the writer wrote', (t) => {
  try {
    execFileSync('cpio', ['--version'], { stdio: 'ignore' });
  } catch {
    t.log('skipped: cpio is not installed');
    t.pass();
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'cpio-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const odd = Buffer.from([0, 1, 2, 0xff, 0x0a]);
  const archive = newcArchive([
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: 'bin/tool', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
    { kind: 'file', path: 'odd', data: odd },
    { kind: 'symlink', path: 'sh', target: 'bin/tool' },
  ]);
  t.is(archive.length % 4, 0);
  writeFileSync(join(dir, 'a.cpio'), archive);
  execFileSync('sh', ['-c', 'mkdir out && cd out && cpio -id --quiet < ../a.cpio'], { cwd: dir });
  t.is(readFileSync(join(dir, 'out/bin/tool'), 'utf8'), '#!/bin/sh\n');
  t.is(statSync(join(dir, 'out/bin/tool')).mode & 0o777, 0o755);
  t.deepEqual(readFileSync(join(dir, 'out/odd')), odd);
  t.is(readlinkSync(join(dir, 'out/sh')), 'bin/tool');
  t.throws(() => newcArchive([{ kind: 'dir', path: '../x' }]));
});

test('module load order: dependencies first, each once, missing ones named', (t) => {
  const deps = parseModulesDep(
    [
      'kernel/drivers/watchdog/i6300esb.ko: kernel/drivers/watchdog/watchdog.ko',
      'kernel/drivers/watchdog/watchdog.ko:',
      'kernel/drivers/char/ipmi/ipmi_si.ko: kernel/drivers/char/ipmi/ipmi_msghandler.ko',
      'kernel/drivers/char/ipmi/ipmi_devintf.ko: kernel/drivers/char/ipmi/ipmi_msghandler.ko',
      'kernel/drivers/char/ipmi/ipmi_msghandler.ko:',
    ].join('\n'),
  );
  t.deepEqual(
    loadOrder(deps, ['i6300esb', 'ipmi_si', 'ipmi_devintf']).map((p) => p.slice(p.lastIndexOf('/') + 1)),
    ['watchdog.ko', 'i6300esb.ko', 'ipmi_msghandler.ko', 'ipmi_si.ko', 'ipmi_devintf.ko'],
  );
  t.throws(() => loadOrder(deps, ['e1000']), { message: /e1000/ });
});
