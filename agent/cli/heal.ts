// `agent heal log`: the heal audit log (agent/heal/audit.ts), every decision
// and action this node took on dead peers, each line's signature and chain
// verified. A line that fails is printed as a problem, never dropped, and
// makes the exit status 1.

import { join } from 'node:path';
import type { Command } from './command.ts';
import { EXIT, UsageError } from './exit.ts';
import { readPublicKey } from '../identity/keys.ts';
import { NODE_FILES } from '../identity/store.ts';
import { AUDIT_DIR, AUDIT_FILE, readAudit, type AuditRead } from '../heal/audit.ts';

function render(r: AuditRead): string {
  const rows: [number, string][] = [];
  for (const l of r.lines) {
    if (l.type === 'key') {
      const anchor = l.anchored === null ? 'binding unchecked' : l.anchored ? 'bound to the node key' : 'NOT bound to the node key';
      rows.push([l.line, `${new Date(l.at).toISOString()}  key      session ${l.keyId} (${anchor})`]);
    } else {
      const e = l.entry;
      rows.push([l.line, `${new Date(e.at).toISOString()}  ${e.kind.padEnd(17)} ${e.subject}@${e.incarnation}${e.actor ? ` by ${e.actor}` : ''}: ${e.why}`]);
    }
  }
  for (const p of r.problems) rows.push([p.line, `PROBLEM line ${p.line}: ${p.error.code}: ${p.error.message}`]);
  rows.sort((a, b) => a[0] - b[0]);
  return rows.map(([, s]) => s).join('\n') + '\n';
}

export const healCommand: Command = {
  name: 'heal',
  usage: 'agent heal log --state DIR [--identity DIR] [--json]',
  details: [
    'log: prints DIR/heal/audit.log, one line per decision or action, after checking each line\'s signature',
    'and its chain to the line before. With --identity (the node\'s identity directory) each session key',
    'in the log is also checked against the node key. Exit 1 when any line fails a check.',
  ].join('\n'),
  flags: [
    { name: 'state', kind: 'string', value: 'DIR', help: "the agent's state.dir (the log is DIR/heal/audit.log)" },
    { name: 'identity', kind: 'string', value: 'DIR', help: "the node's identity directory: check session keys against its node.pub" },
    { name: 'json', kind: 'boolean', help: 'print JSON' },
  ],
  maxPositionals: 1,
  async run(args, { io }) {
    if (args.positionals[0] !== 'log') throw new UsageError("agent heal: the subcommand is 'log'");
    const state = args.flags.get('state');
    if (typeof state !== 'string') throw new UsageError('agent heal log: --state DIR is required');
    const identity = args.flags.get('identity');
    let nodeKey = null;
    if (typeof identity === 'string') {
      const k = readPublicKey(join(identity, NODE_FILES.publicKey));
      if (!k.ok) {
        io.err(`agent heal log: ${k.error.message}\n`);
        return EXIT.FAILED;
      }
      nodeKey = k.value;
    }
    const r = readAudit(state, nodeKey);
    if (!r.ok) {
      io.err(`agent heal log: ${r.error.code}: ${r.error.message}\n`);
      return EXIT.FAILED;
    }
    const file = join(state, AUDIT_DIR, AUDIT_FILE);
    if (args.flags.has('json')) io.out(`${JSON.stringify({ schema: 'fortros.oob.heal-log/v1', file, lines: r.value.lines, problems: r.value.problems }, null, 2)}\n`);
    else if (r.value.lines.length === 0 && r.value.problems.length === 0) io.out(`no heal log entries in ${file}\n`);
    else io.out(render(r.value));
    return r.value.problems.length > 0 ? EXIT.FAILED : EXIT.OK;
  },
};
