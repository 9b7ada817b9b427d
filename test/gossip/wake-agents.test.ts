// Wake-on-LAN through gossip, end to end with agent processes on loopback: a
// node asks its own daemon (`agent oob wol on --relay-socket S --via-peers
// NODE`), the daemon asks live members over signed gossip, and a member sends
// the magic packet to its heal.wakeTarget, here a listening "NIC" on
// 127.0.0.1. Refused while the node is alive; done once it is dead.
import test from 'ava';
import { eventually, freePort, hostPort, makeOrg, startAgent, allSee } from '../helpers/agents.ts';
import { runAgent } from '../helpers/run.ts';
import { FakeNic } from '../fakes/wol/nic.ts';

const MAC = '52:54:00:00:0a:02';

test('a member wakes a dead peer for another member; while the peer lives, nobody sends anything', async (t) => {
  t.timeout(90_000);
  const nic = await FakeNic.start({ mac: MAC });
  t.teardown(() => nic.close());
  const org = makeOrg();
  const names = ['w0', 'w1', 'w2'];
  const addrs: string[] = [];
  for (let i = 0; i < names.length; i++) addrs.push(hostPort(`127.0.0.${40 + i}`, await freePort(`127.0.0.${40 + i}`)));
  const heal = { heal: { wakeTarget: `127.0.0.1:${nic.port}` } };
  const agents = names.map((name, i) => startAgent(t, org, { name, bind: addrs[i] as string, seeds: [addrs[0] as string] }, heal));
  await Promise.all(agents.map((a) => a.waitForLog((l) => l.msg === 'agent ready', 30_000, "'agent ready'")));
  const [w0, w1, w2] = agents;
  if (!w0 || !w1 || !w2) return t.fail('three agents');
  t.true(await eventually(() => allSee(agents, names, 'alive'), 20_000), 'all alive everywhere');

  const ask = () => runAgent(['oob', 'wol', 'on', '--mac', MAC, '--relay-socket', w0.socket, '--via-peers', 'w2', '--unverified-ok', '--json', '--timeout', '3']);
  const early = await ask();
  t.is(early.code, 1);
  t.regex(early.out, /"code":"STATE"/);
  t.is(nic.log.length, 0, 'nothing sent for a live member');

  w2.kill('SIGKILL');
  t.true(await eventually(async () => (await w0.stateOf('w2')) === 'dead' && (await w1.stateOf('w2')) === 'dead', 20_000), 'w2 dead on w0 and w1');
  const r = await ask();
  t.is(r.code, 0, r.err);
  t.like(JSON.parse(r.out), { channel: 'wol', action: 'on', verified: false });
  t.true(await nic.waitFor(1, 5000), 'the magic packet arrived');
  t.true(nic.log.every((p) => p.woke), 'every packet was for the MAC asked');
  const relayed = await w1.waitForLog((l) => l.msg === 'wol relayed for a peer', 5000, 'the relay line on w1');
  t.like(relayed, { asker: 'w0', subject: 'w2', mac: MAC });
  t.false(w0.lines.some((l) => l.msg === 'wol relayed for a peer'), 'the asker does not send itself');
});
