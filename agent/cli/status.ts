// `agent status`: this node as its running daemon sees itself. The fields are
// whatever the daemon reports; they are printed one per line, nested objects
// (member counts by state) as key=value pairs.

import type { Command } from './command.ts';
import { EXIT } from './exit.ts';
import { CONTROL_FLAGS, controlFailure, socketOf } from './members.ts';
import { queryControl } from '../daemon/control.ts';

function cell(v: unknown): string {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${typeof x === 'string' ? x : JSON.stringify(x)}`)
      .join(' ');
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function renderStatus(status: Record<string, unknown>): string {
  const keys = Object.keys(status);
  const width = Math.max(0, ...keys.map((k) => k.length)) + 1;
  return keys.map((k) => `${`${k}:`.padEnd(width)} ${cell(status[k])}\n`).join('');
}

export const statusCommand: Command = {
  name: 'status',
  usage: 'agent status [--json] [--socket PATH]',
  details: "Asks the running daemon for this node's name, address, state, incarnation, member counts by state and uptime. Exit 1 when no daemon answers.",
  flags: CONTROL_FLAGS,
  async run(args, { io }) {
    const r = await queryControl(socketOf(args), 'status');
    if (!r.ok) return controlFailure('status', io, r.error);
    io.out(args.flags.has('json') ? `${JSON.stringify(r.value, null, 2)}\n` : renderStatus(r.value));
    return EXIT.OK;
  },
};
