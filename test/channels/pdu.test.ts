// The PDU channel against the test PDU (net-snmp's agent serving each vendor's
// MIB tables), one node on two outlets of three: detection from sysObjectID,
// name resolution, and status/off/on/cycle through verify.ts's Channel.
import test from 'ava';
import { deadlineIn } from '../../agent/channels/types.ts';
import { PduAgent } from '../fakes/snmp-pdu/agent.ts';
import { channel, setsSeen, v2c, v3, V3 } from '../fakes/snmp-pdu/harness.ts';
import type { ProfileName } from '../fakes/snmp-pdu/profiles.ts';

/** Per profile: the model detect() must pick, and the SET the fake must see for "off" on outlet 2 (MIB column.instance=value). */
const CASES: { profile: ProfileName; model: RegExp; off2: string; on2: string }[] = [
  { profile: 'apc', model: /APC rPDU \(/, off2: '1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.2=2', on2: '1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.2=1' },
  { profile: 'apc2', model: /APC rPDU2/, off2: '1.3.6.1.4.1.318.1.1.26.9.2.4.1.5.2=2', on2: '1.3.6.1.4.1.318.1.1.26.9.2.4.1.5.2=1' },
  { profile: 'raritan', model: /Raritan PDU2-MIB/, off2: '1.3.6.1.4.1.13742.6.4.1.2.1.2.1.2=0', on2: '1.3.6.1.4.1.13742.6.4.1.2.1.2.1.2=1' },
  { profile: 'eaton', model: /Eaton ePDU/, off2: '1.3.6.1.4.1.534.6.6.7.6.6.1.3.0.2=0', on2: '1.3.6.1.4.1.534.6.6.7.6.6.1.4.0.2=0' },
  { profile: 'sentry3', model: /Sentry3-MIB/, off2: '1.3.6.1.4.1.1718.3.2.3.1.11.1.1.2=2', on2: '1.3.6.1.4.1.1718.3.2.3.1.11.1.1.2=1' },
  { profile: 'sentry4', model: /Sentry4-MIB/, off2: '1.3.6.1.4.1.1718.4.1.8.5.1.2.1.1.2=2', on2: '1.3.6.1.4.1.1718.4.1.8.5.1.2.1.1.2=1' },
  { profile: 'cyberpower', model: /CyberPower ePDU/, off2: '1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4.2=2', on2: '1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4.2=1' },
];

const OUTLETS = [
  { name: 'web1-psuA', power: 'on' as const },
  { name: 'web1-psuB', power: 'on' as const },
  { name: 'db2-psuA', power: 'on' as const },
];

for (const c of CASES) {
  test(`${c.profile}: detected from sysObjectID; status, off, on, cycle on outlets named web1-psuA,web1-psuB`, async (t) => {
    const pdu = await PduAgent.start({ profile: c.profile, outlets: OUTLETS, delayMs: 60, community: 'pdu-C0mmunity-7731' });
    t.teardown(() => pdu.close());
    const ch = channel(v2c(pdu.port, 'web1-psuA,web1-psuB'));
    t.teardown(() => ch.close(deadlineIn(500)));

    const st = await ch.status(deadlineIn(5000));
    t.true(st.ok && st.value.state === 'on', JSON.stringify(st));
    t.regex(ch.describe().target, c.model);

    const off = await ch.off(deadlineIn(5000));
    t.true(off.ok && off.value.verified && off.value.state === 'off', JSON.stringify(off));
    t.deepEqual(pdu.power(), ['off', 'off', 'on'], 'both feeds of web1 off, the neighbour untouched');
    t.true(setsSeen(pdu).includes(c.off2), setsSeen(pdu).join(' '));
    t.is(pdu.sets().length, 2, 'one SET varbind per outlet');

    const on = await ch.on(deadlineIn(5000));
    t.true(on.ok && on.value.state === 'on', JSON.stringify(on));
    t.deepEqual(pdu.power(), ['on', 'on', 'on']);
    t.true(setsSeen(pdu).includes(c.on2), setsSeen(pdu).join(' '));

    const cyc = await ch.cycle(deadlineIn(8000));
    t.true(cyc.ok && cyc.value.state === 'on', JSON.stringify(cyc));
    if (cyc.ok) t.deepEqual(cyc.value.steps.filter((s) => s.endsWith('sent') || s.endsWith('verified')), ['off sent', 'off verified', 'on sent', 'on verified']);
    t.deepEqual(pdu.outlets[0]?.machine.requests, ['off', 'on', 'off', 'on']);
    t.deepEqual(pdu.outlets[2]?.machine.requests, [], 'db2 never switched');
    t.is(pdu.rejected, 0);

    const reset = await ch.reset(deadlineIn(2000));
    t.false(reset.ok);
    if (!reset.ok) t.is(reset.error.code, 'UNSUPPORTED');
  });
}

test('outlets by number reach the same rows as by name (Eaton: strapping index 0)', async (t) => {
  const pdu = await PduAgent.start({ profile: 'eaton', outlets: OUTLETS, community: 'pdu-C0mmunity-7731' });
  t.teardown(() => pdu.close());
  const ch = channel(v2c(pdu.port, '2,3'));
  const off = await ch.off(deadlineIn(5000));
  t.true(off.ok, JSON.stringify(off));
  t.deepEqual(pdu.power(), ['on', 'off', 'off']);
  t.regex(ch.describe().target, /outlets 0\.2,0\.3/);
  await ch.close(deadlineIn(500));
});

test('SNMPv3 authPriv (SHA/AES): APC rPDU2 and Sentry4 cycle', async (t) => {
  for (const profile of ['apc2', 'sentry4'] as const) {
    const pdu = await PduAgent.start({ profile, outlets: OUTLETS, delayMs: 30, user: V3 });
    t.teardown(() => pdu.close());
    const ch = channel(v3(pdu.port, 'web1-psuA,web1-psuB'));
    const cyc = await ch.cycle(deadlineIn(8000));
    t.true(cyc.ok && cyc.value.state === 'on', `${profile} ${JSON.stringify(cyc)}`);
    t.deepEqual(pdu.outlets[1]?.machine.requests, ['off', 'on']);
    t.is(pdu.rejected, 0);
    await ch.close(deadlineIn(500));
  }
});

test('--vendor overrides an unknown sysObjectID; without it the sysObjectID is named in a CONFIG error', async (t) => {
  const pdu = await PduAgent.start({ profile: 'apc2', outlets: OUTLETS, community: 'pdu-C0mmunity-7731', sysObjectId: '1.3.6.1.4.1.8072.3.2.10' });
  t.teardown(() => pdu.close());
  const plain = channel(v2c(pdu.port, '1'));
  const r = await plain.status(deadlineIn(3000));
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'CONFIG');
    t.regex(r.error.message, /1\.3\.6\.1\.4\.1\.8072\.3\.2\.10/);
    t.is(r.error.attempts, 1, 'not retried');
  }
  const forced = channel(v2c(pdu.port, '1', { params: { vendor: 'apc' } }));
  const s = await forced.status(deadlineIn(3000));
  t.true(s.ok && s.value.state === 'on', JSON.stringify(s));
  t.regex(forced.describe().target, /rPDU2/);
});
