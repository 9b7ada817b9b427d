// The demo's liar: a member enrolled by the org like any other (its own core
// answers probes, so nobody has a reason to drop it) that keeps telling every
// member that `victim` is suspect and dead, with its own suspicion as the only
// evidence, and announces leases on the victim: one in its own name (a valid
// signature from a member that cannot act) and one claiming another member
// signed it. Run inside the demo's namespace:
//   node --import tsx tools/demo/liar.ts IDENTITY_DIR BIND SEEDS(comma) VICTIM FORGED_ACTOR SECONDS
// It prints one JSON line with what it sent, and exits.

import { createSocket } from 'node:dgram';
import { GossipDriver } from '../../agent/gossip/driver.ts';
import { SwimNode } from '../../agent/gossip/swim.ts';
import { identityTrust, INCARNATION_SPAN } from '../../agent/gossip/trust.ts';
import { DEFAULT_CONFIG } from '../../agent/gossip/types.ts';
import { encodePacket, signUpdate, type Msg } from '../../agent/gossip/wire.ts';
import { signLease } from '../../agent/heal/lease.ts';
import { readPublicKey } from '../../agent/identity/keys.ts';
import { createSession } from '../../agent/identity/session.ts';
import { loadIdentity } from '../../agent/identity/store.ts';
import { createLogger } from '../../agent/log.ts';

const [identityDir, bind, seedList, victim, forgedActor, seconds] = process.argv.slice(2);
if (!identityDir || !bind || !seedList || !victim || !forgedActor || !seconds) {
  process.stderr.write('usage: liar.ts IDENTITY_DIR BIND SEEDS VICTIM FORGED_ACTOR SECONDS\n');
  process.exit(2);
}
const id = loadIdentity(identityDir);
const org = readPublicKey(`${identityDir}/org.pub`);
if (!id.ok || !org.ok) throw new Error('liar: identity or org key unreadable');
const me = id.value.name;
const boot = Math.floor(Date.now() / 1000);
const session = await createSession(id.value, `liar-${boot}`, boot, null);
const trust = identityTrust({ identity: id.value, session, org: org.value });
const seeds = seedList.split(',');
const cfg = { ...DEFAULT_CONFIG, name: me, addr: bind, seeds, incarnation: boot * INCARNATION_SPAN };
const driver = new GossipDriver({ core: new SwimNode(cfg, trust, Math.random, Date.now()), bind, maxPacketBytes: cfg.maxPacketBytes, log: createLogger({ format: 'json', level: 'silent' }) });
await driver.start();
const mouth = createSocket('udp4');
await new Promise<void>((r) => mouth.bind(0, bind.slice(0, bind.lastIndexOf(':')), r));
const say = (to: string, bytes: Uint8Array): void => {
  const i = to.lastIndexOf(':');
  mouth.send(bytes, Number(to.slice(i + 1)), to.slice(0, i));
};
const packet = (msgs: Msg[]): Uint8Array => encodePacket({ sender: me, sentAt: Date.now(), msgs }, trust);

// Wait to be a member everyone holds alive: lies from a stranger would be refused for that alone.
const until = Date.now() + 30_000;
while (Date.now() < until && driver.members().filter((m) => m.state === 'alive').length < seeds.length + 2) await new Promise((r) => setTimeout(r, 200));

const sent = { rounds: 0, deaths: 0, ownLeases: 0, forgedLeases: 0 };
const end = Date.now() + Number(seconds) * 1000;
while (Date.now() < end) {
  const now = Date.now();
  const v = driver.members().find((m) => m.name === victim);
  const inc = v?.incarnation ?? 0;
  const s = signUpdate({ type: 'suspect', author: me, subject: victim, incarnation: inc, time: now }, trust);
  const dead = signUpdate({ type: 'dead', author: me, subject: victim, incarnation: inc, time: now, evidence: [s, s] }, trust);
  const lease = { subject: victim, incarnation: inc, actor: me, issued: now, expires: now + 120_000 };
  const own = signLease(lease, { privateKey: session.privateKey, kid: session.kid });
  const forged = signLease({ ...lease, actor: forgedActor }, { privateKey: session.privateKey, kid: session.kid });
  for (const m of driver.members()) {
    if (m.self) continue;
    say(m.addr, packet([{ type: 'update', update: s }, { type: 'update', update: dead }]));
    say(m.addr, packet([{ type: 'lease', lease: own }, { type: 'lease', lease: forged }]));
  }
  sent.rounds++;
  sent.deaths++;
  sent.ownLeases++;
  sent.forgedLeases++;
  await new Promise((r) => setTimeout(r, 250));
}
process.stdout.write(`${JSON.stringify(sent)}\n`);
mouth.close();
await driver.stop({ leave: true });
process.exit(0);
