import type { Command } from './command.ts';
import { EXIT, UsageError } from './exit.ts';
import { initOrg } from '../identity/store.ts';

export const orgCommand: Command = {
  name: 'org',
  usage: 'agent org init --out DIR',
  details: ['Writes DIR/org.key (mode 0600) and DIR/org.pub (PEM, Ed25519) and prints the org key id.', 'Keep org.key off the nodes: only `agent enroll` needs it; nodes carry org.pub.'].join('\n'),
  flags: [{ name: 'out', kind: 'string', value: 'DIR', help: 'directory for org.key and org.pub (created 0700 if missing)' }],
  maxPositionals: 1,
  async run(args, { io }) {
    if (args.positionals[0] !== 'init') throw new UsageError("agent org: the only subcommand is 'init'");
    const out = args.flags.get('out');
    if (typeof out !== 'string') throw new UsageError('agent org init: --out DIR is required');
    const made = initOrg(out);
    if (!made.ok) {
      io.err(`agent org init: ${made.error.message}\n`);
      return EXIT.FAILED;
    }
    const m = made.value;
    io.out(`org key id ${Buffer.from(m.keyId).toString('hex')}\n${m.privatePath}\n${m.publicPath}\n`);
    return EXIT.OK;
  },
};
