// `agent members`: the membership as the running daemon sees it, asked over
// its control socket. The daemon holds the state; this command only renders it.

import type { FlagSpec, Parsed } from './args.ts';
import type { Command } from './command.ts';
import { EXIT, type ExitCode } from './exit.ts';
import type { Io } from './io.ts';
import { queryControl, type ControlError } from '../daemon/control.ts';
import { DEFAULT_CONTROL_SOCKET } from '../daemon/config.ts';
import type { MemberView } from '../gossip/types.ts';

export const CONTROL_FLAGS: FlagSpec[] = [
  { name: 'json', kind: 'boolean', help: 'print the reply as JSON' },
  { name: 'socket', kind: 'string', value: 'PATH', help: `the daemon's control socket (default ${DEFAULT_CONTROL_SOCKET}; control.socket in its config)` },
];

export function socketOf(args: Parsed): string {
  const v = args.flags.get('socket');
  return typeof v === 'string' ? v : DEFAULT_CONTROL_SOCKET;
}

/** One line on stderr, exit 1: the daemon is absent, unreachable or answered nonsense. */
export function controlFailure(command: string, io: Io, e: ControlError): ExitCode {
  io.err(`agent ${command}: ${e.message}\n`);
  return EXIT.FAILED;
}

const HEADER = ['NAME', 'ADDRESS', 'STATE', 'INCARNATION', 'ATTESTED', 'LAST-UPDATE'] as const;

/** Members by name, this node marked; columns padded to their widest cell. */
export function renderMembers(members: readonly MemberView[]): string {
  const rows = [...members]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((m) => [m.self ? `${m.name} (self)` : m.name, m.addr, m.state, String(m.incarnation), m.attested ? 'yes' : 'no', new Date(m.updatedAt).toISOString()]);
  const table = [[...HEADER], ...rows];
  const widths = HEADER.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  return table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}

export const membersCommand: Command = {
  name: 'members',
  usage: 'agent members [--json] [--socket PATH]',
  details: [
    "Asks the running daemon (`agent run`) for its member list: each member's address, state",
    '(alive, suspect, dead, left), incarnation, whether a verified attestation is held, and when',
    'this node last changed its state. Exit 1 when no daemon answers.',
  ].join('\n'),
  flags: CONTROL_FLAGS,
  async run(args, { io }) {
    const r = await queryControl(socketOf(args), 'members');
    if (!r.ok) return controlFailure('members', io, r.error);
    io.out(args.flags.has('json') ? `${JSON.stringify(r.value, null, 2)}\n` : renderMembers(r.value));
    return EXIT.OK;
  },
};
