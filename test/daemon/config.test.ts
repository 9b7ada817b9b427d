import test from 'ava';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCmdline } from '../../agent/daemon/cmdline.ts';
import { ConfigError, parseConfig } from '../../agent/daemon/config.ts';
import { resolveBootConfig } from '../../agent/daemon/boot-config.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';

test('cmdline: words, key=value, quotes, the last key wins', (t) => {
  const c = parseCmdline('BOOT_IMAGE=/vmlinuz console=ttyS0 quiet fortros.agent=report fortros.note="two words" fortros.agent=run\n');
  t.is(c.get('console'), 'ttyS0');
  t.is(c.get('quiet'), true);
  t.is(c.get('fortros.agent'), 'run');
  t.is(c.get('fortros.note'), 'two words');
  t.is(c.get('absent'), undefined);
  t.deepEqual([...parseCmdline('= =x "" a').keys()], ['a']);
});

test('cmdline fuzz: never throws, keys are never empty, plain key=value words round-trip', (t) => {
  fc.assert(fc.property(fc.string(), (s) => [...parseCmdline(s).keys()].every((k) => k.length > 0)));
  const word = fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/);
  fc.assert(
    fc.property(fc.dictionary(word, word), (d) => {
      const parsed = parseCmdline(Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' '));
      return Object.entries(d).every(([k, v]) => parsed.get(k) === v) && parsed.size === Object.keys(d).length;
    }),
  );
  t.pass();
});

test('config: node.name is required and must be a DNS label', (t) => {
  t.deepEqual(parseConfig('{"node":{"name":"node-1"}}', 'f'), { node: { name: 'node-1' }, watchdog: null });
  for (const [text, msg] of [
    ['', /not JSON/],
    ['[]', /top level must be an object/],
    ['{}', /node must be an object/],
    ['{"node":{"name":"-bad"}}', /DNS label/],
    ['{"node":{"name":"a b"}}', /DNS label/],
    ['{"node":{"name":"x"},"gosip":{}}', /unknown key gosip/],
    ['{"node":{"name":"x","nmae":1}}', /unknown key node\.nmae/],
  ] as const) {
    const e = t.throws(() => parseConfig(text, 'cfg.json'), { instanceOf: ConfigError });
    t.regex(e?.message ?? '', msg);
    t.true(e?.message.startsWith('cfg.json: '));
  }
});

test('config fuzz: any text is a config or a ConfigError', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (s) => {
      try {
        return typeof parseConfig(s, 'f').node.name === 'string';
      } catch (e) {
        return e instanceof ConfigError;
      }
    }),
  );
  t.pass();
});

function tree(files: Record<string, string>): SysRoot {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bootcfg-'));
  for (const [p, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), body);
  }
  return new SysRoot(root);
}

test('boot config: fortros.config=PATH wins over fw_cfg', (t) => {
  const sys = tree({
    'proc/cmdline': 'console=ttyS0 fortros.agent=run fortros.config=/etc/fortros/agent.json\n',
    'etc/fortros/agent.json': '{"node":{"name":"from-image"}}',
    'sys/firmware/qemu_fw_cfg/by_name/opt/fortros/config/raw': '{"node":{"name":"from-fwcfg"}}',
  });
  const r = resolveBootConfig(sys);
  t.is(r.source, 'fortros.config=/etc/fortros/agent.json');
  t.is(parseConfig(r.text, r.source).node.name, 'from-image');
});

test('boot config: fw_cfg opt/fortros/config when the command line names none', (t) => {
  const sys = tree({ 'proc/cmdline': 'fortros.agent=run\n', 'sys/firmware/qemu_fw_cfg/by_name/opt/fortros/config/raw': '{"node":{"name":"fw"}}' });
  const r = resolveBootConfig(sys);
  t.is(r.source, 'fw_cfg opt/fortros/config');
  t.is(parseConfig(r.text, r.source).node.name, 'fw');
});

test('boot config: none, or a named file that is missing, is a ConfigError saying where it looked', (t) => {
  t.throws(() => resolveBootConfig(tree({ 'proc/cmdline': 'fortros.agent=run\n' })), { instanceOf: ConfigError, message: /neither fortros\.config= .* nor fw_cfg/ });
  t.throws(() => resolveBootConfig(tree({ 'proc/cmdline': 'fortros.config=/missing.json\n' })), { instanceOf: ConfigError, message: /fortros\.config=\/missing\.json/ });
});

test('config: node.name and watchdog alone run; defaults fill the rest', (t) => {
  const c = parseConfig('{"node":{"name":"n"},"watchdog":{"timeoutSec":30}}', 'f');
  t.deepEqual(c.watchdog, {
    enabled: true,
    device: 'auto',
    timeoutSec: 30,
    pretimeoutSec: 0,
    handoverSec: 300,
    closeOnShutdown: false,
    maxLoopLagMs: 2000,
    checkIntervalSec: 10,
    checks: [],
    stageDeadlinesSec: {},
  });
  t.is(parseConfig('{"node":{"name":"n"}}', 'f').watchdog, null);
});

test('config: watchdog checks and stage deadlines parse; mistakes name the key', (t) => {
  const c = parseConfig(
    JSON.stringify({
      node: { name: 'n' },
      watchdog: {
        device: '/dev/watchdog1',
        checks: [{ kind: 'file', path: '/run/ok' }, { kind: 'command', argv: ['/bin/true'] }, { kind: 'socket', path: '/run/s.sock', timeoutSec: 2 }],
        stageDeadlinesSec: { probe: 20, kexec: 5 },
      },
    }),
    'f',
  );
  t.deepEqual(c.watchdog?.checks, [
    { kind: 'file', path: '/run/ok' },
    { kind: 'command', argv: ['/bin/true'], timeoutSec: 5 },
    { kind: 'socket', path: '/run/s.sock', timeoutSec: 2 },
  ]);
  t.deepEqual(c.watchdog?.stageDeadlinesSec, { probe: 20, kexec: 5 });
  for (const [w, msg] of [
    [{ timeoutSec: 0 }, /watchdog\.timeoutSec must be a number from 1 to 3600/],
    [{ timeoutSec: 2.5 }, /whole number/],
    [{ timeoutSec: 10, pretimeoutSec: 10 }, /pretimeoutSec must be a number from 0 to 9/],
    [{ device: '/etc/passwd' }, /watchdog\.device/],
    [{ checks: [{ kind: 'command', argv: ['true'] }] }, /argv must be a list of strings starting with an absolute path/],
    [{ checks: [{ kind: 'shell', path: '/x' }] }, /kind must be file, command or socket/],
    [{ stageDeadlinesSec: { boot: 3 } }, /unknown key watchdog\.stageDeadlinesSec\.boot/],
    [{ timeout: 3 }, /unknown key watchdog\.timeout /],
  ] as const) {
    const e = t.throws(() => parseConfig(JSON.stringify({ node: { name: 'n' }, watchdog: w }), 'f'), { instanceOf: ConfigError });
    t.regex(e?.message ?? '', msg);
  }
});
