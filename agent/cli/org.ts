import type { Command } from './command.ts';
import { EXIT, UsageError } from './exit.ts';
import { initOrg, initRecoveryKey } from '../identity/store.ts';

export const orgCommand: Command = {
  name: 'org',
  usage: 'agent org (init | init-recovery) --out DIR',
  details: [
    'init: writes DIR/org.key (mode 0600) and DIR/org.pub (PEM, Ed25519) and prints the org key id;',
    'also DIR/recovery.key (0600) and DIR/recovery.pub (PEM, X25519): nodes seal the credentials they',
    'make to recovery.pub, and only recovery.key opens them (`agent vault open`).',
    'init-recovery: adds recovery.key and recovery.pub to an org made before they existed.',
    'Keep org.key and recovery.key off the nodes: only `agent enroll` needs org.key; nodes carry the .pub files.',
  ].join('\n'),
  flags: [{ name: 'out', kind: 'string', value: 'DIR', help: 'directory for org.key and org.pub (created 0700 if missing)' }],
  maxPositionals: 1,
  async run(args, { io }) {
    const sub = args.positionals[0];
    if (sub !== 'init' && sub !== 'init-recovery') throw new UsageError("agent org: the subcommands are 'init' and 'init-recovery'");
    const out = args.flags.get('out');
    if (typeof out !== 'string') throw new UsageError(`agent org ${sub}: --out DIR is required`);
    if (sub === 'init-recovery') {
      const r = initRecoveryKey(out);
      if (!r.ok) {
        io.err(`agent org init-recovery: ${r.error.message}\n`);
        return EXIT.FAILED;
      }
      io.out(`${r.value.privatePath}\n${r.value.publicPath}\n`);
      return EXIT.OK;
    }
    const made = initOrg(out);
    if (!made.ok) {
      io.err(`agent org init: ${made.error.message}\n`);
      return EXIT.FAILED;
    }
    const m = made.value;
    io.out(`org key id ${Buffer.from(m.keyId).toString('hex')}\n${m.privatePath}\n${m.publicPath}\n${m.recoveryPrivatePath}\n${m.recoveryPublicPath}\n`);
    return EXIT.OK;
  },
};
