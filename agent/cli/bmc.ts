// `agent bmc info|add-user|harden`: the BMC in band, through /dev/ipmi0. No
// BMC device: exit 3 with one line. The new user's password comes from a file
// and appears in no output; actions print every step with its outcome so a
// half-applied change is never silent. makeBmcCommand takes the way to the
// BMC, so tests drive the same command against ipmi_sim over LAN.

import { timeoutFlagMs, type Parsed } from './args.ts';
import type { Command } from './command.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import type { Io } from './io.ts';
import { readSecretFile } from './secret-file.ts';
import { cok, deadlineIn, type ChannelResult } from '../channels/types.ts';
import { addUser, checkName, type AddUserResult } from '../ipmi/add-user.ts';
import { readBmcInfo, readChannels, type BmcInfo } from '../ipmi/bmc-info.ts';
import { IpmiDevice } from '../ipmi/device.ts';
import { harden, type HardenResult } from '../ipmi/harden.ts';
import { checkLanAddress, setLanAddress, type LanAddress, type LanAddressResult } from '../ipmi/lan-address.ts';
import type { Step } from '../ipmi/steps.ts';
import type { IpmiTransport } from '../ipmi/transport.ts';

export interface BmcLink {
  transport: IpmiTransport;
  close(): Promise<void>;
}

export interface BmcDeps {
  open(): Promise<ChannelResult<BmcLink>>;
}

const ACTIONS = ['info', 'add-user', 'harden', 'set-lan'] as const;
type Action = (typeof ACTIONS)[number];
const DEFAULT_TIMEOUT_S = 60;
const USAGE = 'agent bmc info | add-user --name NAME --password-file F [--privilege operator|admin] | harden | set-lan --ip A --netmask M --gateway G [--channel N]; each takes [--json]';

export const openDevice = async (): Promise<ChannelResult<BmcLink>> => {
  const r = IpmiDevice.open();
  if (!r.ok) return r;
  const dev = r.value;
  return cok({ transport: dev, close: async () => dev.close() });
};

const str = (args: Parsed, name: string): string | undefined => {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
};

function checkFlags(action: Action, args: Parsed): void {
  const own: Record<Action, string[]> = { info: [], 'add-user': ['name', 'password-file', 'privilege'], harden: [], 'set-lan': ['ip', 'netmask', 'gateway', 'channel'] };
  for (const name of args.flags.keys()) {
    if (name === 'json' || name === 'timeout') continue;
    if (!own[action].includes(name)) throw new UsageError(`agent bmc ${action}: --${name} does not apply`);
  }
}

export function makeBmcCommand(deps: BmcDeps = { open: openDevice }): Command {
  return {
    name: 'bmc',
    usage: USAGE,
    details: [
      'The BMC in band, through the kernel IPMI device (/dev/ipmi0; ipmi_si and ipmi_devintf loaded).',
      'info: device id, self test, channels, each LAN channel (address, MAC, VLAN, cipher suites',
      'with their privilege limits) and the user table.',
      'add-user: a new user in a FREE slot (no name, not enabled; never slot 1), with the password',
      "from the file's first line (at most 20 bytes; the 16-byte form when it fits), the privilege",
      '(default operator) and IPMI messaging on every LAN channel, then enabled and tested. A name',
      'that exists already is refused and left alone. Prints the slot used. A failed step undoes',
      'the ones before it; every step and undo is printed.',
      'harden: disables every enabled user without a name (the null user included) and sets every',
      'cipher suite but 3 and 17 to unused (parameter 24), each change read back.',
      'set-lan: a static IPv4 address on the LAN channel (default: the first), inside set-in-progress',
      'where the BMC has it, then read back.',
      'Exit 0 when everything was done, 1 otherwise, 2 for usage errors, 3 without a BMC device.',
    ].join('\n'),
    flags: [
      { name: 'json', kind: 'boolean', help: 'print the result as JSON' },
      { name: 'name', kind: 'string', value: 'NAME', help: 'add-user: the user name (1-16 printable ASCII)' },
      { name: 'password-file', kind: 'string', value: 'F', help: "add-user: file whose first line is the new user's password" },
      { name: 'privilege', kind: 'string', value: 'operator|admin', help: 'add-user: the privilege limit on the LAN channels (default operator)' },
      { name: 'ip', kind: 'string', value: 'A', help: 'set-lan: the static IPv4 address' },
      { name: 'netmask', kind: 'string', value: 'M', help: 'set-lan: the subnet mask' },
      { name: 'gateway', kind: 'string', value: 'G', help: 'set-lan: the default gateway (inside the subnet)' },
      { name: 'channel', kind: 'string', value: 'N', help: 'set-lan: the LAN channel (default: the first the BMC reports)' },
      { name: 'timeout', kind: 'string', value: 'S', help: `seconds for the whole command (default ${DEFAULT_TIMEOUT_S})` },
    ],
    maxPositionals: 1,
    async run(args, { io }): Promise<ExitCode> {
      const action = args.positionals[0];
      if (action === undefined || !(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`agent bmc: want one of ${ACTIONS.join(', ')} (${USAGE})`);
      const act = action as Action;
      checkFlags(act, args);
      const ms = timeoutFlagMs(args, 'agent bmc', DEFAULT_TIMEOUT_S);
      // Inputs are checked before the BMC is touched: a usage error changes nothing.
      let input: { name: string; password: Buffer; privilege: 3 | 4 } | null = null;
      if (act === 'add-user') {
        const name = str(args, 'name');
        const file = str(args, 'password-file');
        if (!name) throw new UsageError('agent bmc add-user: --name is required');
        if (!file) throw new UsageError('agent bmc add-user: --password-file is required (the password never goes in argv)');
        const bad = checkName(name);
        if (bad) throw new UsageError(`agent bmc add-user: ${bad}`);
        const priv = str(args, 'privilege') ?? 'operator';
        if (priv !== 'operator' && priv !== 'admin') throw new UsageError('agent bmc add-user: --privilege is operator or admin');
        const password = readSecretFile('agent bmc add-user', 'password-file', file);
        if (password.length > 20 || password.includes(0)) {
          password.fill(0);
          throw new UsageError('agent bmc add-user: the password must be at most 20 bytes (the IPMI limit) without NUL');
        }
        input = { name, password, privilege: priv === 'admin' ? 4 : 3 };
      }
      let lanInput: { addr: LanAddress; channel: number | null } | null = null;
      if (act === 'set-lan') {
        const [ip, netmask, gateway] = ['ip', 'netmask', 'gateway'].map((n) => str(args, n));
        if (!ip || !netmask || !gateway) throw new UsageError('agent bmc set-lan: --ip, --netmask and --gateway are required');
        const addr = { ip, netmask, gateway };
        const bad = checkLanAddress(addr);
        if (bad) throw new UsageError(`agent bmc set-lan: ${bad}`);
        const ch = str(args, 'channel');
        if (ch !== undefined && (!/^\d+$/.test(ch) || Number(ch) > 15)) throw new UsageError('agent bmc set-lan: --channel is 0-15');
        lanInput = { addr, channel: ch === undefined ? null : Number(ch) };
      }
      const link = await deps.open();
      if (!link.ok) {
        io.err(`agent bmc: ${link.error.code === 'UNSUPPORTED' ? 'no BMC on this machine: ' : ''}${link.error.message}\n`);
        input?.password.fill(0);
        return link.error.code === 'UNSUPPORTED' ? EXIT.UNSUPPORTED : EXIT.FAILED;
      }
      const d = deadlineIn(ms);
      try {
        if (act === 'info') return printInfo(io, args, await readBmcInfo(link.value.transport, d));
        if (act === 'harden') return printHarden(io, args, await harden(link.value.transport, d));
        if (act === 'set-lan') return printSetLan(io, args, await runSetLan(link.value.transport, lanInput as NonNullable<typeof lanInput>, d));
        const i = input as NonNullable<typeof input>;
        try {
          return printAddUser(io, args, i.name, await addUser(link.value.transport, i, d));
        } finally {
          i.password.fill(0);
        }
      } finally {
        await link.value.close();
      }
    },
  };
}

export const bmcCommand: Command = makeBmcCommand();

const json = (args: Parsed): boolean => args.flags.has('json');

function stepLines(steps: readonly Step[]): string {
  return steps.map((s) => `  ${s.outcome.padEnd(14)} ${s.step}${s.detail ? `: ${s.detail}` : ''}\n`).join('');
}

function printAddUser(io: Io, args: Parsed, name: string, r: AddUserResult): ExitCode {
  if (json(args)) io.out(`${JSON.stringify({ action: 'add-user', name, ...r })}\n`);
  else {
    if (r.ok) io.out(`added ${name} in slot ${r.slot} (LAN channel${r.channels.length > 1 ? 's' : ''} ${r.channels.join(', ')})\n`);
    else io.err(`agent bmc add-user: ${r.error?.code}: ${r.error?.message}\n`);
    (r.ok ? io.out : io.err)(stepLines(r.steps));
  }
  return r.ok ? EXIT.OK : EXIT.FAILED;
}

function printHarden(io: Io, args: Parsed, r: HardenResult): ExitCode {
  if (json(args)) io.out(`${JSON.stringify({ action: 'harden', ...r })}\n`);
  else io.out(`harden: ${r.ok ? 'done' : 'NOT all done'}\n${stepLines(r.steps)}`);
  return r.ok ? EXIT.OK : EXIT.FAILED;
}

async function runSetLan(t: IpmiTransport, i: { addr: LanAddress; channel: number | null }, d: ReturnType<typeof deadlineIn>): Promise<LanAddressResult | string> {
  if (i.channel !== null) return setLanAddress(t, i.channel, i.addr, d);
  const ch = await readChannels(t, d);
  if (!ch.ok) return `read channels: ${ch.error.code}: ${ch.error.message}`;
  const lan = ch.value.find((c) => c.lan);
  return lan ? setLanAddress(t, lan.channel, i.addr, d) : 'the BMC reports no LAN channel';
}

function printSetLan(io: Io, args: Parsed, r: LanAddressResult | string): ExitCode {
  if (typeof r === 'string') {
    if (json(args)) io.out(`${JSON.stringify({ action: 'set-lan', ok: false, steps: [], error: r })}\n`);
    else io.err(`agent bmc set-lan: ${r}\n`);
    return EXIT.FAILED;
  }
  if (json(args)) io.out(`${JSON.stringify({ action: 'set-lan', ...r })}\n`);
  else io.out(`set-lan channel ${r.channel}: ${r.ok ? 'done' : 'NOT all done'}\n${stepLines(r.steps)}`);
  return r.ok ? EXIT.OK : EXIT.FAILED;
}

function printInfo(io: Io, args: Parsed, i: BmcInfo): ExitCode {
  const ok = i.complete && i.device !== null;
  if (json(args)) {
    io.out(`${JSON.stringify(i)}\n`);
    return ok ? EXIT.OK : EXIT.FAILED;
  }
  const out: string[] = [];
  const dev = i.device;
  if (dev) out.push(`BMC: device id 0x${dev.deviceId.toString(16)}, firmware ${dev.firmware}, IPMI ${dev.ipmiVersion}, manufacturer ${dev.manufacturer}, product 0x${dev.product.toString(16)}`);
  if (i.selfTest) out.push(`self test: ${i.selfTest.result}${i.selfTest.failures.length ? ` (${i.selfTest.failures.join(', ')})` : ''}`);
  for (const c of i.channels) out.push(`channel ${c.channel}: ${c.medium}, ${c.sessionSupport}${c.activeSessions ? `, ${c.activeSessions} active` : ''}`);
  for (const l of i.lan) {
    out.push(`LAN channel ${l.channel}: ${l.ipAddress ?? '?'} (${l.ipSource ?? '?'}) mask ${l.netmask ?? '?'} gateway ${l.gateway ?? '?'} MAC ${l.mac ?? '?'} VLAN ${l.vlan ? (l.vlan.enabled ? l.vlan.id : 'off') : '?'}`);
    if (l.cipherSuites) out.push(`  cipher suites: ${l.cipherSuites.map((c) => `${c.suite} (${c.privilegeName ?? '?'})`).join(', ')}`);
  }
  if (i.users) {
    out.push(`users (${i.users.maxUsers} slots):`);
    for (const u of i.users.users.filter((x) => x.enabled || (x.name !== '' && x.name !== null))) {
      out.push(`  ${String(u.id).padStart(2)} ${(u.name === null ? '(null user)' : u.name || '(no name)').padEnd(16)} ${u.enabled ? 'enabled ' : 'disabled'} ${u.access.map((a) => `ch${a.channel}: ${a.privilegeName}${a.messaging ? '' : ' (no messaging)'}`).join(', ')}`);
    }
  }
  for (const e of i.errors) out.push(`note: ${e}`);
  if (!i.complete) out.push('(incomplete: the BMC stopped answering)');
  io.out(`${out.join('\n')}\n`);
  return ok ? EXIT.OK : EXIT.FAILED;
}
