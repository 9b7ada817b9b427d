import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCmdline } from '../../agent/daemon/cmdline.ts';
import { ConfigError, controlSocketPath, formatHostPort, orgKeyPath, parseConfig, parseHostPort } from '../../agent/daemon/config.ts';
import { DEFAULT_CONFIG } from '../../agent/gossip/types.ts';
import { NODE_FILES } from '../../agent/identity/store.ts';
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
  t.deepEqual(parseConfig('{"node":{"name":"node-1"}}', 'f'), {
    node: { name: 'node-1', identityDir: null },
    watchdog: null,
    gossip: null,
    control: { socket: null },
    state: { dir: null },
    heal: {
      enabled: false,
      wakeTarget: { host: '255.255.255.255', port: 9 },
      recoveryKey: null,
      healers: [],
      gateway: null,
      watchdogGraceSec: 0,
      actionBudgetSec: 60,
      rejoinTimeoutSec: 600,
      settleSec: 10,
      stableSec: 2,
      forgetSec: 3600,
      backoffSec: [0, 60, 300, 1800],
      backoffResetSec: 7200,
    },
  });
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

const ID = '/var/lib/fortros/identity';
const withGossip = (gossip: object, node: object = { name: 'n', identityDir: ID }): string => JSON.stringify({ node, gossip });

function configError(t: ExecutionContext, text: string, msg: RegExp): void {
  const e = t.throws(() => parseConfig(text, 'cfg.json'), { instanceOf: ConfigError });
  t.regex(e?.message ?? '', msg, text);
}

test('host:port: IPv4 and bracketed IPv6 only, port 1-65535, IPv6 in its shortest form', (t) => {
  t.deepEqual(parseHostPort('127.0.0.1:7946'), { host: '127.0.0.1', port: 7946 });
  t.deepEqual(parseHostPort('[::1]:1'), { host: '::1', port: 1 });
  t.deepEqual(parseHostPort('[2001:DB8:0:0::1]:65535'), { host: '2001:db8::1', port: 65535 });
  for (const bad of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:+80', '127.0.0.1:7946x', 'localhost:7946', '::1:7946', '[127.0.0.1]:7946', '[fe80::1%eth0]:7946', '[::1]', '256.0.0.1:1', ' 127.0.0.1:1', '127.0.0.1:123456', '']) {
    t.is(parseHostPort(bad), null, bad);
  }
  t.is(formatHostPort('::1', 7946), '[::1]:7946');
  t.is(formatHostPort('10.0.0.2', 7946), '10.0.0.2:7946');
});

test('host:port fuzz: never throws; what parses formats back to text that parses the same', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.ipV4().map((h) => `${h}:7946`), fc.ipV6().map((h) => `[${h}]:7946`)), (s) => {
      const p = parseHostPort(s);
      return p === null || (p.port >= 1 && p.port <= 65535 && JSON.stringify(parseHostPort(formatHostPort(p.host, p.port))) === JSON.stringify(p));
    }),
  );
  t.true(fc.sample(fc.ipV6(), 50).every((h) => parseHostPort(`[${h}]:1`) !== null));
  t.pass();
});

test('config: gossip with defaults from the core, node.identityDir, control, state, heal', (t) => {
  const c = parseConfig(
    JSON.stringify({ node: { name: 'n1', identityDir: ID }, gossip: { bind: '127.0.0.1:7946', seeds: ['127.0.0.2:7946', '[0::1]:7000'] }, state: { dir: '/var/lib/fortros/n1' }, heal: { enabled: true } }),
    'f',
  );
  t.deepEqual(c.node, { name: 'n1', identityDir: ID });
  t.deepEqual(c.gossip, {
    bind: '127.0.0.1:7946',
    advertise: null,
    seeds: ['127.0.0.2:7946', '[::1]:7000'],
    orgKey: null,
    deathQuorum: DEFAULT_CONFIG.deathQuorum,
    probeIntervalMs: DEFAULT_CONFIG.probeIntervalMs,
    probeTimeoutMs: DEFAULT_CONFIG.probeTimeoutMs,
    suspicionMult: DEFAULT_CONFIG.suspicionMult,
    gossipIntervalMs: DEFAULT_CONFIG.gossipIntervalMs,
    pushPullIntervalMs: DEFAULT_CONFIG.pushPullIntervalMs,
    indirectChecks: DEFAULT_CONFIG.indirectChecks,
  });
  t.is(c.gossip?.deathQuorum, 2);
  t.deepEqual(c.state, { dir: '/var/lib/fortros/n1' });
  t.true(c.heal.enabled);
  t.deepEqual(parseConfig(JSON.stringify({ node: { name: 'n' }, heal: { wakeTarget: '[fe80::1%eth0]:7' } }), 'x.json').heal.wakeTarget, { host: 'fe80::1%eth0', port: 7 });
  t.is(orgKeyPath(c), `${ID}/${NODE_FILES.orgPublicKey}`, 'where enroll puts the org key copy');
  const tuned = parseConfig(
    withGossip({ bind: '0.0.0.0:7946', advertise: '[2001:db8::5]:7946', orgKey: '/etc/fortros/org.pub', deathQuorum: 3, probeIntervalMs: 1000, probeTimeoutMs: 400, suspicionMult: 5, gossipIntervalMs: 100, pushPullIntervalMs: 60000, indirectChecks: 0 }),
    'f',
  ).gossip;
  t.like(tuned, { bind: '0.0.0.0:7946', advertise: '[2001:db8::5]:7946', orgKey: '/etc/fortros/org.pub', deathQuorum: 3, probeIntervalMs: 1000, probeTimeoutMs: 400, suspicionMult: 5, gossipIntervalMs: 100, pushPullIntervalMs: 60000, indirectChecks: 0 });
  t.is(orgKeyPath({ node: { name: 'n', identityDir: ID }, gossip: tuned ?? null }), '/etc/fortros/org.pub');
  t.is(orgKeyPath(parseConfig('{"node":{"name":"n"}}', 'f')), null);
  // A short probe interval pulls the default timeout below it rather than failing.
  t.is(parseConfig(withGossip({ bind: '127.0.0.1:1', probeIntervalMs: 100 }), 'f').gossip?.probeTimeoutMs, 99);
});

test('config: control socket is the configured one, else in state.dir, else /run/fortros/agent.sock', (t) => {
  t.is(controlSocketPath(parseConfig('{"node":{"name":"n"}}', 'f')), '/run/fortros/agent.sock');
  t.is(controlSocketPath(parseConfig('{"node":{"name":"n"},"state":{"dir":"/var/lib/a1"}}', 'f')), '/var/lib/a1/control.sock');
  t.is(controlSocketPath(parseConfig('{"node":{"name":"n"},"state":{"dir":"/var/lib/a1"},"control":{"socket":"/run/a1.sock"}}', 'f')), '/run/a1.sock');
  t.is(parseConfig('{"node":{"name":"n"},"control":{"socket":null}}', 'f').control.socket, null);
});

test('config: gossip, control, state and heal mistakes name the key', (t) => {
  for (const [text, msg] of [
    [withGossip({ bind: '127.0.0.1:7946' }, { name: 'n' }), /gossip needs node\.identityDir/],
    [withGossip({ bind: '127.0.0.1:7946' }, { name: 'n', identityDir: 'relative/dir' }), /node\.identityDir must be an absolute path/],
    [withGossip({}), /gossip\.bind must be "IPv4:port" or "\[IPv6\]:port"/],
    [withGossip({ bind: 'localhost:7946' }), /gossip\.bind must be/],
    [withGossip({ bind: '127.0.0.1:0' }), /port from 1 to 65535/],
    [withGossip({ bind: '0.0.0.0:7946' }), /gossip\.advertise is required when gossip\.bind is the wildcard 0\.0\.0\.0/],
    [withGossip({ bind: '[::]:7946', advertise: '[::]:7946' }), /gossip\.advertise must be an address peers can reach/],
    [withGossip({ bind: '127.0.0.1:1', seeds: '127.0.0.2:1' }), /gossip\.seeds must be a list/],
    [withGossip({ bind: '127.0.0.1:1', seeds: ['127.0.0.2:1', 'x:1'] }), /gossip\.seeds\[1\] must be/],
    [withGossip({ bind: '127.0.0.1:1', seeds: Array.from({ length: 257 }, () => '127.0.0.2:1') }), /at most 256/],
    [withGossip({ bind: '127.0.0.1:1', orgKey: 'org.pub' }), /gossip\.orgKey must be an absolute path/],
    [withGossip({ bind: '127.0.0.1:1', deathQuorum: 0 }), /gossip\.deathQuorum must be a whole number from 1 to 1000/],
    [withGossip({ bind: '127.0.0.1:1', deathQuorum: 2.5 }), /gossip\.deathQuorum/],
    [withGossip({ bind: '127.0.0.1:1', probeIntervalMs: 10 }), /gossip\.probeIntervalMs must be a whole number from 50 to 60000/],
    [withGossip({ bind: '127.0.0.1:1', probeIntervalMs: 500, probeTimeoutMs: 500 }), /gossip\.probeTimeoutMs must be a whole number from 10 to 499/],
    [withGossip({ bind: '127.0.0.1:1', indirectChecks: null }), /gossip\.indirectChecks/],
    [withGossip({ bind: '127.0.0.1:1', probeInterval: 100 }), /unknown key gossip\.probeInterval \(known: gossip\.bind/],
    [JSON.stringify({ node: { name: 'n' }, gossip: [] }), /gossip must be an object/],
    [JSON.stringify({ node: { name: 'n' }, control: { path: '/x' } }), /unknown key control\.path/],
    [JSON.stringify({ node: { name: 'n' }, control: { socket: 'x.sock' } }), /control\.socket must be an absolute path/],
    [JSON.stringify({ node: { name: 'n' }, control: { socket: `/${'s'.repeat(110)}` } }), /longer than 107 bytes/],
    [JSON.stringify({ node: { name: 'n' }, state: { dir: `/${'d'.repeat(100)}` } }), /control socket path .*control\.sock is longer than 107 bytes/],
    [JSON.stringify({ node: { name: 'n' }, state: '/var' }), /state must be an object/],
    [JSON.stringify({ node: { name: 'n' }, heal: { enabled: 'yes' } }), /heal\.enabled must be true or false/],
    [JSON.stringify({ node: { name: 'n' }, heal: { on: true } }), /unknown key heal\.on/],
    [JSON.stringify({ node: { name: 'n' }, heal: { wakeTarget: 'example.org:9' } }), /heal\.wakeTarget wants "ADDRESS:PORT"/],
    [JSON.stringify({ node: { name: 'n' }, heal: { wakeTarget: '10.0.0.255' } }), /heal\.wakeTarget wants "ADDRESS:PORT"/],
    [JSON.stringify({ node: { name: 'n' }, heal: { recoveryKey: 'recovery.key' } }), /heal\.recoveryKey must be an absolute path/],
    [JSON.stringify({ node: { name: 'n' }, heal: { healers: ['ok', 'not ok'] } }), /heal\.healers must be a list of node names/],
    [JSON.stringify({ node: { name: 'n' }, heal: { gateway: 'router.lan:53' } }), /heal\.gateway wants "ADDRESS:PORT"/],
    [JSON.stringify({ node: { name: 'n' }, heal: { backoffSec: [] } }), /heal\.backoffSec must be a list/],
    [JSON.stringify({ node: { name: 'n' }, heal: { stableSec: -1 } }), /heal\.stableSec must be a number from 0 to 600/],
    [JSON.stringify({ node: { name: 'n' }, heal: { enabled: true } }), /heal\.enabled needs a gossip section/],
    [JSON.stringify({ node: { name: 'n' }, heal: { wakeTarget: '10.0.0.255:70000' } }), /heal\.wakeTarget wants "ADDRESS:PORT".*out of range/],
  ] as const) {
    configError(t, text, msg);
  }
});

test('config fuzz: any JSON in the gossip, control, state and heal sections is a config or a ConfigError', (t) => {
  const section = fc.dictionary(fc.constantFrom('bind', 'advertise', 'seeds', 'orgKey', 'deathQuorum', 'probeIntervalMs', 'probeTimeoutMs', 'socket', 'dir', 'enabled', 'x'), fc.jsonValue());
  fc.assert(
    fc.property(fc.constantFrom('gossip', 'control', 'state', 'heal'), fc.oneof(section, fc.jsonValue()), (key, value) => {
      try {
        const c = parseConfig(JSON.stringify({ node: { name: 'n', identityDir: ID }, [key]: value }), 'f');
        return typeof controlSocketPath(c) === 'string';
      } catch (e) {
        return e instanceof ConfigError;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
