// The PDU channel's failures: wrong credentials (not retried, or bounded by
// the deadline when the agent stays silent), a dead or mute endpoint (the
// deadline honoured, measured), malformed replies (PROTOCOL), a busy agent
// (retried), wrong outlets (CONFIG), and the power-on delay.
import test from 'ava';
import { deadlineIn } from '../../agent/channels/types.ts';
import { PduAgent } from '../fakes/snmp-pdu/agent.ts';
import { blackHole, channel, COMMUNITY, open, setsSeen, v2c, v3, V3 } from '../fakes/snmp-pdu/harness.ts';

const TWO = [
  { name: 'web1-psuA', power: 'on' as const },
  { name: 'web1-psuB', power: 'on' as const },
];

test('v2c, wrong community: the agent stays silent; TIMEOUT within the deadline, a bounded number of datagrams, the community in no message', async (t) => {
  const pdu = await PduAgent.start({ profile: 'apc2', outlets: TWO, community: COMMUNITY });
  t.teardown(() => pdu.close());
  const wrong = 'not-the-Community-99';
  const ch = channel(v2c(pdu.port, '1,2', {}, wrong));
  const started = performance.now();
  const r = await ch.off(deadlineIn(6000));
  const took = performance.now() - started;
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.error.code, 'TIMEOUT');
  t.regex(r.error.message, /wrong community/);
  t.true(took <= 6000 + 150, `took ${Math.round(took)} ms`);
  t.log(`wrong community: ${r.error.attempts} attempts, ${pdu.rejected} datagrams refused, ${Math.round(took)} ms of a 6000 ms deadline`);
  t.true(pdu.rejected <= 2 * r.error.attempts && r.error.attempts <= 4, `${pdu.rejected} datagrams in ${r.error.attempts} attempts`);
  t.is(pdu.log.length, 0, 'nothing served');
  t.deepEqual(pdu.power(), ['on', 'on']);
  for (const s of [r.error.message, ...r.error.steps, ch.describe().target]) {
    t.false(s.includes(wrong));
    t.false(s.includes(COMMUNITY));
  }
});

test('v3, wrong auth key or priv key: AUTH, one attempt, no retry storm', async (t) => {
  const pdu = await PduAgent.start({ profile: 'apc2', outlets: TWO, user: V3 });
  t.teardown(() => pdu.close());
  for (const keys of [{ authKey: 'wrong-Auth-key-0001', privKey: V3.privKey }, { authKey: V3.authKey, privKey: 'wrong-Priv-key-0002' }]) {
    const before = pdu.rejected;
    const ch = channel(v3(pdu.port, '1,2', keys));
    const started = performance.now();
    const r = await ch.off(deadlineIn(10_000));
    const took = performance.now() - started;
    t.false(r.ok);
    if (r.ok) continue;
    t.is(r.error.code, 'AUTH', r.error.message);
    t.is(r.error.attempts, 1, 'AUTH is not retried');
    t.true(pdu.rejected - before <= 2, `${pdu.rejected - before} datagrams refused`);
    t.true(took < 4500, `took ${Math.round(took)} ms`);
    t.log(`wrong ${keys.authKey === V3.authKey ? 'priv' : 'auth'} key: AUTH after ${Math.round(took)} ms, ${pdu.rejected - before} datagrams refused`);
    for (const s of [r.error.message, ch.describe().target]) for (const k of [keys.authKey, keys.privKey, V3.authKey, V3.privKey]) t.false(s.includes(k));
  }
  t.deepEqual(pdu.power(), ['on', 'on']);
});

test('v3, unknown user: the usmStatsUnknownUserNames report is AUTH at once', async (t) => {
  const pdu = await PduAgent.start({ profile: 'eaton', outlets: TWO, user: V3 });
  t.teardown(() => pdu.close());
  const r = await channel(v3(pdu.port, '1', V3, 'intruder')).status(deadlineIn(5000));
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'AUTH');
    t.regex(r.error.message, /unknown user/);
    t.true(r.error.elapsedMs < 500);
  }
});

test('unreachable: a closed port and a mute one both end at the deadline (TIMEOUT), measured', async (t) => {
  const mute = await blackHole();
  t.teardown(() => mute.close());
  const closed = await blackHole();
  const closedPort = closed.port;
  await closed.close();
  for (const [label, port] of [['closed port', closedPort], ['mute endpoint', mute.port]] as const) {
    const ch = channel(v2c(port, '1,2'));
    const started = performance.now();
    const r = await ch.status(deadlineIn(1500));
    const took = performance.now() - started;
    t.false(r.ok);
    if (!r.ok) t.is(r.error.code, 'TIMEOUT');
    t.true(took >= 1300 && took <= 1500 + 150, `${label}: ${Math.round(took)} ms`);
    t.log(`${label}: TIMEOUT after ${Math.round(took)} ms of a 1500 ms deadline`);
    await ch.close(deadlineIn(100));
  }
  t.true(mute.received() >= 1 && mute.received() <= 4, `${mute.received()} datagrams to the mute endpoint`);
});

test('malformed replies: a state served as a string, or an integer outside the MIB enumeration, is PROTOCOL (not retried)', async (t) => {
  for (const fault of ['string-state', 'out-of-range'] as const) {
    for (const profile of ['apc', 'sentry3'] as const) {
      const pdu = await PduAgent.start({ profile, outlets: TWO, community: COMMUNITY, fault });
      const r = await channel(v2c(pdu.port, '1,2')).status(deadlineIn(3000));
      t.false(r.ok, `${profile} ${fault}`);
      if (!r.ok) {
        t.is(r.error.code, 'PROTOCOL', `${profile} ${fault}: ${r.error.message}`);
        t.is(r.error.attempts, 1);
      }
      await pdu.close();
    }
  }
});

test('a busy agent (genErr) is retried within the deadline', async (t) => {
  const pdu = await PduAgent.start({ profile: 'raritan', outlets: TWO, community: COMMUNITY });
  t.teardown(() => pdu.close());
  const ch = channel(v2c(pdu.port, '1,2'));
  t.true((await ch.status(deadlineIn(3000))).ok);
  pdu.busy = 1;
  const r = await ch.off(deadlineIn(5000));
  t.true(r.ok && r.value.state === 'off', JSON.stringify(r));
  if (r.ok) t.true(r.value.steps.some((s) => s.startsWith('busy, retrying')), r.value.steps.join('|'));
});

test('wrong outlets: a number the PDU lacks (noSuchInstance), an unknown or ambiguous name, a row index of the wrong shape: CONFIG', async (t) => {
  const pdu = await PduAgent.start({ profile: 'apc', outlets: [...TWO, { name: 'web1-psuA', power: 'on' }], community: COMMUNITY });
  t.teardown(() => pdu.close());
  const cases: [string, RegExp][] = [
    ['1,9', /no such outlet/],
    ['web9-psuA', /no outlet is named "web9-psuA" \(the PDU has 1=web1-psuA, 2=web1-psuB, 3=web1-psuA\)/],
    ['web1-psuA', /on 2 outlets/],
    ['1.1', /1 index components/],
  ];
  for (const [outlet, re] of cases) {
    const r = await channel(v2c(pdu.port, outlet)).off(deadlineIn(3000));
    t.false(r.ok, outlet);
    if (!r.ok) {
      t.is(r.error.code, 'CONFIG', `${outlet}: ${r.error.message}`);
      t.regex(r.error.message, re);
    }
  }
  t.deepEqual(pdu.sets(), [], 'nothing was switched');
  const bad = (await import('../../agent/channels/pdu/index.ts')).pduChannel.open(v2c(pdu.port, '1,,2'));
  t.false(bad.ok);
});

test('power-on delay (APC rPDU): delayedOn is sent, the node reads transitioning until the PDU switches, on verified after the delay', async (t) => {
  const pdu = await PduAgent.start({ profile: 'apc', outlets: TWO.map((o) => ({ ...o, power: 'off' as const, onDelay: 1 })), community: COMMUNITY });
  t.teardown(() => pdu.close());
  const driver = open(v2c(pdu.port, '1,2'));
  const sent = await driver.request('on', deadlineIn(5000));
  t.true(sent.ok, JSON.stringify(sent));
  t.deepEqual(setsSeen(pdu), ['1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.1=4', '1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.2=4'], 'delayedOn(4), so the PDU applies rPDUOutletConfigPowerOnTime');
  const during = await driver.status(deadlineIn(2000));
  t.deepEqual(during, { ok: true, value: 'transitioning' });
  await driver.close(deadlineIn(100));

  // Through the ladder: on from off is not judged before the 1 s delay has run.
  const pdu2 = await PduAgent.start({ profile: 'apc', outlets: TWO.map((o) => ({ ...o, power: 'off' as const, onDelay: 1 })), community: COMMUNITY });
  t.teardown(() => pdu2.close());
  const ch = channel(v2c(pdu2.port, '1,2'));
  const r = await ch.on(deadlineIn(5000));
  t.true(r.ok && r.value.state === 'on', JSON.stringify(r));
  if (r.ok) t.true(r.value.elapsedMs >= 950, `verified after ${r.value.elapsedMs} ms`);
});

test('power-on delay longer than the deadline: STATE at once (the PDU still switches later); Eaton writes the delay into outletControlOnCmd', async (t) => {
  // A 3 s delay against a 2 s deadline: room for the exchanges on a loaded machine, none for the delay.
  const pdu = await PduAgent.start({ profile: 'eaton', outlets: TWO.map((o) => ({ ...o, power: 'off' as const, onDelay: 3 })), community: COMMUNITY });
  t.teardown(() => pdu.close());
  const ch = channel(v2c(pdu.port, '1,2'));
  const r = await ch.on(deadlineIn(2000));
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'STATE');
    t.regex(r.error.message, /power-on delay \(3 s\)/);
    t.true(r.error.elapsedMs < 1500, `${r.error.elapsedMs} ms`);
  }
  t.deepEqual(setsSeen(pdu), ['1.3.6.1.4.1.534.6.6.7.6.6.1.4.0.1=3', '1.3.6.1.4.1.534.6.6.7.6.6.1.4.0.2=3']);
  t.deepEqual(pdu.power(), ['starting', 'starting'], 'pendingOn on the PDU');
  await new Promise((res) => setTimeout(res, 3300));
  t.deepEqual(pdu.power(), ['on', 'on']);
});

test('a node on outlets that disagree (first read) is powered: off switches every outlet and verifies all off', async (t) => {
  const pdu = await PduAgent.start({ profile: 'sentry4', outlets: [{ name: 'a', power: 'on' }, { name: 'b', power: 'off' }], community: COMMUNITY });
  t.teardown(() => pdu.close());
  const ch = channel(v2c(pdu.port, 'a,b'));
  const r = await ch.off(deadlineIn(5000));
  t.true(r.ok && r.value.state === 'off', JSON.stringify(r));
  if (r.ok) t.is(r.value.steps[0], 'status on');
  t.is(pdu.sets().length, 2, 'the off goes to both outlets');
  t.deepEqual(pdu.power(), ['off', 'off']);
});
