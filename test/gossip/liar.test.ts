// One enrolled member turns liar: it keeps telling every honest agent that a
// healthy member is suspect and dead, with its own signed suspicion as the
// only evidence (once, and repeated), replays a suspicion it captured earlier,
// and sends garbage. The honest agents are real processes; the liar is a real
// member (its own core, driver and sockets) in the test process, so its
// signatures verify and only the death quorum stands between it and a victim.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { GossipDriver } from '../../agent/gossip/driver.ts';
import { SwimNode } from '../../agent/gossip/swim.ts';
import { identityTrust, INCARNATION_SPAN } from '../../agent/gossip/trust.ts';
import { DEFAULT_CONFIG, type Trust } from '../../agent/gossip/types.ts';
import { encodePacket, signUpdate, type Msg, type Signed } from '../../agent/gossip/wire.ts';
import { createSession } from '../../agent/identity/session.ts';
import { createLogger } from '../../agent/log.ts';
import { allSee, enrollNode, eventually, freePort, hostPort, startCluster, type AgentProc } from '../helpers/agents.ts';

const HONEST = ['h0', 'h1', 'h2', 'h3'];
const VICTIM = 'h1';
const LIAR = 'liar';
const ROUND_MS = 200;
const LIE_FOR_MS = 10_000;

function suspect(trust: Trust, incarnation: number, time: number): Signed {
  return signUpdate({ type: 'suspect', author: LIAR, subject: VICTIM, incarnation, time }, trust);
}

function dead(trust: Trust, incarnation: number, time: number, evidence: Signed[]): Signed {
  return signUpdate({ type: 'dead', author: LIAR, subject: VICTIM, incarnation, time, evidence }, trust);
}

const packet = (trust: Trust, msgs: Msg[]): Uint8Array => encodePacket({ sender: LIAR, sentAt: Date.now(), msgs }, trust);
const upd = (update: Signed): Msg => ({ type: 'update', update });

test('a liar cannot get a healthy member declared dead; its lies and garbage cost log lines, not crashes', async (t) => {
  t.timeout(120_000);
  const { org, agents } = await startCluster(t, HONEST, { base: 30 });

  // The liar: enrolled by the same org, a member like any other.
  const { identity } = enrollNode(org, LIAR);
  const session = await createSession(identity, 'liar-boot', 1, null);
  const trust = identityTrust({ identity, session, org: org.keys.publicKey });
  const liarAddr = hostPort('127.0.0.40', await freePort('127.0.0.40'));
  const cfg = { ...DEFAULT_CONFIG, name: LIAR, addr: liarAddr, seeds: [agents[0]?.addr as string], incarnation: INCARNATION_SPAN };
  const liar = new GossipDriver({ core: new SwimNode(cfg, trust, Math.random, Date.now()), bind: liarAddr, maxPacketBytes: cfg.maxPacketBytes, log: createLogger({ format: 'json', level: 'silent' }) });
  await liar.start();
  t.teardown(() => liar.stop({ leave: false }));
  // Its lies leave from a second socket: the core authenticates the signed sender, not the source address.
  const mouth = createSocket('udp4');
  await new Promise<void>((r) => mouth.bind(0, '127.0.0.41', r));
  t.teardown(() => mouth.close());
  const say = (to: string, bytes: Uint8Array): void => {
    const i = to.lastIndexOf(':');
    mouth.send(bytes, Number(to.slice(i + 1)), to.slice(0, i));
  };

  const everyone = [...HONEST, LIAR];
  t.true(await eventually(() => allSee(agents, everyone, 'alive'), 20_000), 'the honest agents admit the liar');
  t.true(await eventually(() => liar.members().filter((m) => m.state === 'alive').length === everyone.length, 10_000), 'the liar sees everyone');

  const victimInc = (): number => liar.members().find((m) => m.name === VICTIM)?.incarnation ?? INCARNATION_SPAN;
  const captured = suspect(trust, victimInc(), Date.now());
  const honestAddrs = agents.map((a) => a.addr);
  const started = Date.now();
  let rounds = 0;
  while (Date.now() - started < LIE_FOR_MS) {
    const now = Date.now();
    const inc = victimInc();
    const s = suspect(trust, inc, now);
    // A death far ahead of any incarnation held is never ignored as old: it is judged on its evidence.
    const ahead = inc + 1000;
    const sAhead = suspect(trust, ahead, now);
    const lies = [
      packet(trust, [upd(s)]),
      packet(trust, [upd(dead(trust, inc, now, [s]))]),
      packet(trust, [upd(dead(trust, inc, now, [s, s]))]),
      packet(trust, [upd(dead(trust, ahead, now, [sAhead]))]),
      packet(trust, [upd(dead(trust, ahead, now, [sAhead, sAhead, sAhead]))]),
      packet(trust, [upd(captured)]),
    ];
    const valid = lies[0] as Uint8Array;
    const badSig = new Uint8Array(valid);
    badSig[badSig.length - 1] = (badSig[badSig.length - 1] ?? 0) ^ 0xff;
    const garbage = [randomBytes(1 + Math.floor(Math.random() * 1400)), valid.subarray(0, Math.floor(valid.length / 2)), valid.subarray(0, valid.length - 1), badSig, new Uint8Array(0)];
    for (const to of honestAddrs) for (const b of [...lies, ...garbage]) say(to, b);
    rounds++;
    await new Promise((r) => setTimeout(r, ROUND_MS));
  }
  t.log(`${rounds} rounds of lies to ${honestAddrs.length} agents`);

  // The victim stays (or is back to) alive everywhere; nobody ever buried it.
  t.true(await eventually(async () => (await Promise.all(agents.map((a) => a.stateOf(VICTIM)))).every((s) => s === 'alive'), 10_000), 'victim alive everywhere');
  for (const a of agents) {
    t.true(a.running, `${a.name} still running`);
    const deaths = a.lines.filter((l) => l.msg === 'member state' && l.member === VICTIM && l.to === 'dead');
    t.deepEqual(deaths, [], `${a.name} never logged the victim dead`);
    t.false(a.lines.some((l) => l.msg === 'member state' && l.to === 'dead'), `${a.name} buried nobody`);
    const rejected = a.lines.filter((l) => l.msg === 'gossip rejected');
    t.log(`${a.name}: victim suspected ${a.lines.filter((l) => l.msg === 'member state' && l.member === VICTIM && l.to === 'suspect').length} times, ${rejected.length} rejection lines`);
    const codes = new Set(rejected.map((l) => l.code));
    t.true(codes.has('NO_QUORUM'), `${a.name} rejected the deaths: ${[...codes].join(',')}`);
    t.true(codes.has('MALFORMED'), `${a.name} rejected the garbage: ${[...codes].join(',')}`);
    t.true(codes.has('BAD_SIGNATURE'), `${a.name} rejected the forged signature: ${[...codes].join(',')}`);
    const noQuorum = rejected.find((l) => l.code === 'NO_QUORUM');
    t.is(noQuorum?.level, 40);
    t.regex(String(noQuorum?.message), /death of h1 by liar/);
    // The flood is rate-limited: at most 20 lines a second plus one summary line a second.
    const span = (Date.now() - started) / 1000 + 5;
    t.true(rejected.length <= 20 * span, `${a.name}: ${rejected.length} rejection lines in ${span.toFixed(0)} s`);
    t.true(a.lines.some((l) => l.msg === 'gossip rejections suppressed'), `${a.name} counted what it did not log`);
    t.false(a.lines.some((l) => l.msg === 'gossip core threw'), `${a.name}: core threw`);
    t.deepEqual(a.raw, [], `${a.name}: no stray stderr`);
  }
  // Still one cluster: everyone (the liar too: lying is not a crash) is alive on every honest agent.
  t.true(await eventually(() => allSee(agents, everyone, 'alive'), 10_000));
  const st = await (agents[0] as AgentProc).status();
  t.true(((st.gossip as { driver: { rejections: number } }).driver.rejections ?? 0) > rounds, 'every lie was counted');
});
