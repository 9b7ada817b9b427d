import type { Command } from './command.ts';
import { EXIT, UsageError } from './exit.ts';
import { keyId } from '../identity/keys.ts';
import { enroll, loadOrg, NODE_FILES } from '../identity/store.ts';

const DAY = 86_400;

export const enrollCommand: Command = {
  name: 'enroll',
  usage: 'agent enroll --org DIR --name NAME --out DIR [--days N]',
  details: [
    `Writes DIR/${NODE_FILES.privateKey} (0600), ${NODE_FILES.publicKey} and ${NODE_FILES.certificate}: a COSE_Sign1 by the org key over`,
    '{org key id, name, node public key, issued, expires}. Peers trust a node only through it.',
    `Also writes DIR/${NODE_FILES.orgPublicKey}, a copy of the org public key: the node checks its peers against it,`,
    `and DIR/${NODE_FILES.recoveryPublicKey}, a copy of the org recovery public key: the node seals the credentials it makes to it.`,
  ].join('\n'),
  flags: [
    { name: 'org', kind: 'string', value: 'DIR', help: 'the org directory (org.key, org.pub) from `agent org init`' },
    { name: 'name', kind: 'string', value: 'NAME', help: "the node's name in the fleet (a DNS label)" },
    { name: 'out', kind: 'string', value: 'DIR', help: "the node's identity directory" },
    { name: 'days', kind: 'string', value: 'N', help: 'certificate validity in days (default 365)' },
  ],
  async run(args, { io }) {
    const get = (k: string): string => {
      const v = args.flags.get(k);
      if (typeof v !== 'string') throw new UsageError(`agent enroll: --${k} is required`);
      return v;
    };
    const [orgDir, name, out] = [get('org'), get('name'), get('out')];
    const daysText = args.flags.get('days');
    const days = typeof daysText === 'string' ? Number(daysText) : 365;
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError('agent enroll: --days is a whole number from 1 to 3650');
    const org = loadOrg(orgDir);
    if (!org.ok) {
      io.err(`agent enroll: ${org.error.message}\n`);
      return EXIT.FAILED;
    }
    const id = enroll(org.value, name, out, Math.floor(Date.now() / 1000), days * DAY);
    if (!id.ok) {
      io.err(`agent enroll: ${id.error.message}\n`);
      return EXIT.FAILED;
    }
    const c = id.value.cert;
    io.out(
      `node ${c.name} key id ${Buffer.from(keyId(id.value.publicKey)).toString('hex')}\n` +
        `certificate by org ${Buffer.from(c.orgKeyId).toString('hex')} valid until ${new Date(c.expires * 1000).toISOString()}\n`,
    );
    if (org.value.recoveryPublicPem === null) {
      io.err(`agent enroll: ${orgDir} has no ${NODE_FILES.recoveryPublicKey} (\`agent org init-recovery\`), so this node cannot seal credentials to the org\n`);
    }
    return EXIT.OK;
  },
};
