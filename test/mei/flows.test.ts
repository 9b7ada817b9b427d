// amtinfo, unprovision and the MKHI/operational-state queries against the
// simulated ME; every injected fault ends in its typed error within the deadline
// with the connection closed.
import test from 'ava';
import { deadlineIn } from '../../agent/channels/types.ts';
import { monotonicMs } from '../../agent/clock.ts';
import { amtInfo } from '../../agent/mei/amtinfo.ts';
import { meFirmwareInfo } from '../../agent/mei/fwinfo.ts';
import { MEI_GUID } from '../../agent/mei/guid.ts';
import { getOperationalState, mkhiClient, getFwVersion, setOperationalState, watchdogClient } from '../../agent/mei/me-queries.ts';
import { getControlMode, getLocalSystemAccount, pthiClient, unprovision } from '../../agent/mei/pthi-queries.ts';
import { encodePthiRequest, pthiRequestCode } from '../../agent/mei/pthi.ts';
import { SimulatedMe, defaultAmtState, type SimFault } from '../fakes/me/firmware.ts';
import { simulatedAmtMachine } from '../fakes/me/machine.ts';
import { pthiReply, pthiSpec } from '../fakes/me/pthi.ts';
import { defaultMkhiConfig } from '../fakes/me/mkhi.ts';
import { probeAmtInBand } from '../../agent/probe/amt-live.ts';
import { merr, mok, type MeiBus, type MeiErrorCode } from '../../agent/mei/types.ts';
import type { Deadline } from '../../agent/channels/types.ts';

test('amtinfo on a pre-provisioned AMT 16.1 Corporate machine', async (t) => {
  const me = simulatedAmtMachine();
  const info = await amtInfo(me, deadlineIn(5000), {
    osInterfaces: () => ({ eno1: [{ mac: 'A4:BB:6D:01:02:AB', family: 'IPv4', address: '192.168.1.37' }] }),
  });
  t.deepEqual(info.errors, {});
  t.is(info.amt, '16.1.25');
  t.is(info.buildNumber, '2124');
  t.is(info.sku, '16392');
  t.is(info.features, 'AMT Pro Corporate');
  t.is(info.uuid, '12345678-9abc-def0-0123-456789abcdef');
  t.is(info.controlMode, 'not activated');
  t.is(info.provisioningState, 'pre-provisioning');
  t.is(info.operationalState, 'enabled');
  t.is(info.tlsOnLocalPorts, false);
  t.deepEqual(info.ras, { networkStatus: 'direct (LAN)', remoteStatus: 'not connected', remoteTrigger: 'user initiated', mpsHostname: '' });
  t.deepEqual(info.wiredAdapter, { isEnable: true, linkStatus: 'up', dhcpEnabled: true, dhcpMode: 'passive', ipAddress: '192.168.1.37', osIpAddress: '192.168.1.37', macAddress: 'a4:bb:6d:01:02:ab' });
  t.is(info.wirelessAdapter?.macAddress, '00:00:00:00:00:00');
  t.deepEqual(Object.keys(info.certificateHashes ?? {}), ['VeriSign Class 3 Primary CA-G5', 'Go Daddy Class 2 CA', 'Simulated SHA384 Root']);
  t.is(info.certificateHashes?.['Simulated SHA384 Root']?.Algorithm, 'SHA384');
  t.regex(info.certificateHashes?.['Simulated SHA384 Root']?.AlgorithmAmbiguity ?? '', /SHA512/);
  t.deepEqual(info.localSystemAccount, { exists: true, user: '$$OsAdmin' });
  t.false(JSON.stringify(info).includes(me.state.localSystemAccount.password));
  t.is(me.openConnections(MEI_GUID.PTHI), 0, 'closed when idle');
  t.is(me.connectCount(MEI_GUID.PTHI), 1, 'one connection held for all the questions');
});

test('amtinfo: ACM with TLS on local ports and AMT disabled; ME 15 has no operational state', async (t) => {
  const acm = simulatedAmtMachine({ state: { controlMode: 2, provisioningState: 2, tlsEnforcedOnLocalPorts: true, amtEnabled: false, dnsSuffix: 'corp.example' } });
  const a = await amtInfo(acm, deadlineIn(5000));
  t.is(a.controlMode, 'admin control mode');
  t.is(a.provisioningState, 'post-provisioning');
  t.is(a.operationalState, 'disabled');
  t.is(a.tlsOnLocalPorts, true);
  t.is(a.dnsSuffix, 'corp.example');
  const old = simulatedAmtMachine({ state: { amtVersion: '15.0.42', meVersion: { major: 15, minor: 0, hotfix: 42, build: 2000 } } });
  const o = await amtInfo(old, deadlineIn(5000));
  t.is(o.operationalState, undefined);
  t.regex(o.errors.operationalState?.message ?? '', /16\.1/);
  t.is(o.amt, '15.0.42');
});

test('one failed question does not lose the others', async (t) => {
  const me = simulatedAmtMachine({ state: { uuid: new Uint8Array(16) } });
  const info = await amtInfo(me, deadlineIn(5000));
  t.is(info.uuid, undefined);
  t.is(info.errors.uuid?.code, 'PROTOCOL');
  t.is(info.controlMode, 'not activated');
  t.is(info.features, 'AMT Pro Corporate');
  t.deepEqual(Object.keys(info.errors), ['uuid']);
});

test('no PTHI client: every PTHI field says NO_CLIENT, asked once', async (t) => {
  const me = new SimulatedMe({ clients: [] });
  const info = await amtInfo(me, deadlineIn(5000));
  t.is(info.amt, undefined);
  for (const k of ['amt', 'uuid', 'controlMode', 'wiredAdapter', 'certificateHashes', 'operationalState']) t.is(info.errors[k]?.code, 'NO_CLIENT', k);
  const live = await probeAmtInBand(me, deadlineIn(2000));
  t.true('unavailable' in live.amt && /PTHI/.test(live.amt.unavailable));
});

test('unprovision: CCM goes back to pre-provisioning; ACM is refused with status 3 and nothing changes', async (t) => {
  const ccm = simulatedAmtMachine({ state: { controlMode: 1, provisioningState: 2, adminDigest: 'ab'.repeat(16) } });
  const c = pthiClient(ccm);
  const r = await unprovision(c, deadlineIn(2000));
  t.true(r.ok);
  t.is(ccm.state.controlMode, 0);
  t.is(ccm.state.provisioningState, 0);
  t.deepEqual(ccm.state.journal, ['pthi: unprovision from control mode 1']);
  const mode = await getControlMode(c, deadlineIn(2000));
  t.deepEqual(mode, { ok: true, value: 0 });

  const acm = simulatedAmtMachine({ state: { controlMode: 2, provisioningState: 2 } });
  const a = await unprovision(pthiClient(acm), deadlineIn(2000));
  t.deepEqual(a.ok ? null : [a.error.code, a.error.status], ['STATUS', 3]);
  t.is(acm.state.controlMode, 2);
  t.deepEqual(acm.state.journal, ['pthi: unprovision refused (admin control mode)']);
});

test('local system account: the password reaches the caller, never the JSON', async (t) => {
  const me = simulatedAmtMachine();
  const r = await getLocalSystemAccount(pthiClient(me), deadlineIn(2000));
  if (!r.ok) return t.fail(r.error.message);
  t.is(r.value.revealPassword(), me.state.localSystemAccount.password);
  t.is(JSON.stringify(r.value), '{"user":"$$OsAdmin"}');
});

test('MKHI firmware version and capability rules; a rule the platform lacks is an error, not a loss', async (t) => {
  const cfg = defaultMkhiConfig();
  cfg.rules.delete(39);
  const me = simulatedAmtMachine({ mkhi: cfg });
  const fw = await meFirmwareInfo(me, deadlineIn(5000));
  t.is(fw.fwVersion, '16.1.25.2124');
  t.true(fw.fwCaps.capable?.amt === true && fw.fwCaps.capable.kvm === true && fw.fwCaps.capable.hap === false);
  t.true(fw.fwCaps.enabled?.amt);
  t.is(fw.fwCaps.available, undefined);
  t.deepEqual([fw.errors['fwCaps.available']?.code, fw.errors['fwCaps.available']?.status], ['STATUS', 0x81]);
  const live = await probeAmtInBand(me, deadlineIn(5000));
  t.true('fwVersion' in live.mei && live.mei.fwVersion === '16.1.25.2124');
  t.true('amt' in live.amt && live.amt.amt === '16.1.25');
});

test('operational state set through the watchdog client is journaled and read back', async (t) => {
  const me = simulatedAmtMachine({ state: { amtEnabled: false } });
  const wd = watchdogClient(me);
  t.true((await setOperationalState(wd, true, deadlineIn(2000))).ok);
  const s = await getOperationalState(wd, deadlineIn(2000));
  t.true(s.ok && s.value.amtEnabled === true);
  t.deepEqual(me.state.journal, ['wd: operational state enabled']);
});

test('the simulated PTHI is strict: wrong header version or length answers status 4', async (t) => {
  const me = simulatedAmtMachine();
  const conn = await me.connect(MEI_GUID.PTHI, deadlineIn(1000));
  if (!conn.ok) return t.fail();
  const req = Buffer.from(encodePthiRequest(pthiRequestCode(0x6b)));
  req[0] = 2;
  await conn.value.send(req, deadlineIn(1000));
  const r1 = await conn.value.receive(deadlineIn(1000));
  t.is(r1.ok ? Buffer.from(r1.value).readUInt32LE(12) : -1, 4);
  const padded = Buffer.concat([Buffer.from(encodePthiRequest(pthiRequestCode(0x6b))), Buffer.alloc(4)]);
  await conn.value.send(padded, deadlineIn(1000));
  const r2 = await conn.value.receive(deadlineIn(1000));
  t.is(r2.ok ? Buffer.from(r2.value).readUInt32LE(12) : -1, 4);
  const second = await me.connect(MEI_GUID.PTHI, deadlineIn(1000));
  t.true(!second.ok && second.error.code === 'BUSY', 'single connection');
  const big = await conn.value.send(new Uint8Array(5121), deadlineIn(1000));
  t.true(!big.ok && big.error.code === 'PROTOCOL', 'longer than max_msg_length');
  conn.value.close();
  t.is(me.openConnections(MEI_GUID.PTHI), 0);
});

const faults: [SimFault, MeiErrorCode][] = [
  [{ kind: 'drop-reply' }, 'TIMEOUT'],
  [{ kind: 'no-answer' }, 'TIMEOUT'],
  [{ kind: 'wrong-length' }, 'PROTOCOL'],
  [{ kind: 'wrong-command' }, 'PROTOCOL'],
  [{ kind: 'reset' }, 'RESET'],
  [{ kind: 'busy', count: 1 }, 'BUSY'],
];

for (const [fault, code] of faults) {
  test(`fault ${fault.kind}: PTHI answers ${code} within the deadline, connection closed, next request clean`, async (t) => {
    const me = simulatedAmtMachine({ state: { controlMode: 1 } });
    const c = pthiClient(me);
    me.inject(MEI_GUID.PTHI, fault);
    const start = monotonicMs();
    const r = await getControlMode(c, deadlineIn(300));
    const took = monotonicMs() - start;
    t.false(r.ok);
    if (!r.ok) t.is(r.error.code, code);
    t.true(took < 1000, `took ${took} ms`); // the 300 ms deadline plus slack for a loaded machine
    t.is(me.openConnections(MEI_GUID.PTHI), 0);
    if (fault.kind === 'no-answer') me.clearFaults();
    // A late reply to the dropped request must not be taken as the next one's answer.
    const again = await getControlMode(c, deadlineIn(1000));
    t.deepEqual(again, { ok: true, value: 1 });
  });
}

test('faults on MKHI and the watchdog client: typed errors, connections closed', async (t) => {
  const me = simulatedAmtMachine();
  me.inject(MEI_GUID.MKHI, { kind: 'wrong-command' });
  const v = await getFwVersion(mkhiClient(me), deadlineIn(500));
  t.true(!v.ok && v.error.code === 'PROTOCOL');
  me.inject(MEI_GUID.WATCHDOG, { kind: 'wrong-length' });
  const s = await getOperationalState(watchdogClient(me), deadlineIn(500));
  t.true(!s.ok && s.error.code === 'PROTOCOL');
  me.inject(MEI_GUID.WATCHDOG, { kind: 'wrong-command' });
  const set = await setOperationalState(watchdogClient(me), false, deadlineIn(500));
  t.true(!set.ok && set.error.code === 'PROTOCOL');
  t.deepEqual(me.state.journal, ['wd: operational state disabled'], 'the firmware acted: the caller must re-read, not assume');
  t.is(me.openConnections(MEI_GUID.MKHI) + me.openConnections(MEI_GUID.WATCHDOG), 0);
});

test('amtinfo under a fault mid-way keeps the other answers', async (t) => {
  const me = new SimulatedMe({ clients: [pthiSpec()], state: defaultAmtState() });
  const info = await amtInfo(me, deadlineIn(5000), { perQueryMs: 200 });
  t.is(info.amt, '16.1.25');
  t.is(info.errors.operationalState?.code, 'NO_CLIENT', 'no watchdog client on this fake');
  me.inject(MEI_GUID.PTHI, { kind: 'reset' });
  const again = await amtInfo(me, deadlineIn(5000), { perQueryMs: 200 });
  t.is(again.errors.amt?.code, 'RESET');
  t.is(again.uuid, '12345678-9abc-def0-0123-456789abcdef');
  t.is(me.openConnections(MEI_GUID.PTHI), 0);
});

test('the client queue keeps one request in flight', async (t) => {
  const me = simulatedAmtMachine({ state: { controlMode: 1, provisioningState: 2 } });
  const c = pthiClient(me);
  const [a, b, d] = await Promise.all([getControlMode(c, deadlineIn(1000)), getControlMode(c, deadlineIn(1000)), getControlMode(c, deadlineIn(1000))]);
  t.deepEqual([a, b, d], [{ ok: true, value: 1 }, { ok: true, value: 1 }, { ok: true, value: 1 }]);
  t.is(me.openConnections(MEI_GUID.PTHI), 0);
  t.is(me.connectCount(MEI_GUID.PTHI), 1);
});

test('a write refused with RESET is sent again on a new connection (nothing was delivered), boundedly', async (t) => {
  const me = simulatedAmtMachine({ state: { controlMode: 1 } });
  let refuse = 1;
  const flaky: MeiBus = {
    describe: () => 'flaky',
    async connect(guid, d) {
      const c = await me.connect(guid, d);
      if (!c.ok || refuse-- <= 0) return c;
      const real = c.value;
      return mok({ ...real, maxMessageLength: real.maxMessageLength, protocolVersion: real.protocolVersion, send: async () => merr('RESET', 'ENODEV'), receive: (dd: Deadline) => real.receive(dd), close: () => real.close() });
    },
  };
  t.deepEqual(await getControlMode(pthiClient(flaky), deadlineIn(1000)), { ok: true, value: 1 });
  t.is(me.connectCount(MEI_GUID.PTHI), 2);
  t.is(me.openConnections(MEI_GUID.PTHI), 0);
  refuse = 100;
  const r = await getControlMode(pthiClient(flaky), deadlineIn(1000));
  t.true(!r.ok && r.error.code === 'RESET');
  t.is(me.connectCount(MEI_GUID.PTHI), 5, 'first try and two more, no further');
  t.is(me.openConnections(MEI_GUID.PTHI), 0);
});

test('a placeholder UUID falls back to the SMBIOS product_uuid, saying so; a placeholder there too stays an error', async (t) => {
  const me = simulatedAmtMachine({ state: { uuid: new Uint8Array(16).fill(0xff) } });
  const a = await amtInfo(me, deadlineIn(5000), { fallbackUuid: () => '4c4c4544-0042-3510-8052-b4c04f4e3332' });
  t.is(a.uuid, '4c4c4544-0042-3510-8052-b4c04f4e3332');
  t.regex(a.raw.uuidSource ?? '', /^SMBIOS product_uuid \(PTHI: .*placeholder/);
  t.is(a.errors.uuid, undefined);
  const b = await amtInfo(me, deadlineIn(5000), { fallbackUuid: () => '03000200-0400-0500-0006-000700080009' });
  t.is(b.uuid, undefined);
  t.is(b.errors.uuid?.code, 'PROTOCOL');
});

test('GetCodeVersions NOT_READY early in boot is asked again, boundedly', async (t) => {
  let notReady = 2;
  const spec = pthiSpec();
  const wrapped = {
    ...spec,
    create: (peer: Parameters<typeof spec.create>[0], st: Parameters<typeof spec.create>[1]) => {
      const inner = spec.create(peer, st);
      return {
        onMessage: (m: Uint8Array) => {
          if (Buffer.from(m).readUInt32LE(4) === 0x0400001a && notReady-- > 0) peer.push(pthiReply(0x0400001a, 2));
          else inner.onMessage(m);
        },
      };
    },
  };
  const me = new SimulatedMe({ clients: [wrapped] });
  const a = await amtInfo(me, deadlineIn(5000), { notReadyPauseMs: 20 });
  t.is(a.amt, '16.1.25');
  notReady = 100;
  const start = monotonicMs();
  const b = await amtInfo(me, deadlineIn(5000), { notReadyPauseMs: 20, notReadyRetries: 2 });
  t.deepEqual([b.errors.amt?.code, b.errors.amt?.status], ['STATUS', 2]);
  t.is(notReady, 97, 'asked three times, no more');
  t.true(monotonicMs() - start < 1000);
  t.is(b.controlMode, 'not activated', 'the other questions still asked');
});

for (const [fault, code] of faults) {
  test(`fault ${fault.kind} on MKHI and on the watchdog client: ${code}, closed, within the deadline`, async (t) => {
    const me = simulatedAmtMachine();
    const asks: [string, () => Promise<{ ok: boolean; error?: { code: string } }>][] = [
      [MEI_GUID.MKHI, () => getFwVersion(mkhiClient(me), deadlineIn(250))],
      // The get reply is one flags byte with no command code, so its wrong-command fault is the set's.
      [MEI_GUID.WATCHDOG, () => (fault.kind === 'wrong-command' ? setOperationalState(watchdogClient(me), true, deadlineIn(250)) : getOperationalState(watchdogClient(me), deadlineIn(250)))],
    ];
    for (const [guid, ask] of asks) {
      me.clearFaults();
      me.inject(guid, fault);
      const start = monotonicMs();
      const r = await ask();
      t.is(r.ok ? 'ok' : r.error?.code, code, guid);
      t.true(monotonicMs() - start < 400);
      t.is(me.openConnections(guid), 0);
    }
  });
}
