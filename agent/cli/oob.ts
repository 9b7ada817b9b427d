// `agent oob CHANNEL ACTION`: drive one out-of-band channel directly, with the
// same verified ladder the healer uses. Exit 0 only when a status read
// confirmed the end state. The password comes from a file (never argv) and
// appears in no output.

import { timeoutFlagMs, type FlagSpec, type Parsed } from './args.ts';
import type { Command } from './command.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import { readSecretFile } from './secret-file.ts';
import { CHANNELS, isChannelName } from '../channels/registry.ts';
import { deadlineIn, type ChannelEntry, type ChannelFlag, type ChannelName, type ChannelOptions } from '../channels/types.ts';
import { Channel, type FenceResult } from '../channels/verify.ts';

const ACTIONS = ['status', 'on', 'off', 'cycle', 'reset'] as const;
type Action = (typeof ACTIONS)[number];
const isAction = (s: string): s is Action => (ACTIONS as readonly string[]).includes(s);

/** Generous: a real server takes tens of seconds to report off after ForceOff, and a cycle is two of those. */
const DEFAULT_TIMEOUT_S = 120;

function str(args: Parsed, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function intFlag(args: Parsed, name: string, min: number, max: number): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`agent oob: --${name} must be an integer in ${min}-${max}`);
  return Number(v);
}

/** Synchronous on purpose: the first asynchronous file call starts libuv's thread pool, milliseconds of a command whose whole run is tens of them. */
const readSecret = (flag: string, path: string): string => readSecretFile('agent oob', flag, path).toString('utf8');

/** Every channel's own flags, once each, with the channels that take it in the help. */
function channelFlagSpecs(): FlagSpec[] {
  const byName = new Map<string, { flag: ChannelFlag; channels: string[] }>();
  for (const [name, entry] of Object.entries(CHANNELS) as [string, ChannelEntry][]) {
    for (const flag of entry.flags) {
      const seen = byName.get(flag.name);
      if (seen) seen.channels.push(name);
      else byName.set(flag.name, { flag, channels: [name] });
    }
  }
  return [...byName.values()].map(({ flag, channels }) => ({
    name: flag.name,
    kind: flag.value === undefined ? 'boolean' : 'string',
    ...(flag.value !== undefined ? { value: flag.value } : {}),
    help: `${channels.join(', ')}: ${flag.help}`,
  }));
}

function options(args: Parsed, channel: ChannelName, entry: ChannelEntry): ChannelOptions {
  const own = new Set(entry.flags.map((f) => f.name));
  for (const name of args.flags.keys()) {
    if (!COMMON.has(name) && !own.has(name)) throw new UsageError(`agent oob: --${name} does not apply to ${channel}`);
  }
  const host = str(args, 'host');
  if (entry.host === 'required' && !host) throw new UsageError(`agent oob: ${channel} needs --host`);
  if (entry.host === 'none' && host !== undefined) throw new UsageError(`agent oob: ${channel} takes no --host`);
  const pwPath = str(args, 'password-file');
  if (entry.password === 'required' && !pwPath) throw new UsageError('agent oob: --password-file is required (the password never goes in argv)');
  if (entry.password === 'none' && pwPath !== undefined) throw new UsageError(`agent oob: ${channel} takes no --password-file`);
  const fp = str(args, 'tls-fingerprint');
  if (fp !== undefined && !/^sha256:([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/.test(fp)) throw new UsageError('agent oob: --tls-fingerprint wants sha256:HEX (64 hex digits, colons allowed)');
  const params: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const f of entry.flags) {
    const v = args.flags.get(f.name);
    if (v === undefined) {
      if (f.required) throw new UsageError(`agent oob: ${channel} needs --${f.name}`);
      continue;
    }
    if (f.secret) secrets[f.name] = readSecret(f.name, v as string);
    else params[f.name] = v === true ? 'true' : v;
  }
  const opts: ChannelOptions = { insecureHttp: args.flags.has('insecure-http'), allowWeakCiphers: args.flags.has('allow-weak-ciphers'), params, secrets };
  if (host !== undefined) opts.host = host;
  if (pwPath) opts.password = readSecret('password-file', pwPath);
  const port = intFlag(args, 'port', 1, 65535);
  if (port !== undefined) opts.port = port;
  const user = str(args, 'user');
  if (user !== undefined) opts.user = user;
  if (fp !== undefined) opts.tlsFingerprint = fp;
  return opts;
}

const COMMON_FLAGS: FlagSpec[] = [
  { name: 'host', kind: 'string', value: 'H', help: 'the BMC, management engine, PDU or service' },
  { name: 'port', kind: 'string', value: 'P', help: "the channel's port (default: the protocol's)" },
  { name: 'user', kind: 'string', value: 'U', help: 'user name (default: the channel\'s usual one, e.g. admin for AMT)' },
  { name: 'password-file', kind: 'string', value: 'F', help: 'file whose first line is the password (never pass it in argv)' },
  { name: 'tls-fingerprint', kind: 'string', value: 'sha256:HEX', help: "pin the device's certificate (HTTPS channels)" },
  { name: 'insecure-http', kind: 'boolean', help: 'allow plain HTTP (redfish, amt, dash)' },
  { name: 'allow-weak-ciphers', kind: 'boolean', help: 'ipmi: allow cipher suites 0-2 (no real integrity); IPMI v1.5 is never used, by design: its sessions have no integrity' },
  { name: 'timeout', kind: 'string', value: 'S', help: `seconds for the whole action (default ${DEFAULT_TIMEOUT_S})` },
  { name: 'unverified-ok', kind: 'boolean', help: 'exit 0 when a channel that cannot read state (wol, hetzner-robot, ovh) accepted the request' },
  { name: 'json', kind: 'boolean', help: 'print the outcome as JSON' },
];
const COMMON = new Set(COMMON_FLAGS.map((f) => f.name));

async function act(ch: Channel, action: Action, timeoutMs: number): Promise<FenceResult> {
  const d = deadlineIn(timeoutMs);
  try {
    return await ch[action](d);
  } finally {
    // Logout gets its own short deadline: a session must not leak because the action used up the time.
    await ch.close(deadlineIn(5_000));
  }
}

export const oobCommand: Command = {
  name: 'oob',
  usage: 'agent oob CHANNEL ACTION [--host H] [--port P] [--user U] [--password-file F] [channel flags] [--json]',
  details: [
    'CHANNEL: ipmi (RMCP+, UDP 623), redfish (HTTPS 443), amt (WS-MAN 16993, or 16992 over HTTP),',
    'dash (WS-MAN 664, or 623 over HTTP); pdu (SNMP v2c/v3: APC, Raritan, Eaton, ServerTech,',
    'CyberPower; --outlet N[,M]); wol (--mac; power-on only); proxmox, libvirt (virsh --uri),',
    'vsphere; hetzner-cloud, digitalocean, vultr, linode, aws, gce; hetzner-robot and ovh',
    '(reset only). ACTION: status, on, off, cycle, reset. Each channel takes only its own flags,',
    'listed above with the channels that take them; secrets come from files (--*-file).',
    'Redfish with several systems: name one as --host HOST/ID (or HOST/redfish/v1/Systems/ID).',
    'Every action reads the power state first and verifies its end state with another read:',
    'cycle is off (skipped when off), verified off, on, verified on. Busy answers are retried',
    'until --timeout; a wrong password or a refused action fails at once.',
    '--json prints {channel, action, state, verified, attempts, elapsedMs} (and error on failure).',
    'Exit 0 only when the verified end state was reached; 1 otherwise; 2 for a usage error.',
    'A channel that cannot read state (wol, hetzner-robot, ovh) reports verified: false and exits 1',
    'unless --unverified-ok.',
    'The HTTPS channels pin the certificate with --tls-fingerprint sha256:HEX (BMCs carry',
    'self-signed certificates); plain HTTP only with --insecure-http.',
  ].join('\n'),
  flags: [...COMMON_FLAGS, ...channelFlagSpecs()],
  maxPositionals: 2,
  async run(args, { io }): Promise<ExitCode> {
    const [channel, action] = args.positionals;
    if (channel === undefined || action === undefined) throw new UsageError(`agent oob: want CHANNEL ACTION (channels: ${Object.keys(CHANNELS).join(', ')}; actions: ${ACTIONS.join(', ')})`);
    if (!isChannelName(channel)) throw new UsageError(`agent oob: unknown channel '${channel}' (${Object.keys(CHANNELS).join(', ')})`);
    if (!isAction(action)) throw new UsageError(`agent oob: unknown action '${action}' (${ACTIONS.join(', ')})`);
    const entry: ChannelEntry = CHANNELS[channel];
    const timeoutMs = timeoutFlagMs(args, 'agent oob', DEFAULT_TIMEOUT_S);
    const opts = options(args, channel, entry);
    const mod = await entry.load();
    const driver = mod.open(opts);
    if (!driver.ok) return report(io, args, channel, action, { ok: false, error: { ...driver.error, attempts: 0, elapsedMs: 0, steps: [] } });
    return report(io, args, channel, action, await act(new Channel(driver.value), action, timeoutMs));
  },
};

function report(io: { out(s: string): void; err(s: string): void }, args: Parsed, channel: ChannelName, action: Action, r: FenceResult): ExitCode {
  if (args.flags.has('json')) {
    const base = { channel, action };
    const body = r.ok
      ? { ...base, state: r.value.state, verified: r.value.verified, attempts: r.value.attempts, elapsedMs: r.value.elapsedMs, steps: r.value.steps }
      : { ...base, state: 'unknown', verified: false, attempts: r.error.attempts, elapsedMs: r.error.elapsedMs, steps: r.error.steps, error: { code: r.error.code, message: r.error.message, ...(r.error.offVerified ? { offVerified: true } : {}) } };
    io.out(`${JSON.stringify(body)}\n`);
  } else if (r.ok && !r.value.verified) {
    io.out(`${channel} ${action}: sent, unverified (the channel cannot read the power state; ${r.value.attempts} exchanges, ${r.value.elapsedMs} ms)\n`);
  } else if (r.ok) {
    io.out(action === 'status' ? `${r.value.state}\n` : `${channel} ${action}: ${r.value.state} (verified, ${r.value.attempts} exchanges, ${r.value.elapsedMs} ms)\n`);
  } else {
    io.err(`agent oob ${channel} ${action}: ${r.error.code}: ${r.error.message}${r.error.offVerified ? ' (the off half was verified)' : ''}\n`);
  }
  if (!r.ok) return EXIT.FAILED;
  return r.value.verified || args.flags.has('unverified-ok') ? EXIT.OK : EXIT.FAILED;
}
