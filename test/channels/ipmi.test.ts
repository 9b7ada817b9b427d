// The IPMI channel against a real BMC implementation, ipmi_sim (openipmi), on
// loopback, with ipmitool -I lanplus as the independent client: after each of
// our actions both must see the same power state, and so must the machine
// (the state file ipmi_sim's chassis_control hook writes).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { ipmiChannel } from '../../agent/channels/ipmi/index.ts';
import { deadlineIn, type ChannelResult, type PowerDriver } from '../../agent/channels/types.ts';
import { Channel, type VerifyTiming } from '../../agent/channels/verify.ts';
import { IpmiClient } from '../../agent/ipmi/client.ts';
import { startSim, type Sim } from '../ipmi/sim.ts';

const run = promisify(execFile);
const FAST: VerifyTiming = { pollMs: 200, backoffMs: 100, backoffMaxMs: 400, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

async function ipmitool(sim: Sim, suite: number, user: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('ipmitool', ['-I', 'lanplus', '-C', String(suite), '-H', sim.host, '-p', String(sim.port), '-U', user, '-f', sim.passwordFile, '-N', '1', '-R', '2', ...args], { timeout: 15_000 });
  return stdout.trim();
}
const ipmitoolPower = async (sim: Sim): Promise<'on' | 'off'> => {
  const out = await ipmitool(sim, 3, 'admin', 'chassis', 'power', 'status');
  if (out === 'Chassis Power is on') return 'on';
  if (out === 'Chassis Power is off') return 'off';
  throw new Error(`ipmitool said ${out}`);
};

function open(sim: Sim, user = 'admin', password = sim.password): PowerDriver {
  const d = ipmiChannel.open({ host: sim.host, port: sim.port, user, password });
  if (!d.ok) throw new Error(d.error.message);
  return d.value;
}

const value = <T>(r: ChannelResult<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

async function until(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test.serial('status, on, off, cycle and reset change ipmi_sim\'s machine; ipmitool agrees after each', async (t) => {
  const sim = await startSim();
  t.teardown(() => sim.stop());
  const drv = open(sim);
  const d = () => deadlineIn(5000);

  t.is(value(await drv.status(d())), 'off');
  t.is(await ipmitoolPower(sim), 'off');

  value(await drv.request('on', d()));
  t.is(sim.power(), 'on');
  t.is(value(await drv.status(d())), 'on');
  t.is(await ipmitoolPower(sim), 'on');

  value(await drv.request('reset', d()));
  t.is(sim.resets(), 1);
  t.is(value(await drv.status(d())), 'on');
  t.is(await ipmitoolPower(sim), 'on');

  value(await drv.request('off', d()));
  t.is(sim.power(), 'off');
  t.is(value(await drv.status(d())), 'off');
  t.is(await ipmitoolPower(sim), 'off');

  // ipmi_sim's cycle powers down, then up about a second later (also from off).
  value(await drv.request('cycle', d()));
  t.true(await until(4000, async () => value(await drv.status(d())) === 'on'));
  t.is(await ipmitoolPower(sim), 'on');
  t.is(sim.power(), 'on');

  // And the other way round: ipmitool acts, we read.
  await ipmitool(sim, 3, 'admin', 'chassis', 'power', 'off');
  t.is(value(await drv.status(d())), 'off');
  await drv.close(d());
});

test.serial('the fencing ladder (verify.ts) over IPMI: cycle from on, off when off, reset', async (t) => {
  const sim = await startSim({ initialPower: 'on' });
  t.teardown(() => sim.stop());
  const ch = new Channel(open(sim), FAST);
  t.teardown(() => ch.close(deadlineIn(1000)));

  const cyc = await ch.cycle(deadlineIn(10_000));
  t.true(cyc.ok, JSON.stringify(cyc));
  if (cyc.ok) t.deepEqual(cyc.value.steps, ['status on', 'off sent', 'off verified', 'status off', 'on sent', 'on verified']);
  t.is(await ipmitoolPower(sim), 'on');

  const off = await ch.off(deadlineIn(5000));
  t.true(off.ok && off.value.verified);
  const again = await ch.off(deadlineIn(5000));
  t.true(again.ok);
  if (again.ok) t.deepEqual(again.value.steps, ['status off', 'already off']);
  t.is(await ipmitoolPower(sim), 'off');

  const reset = await ch.reset(deadlineIn(5000));
  t.true(reset.ok, JSON.stringify(reset));
  t.is(await ipmitoolPower(sim), 'on');
});

test.serial('one session serves many calls, close() ends it, and a forgotten session is re-opened', async (t) => {
  const sim = await startSim();
  t.teardown(() => sim.stop());
  const client = new IpmiClient({ host: sim.host, port: sim.port, user: 'admin', password: sim.password, allowWeakCiphers: false, timing: { retransmitMs: 300, retries: 2 } });
  const first = value(await client.open(deadlineIn(3000)));
  t.false(value(await client.powerOn(deadlineIn(3000))));
  value(await client.control(1, deadlineIn(3000)));
  t.true(value(await client.powerOn(deadlineIn(3000))));
  t.is(value(await client.open(deadlineIn(3000))), first);

  // ipmi_sim restarted: the old session is unknown to it and is replaced transparently.
  await sim.restart();
  t.true(value(await client.powerOn(deadlineIn(5000))));
  t.not(value(await client.open(deadlineIn(3000))), first);

  await client.close(deadlineIn(2000));
  t.is(client.suiteId, null);
  // After close a call opens a fresh session.
  t.true(value(await client.powerOn(deadlineIn(3000))));
  await client.close(deadlineIn(2000));
});

test.serial('cipher suites: 17 is tried first and 3 taken when ipmi_sim refuses 17, as ipmitool -C 17 fails', async (t) => {
  const sim = await startSim();
  t.teardown(() => sim.stop());
  // ipmi_sim 2.0.33 has no HMAC-SHA256: ipmitool cannot open a suite-17 session either.
  await t.throwsAsync(ipmitool(sim, 17, 'admin', 'chassis', 'power', 'status'));
  const best = new IpmiClient({ host: sim.host, port: sim.port, user: 'admin', password: sim.password, allowWeakCiphers: false });
  t.false(value(await best.powerOn(deadlineIn(3000))));
  t.is(best.suiteId, 3);
  await best.close(deadlineIn(1000));

  const only17 = new IpmiClient({ host: sim.host, port: sim.port, user: 'admin', password: sim.password, allowWeakCiphers: false, suites: [17] });
  const r = await only17.powerOn(deadlineIn(3000));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'CONFIG');
  await only17.close(deadlineIn(500));

  // Weak suites are never offered unless allowed; when allowed, suite 2 (integrity, no encryption) works.
  const weakRefused = new IpmiClient({ host: sim.host, port: sim.port, user: 'admin', password: sim.password, allowWeakCiphers: false, suites: [2, 1] });
  const w = await weakRefused.powerOn(deadlineIn(1000));
  t.false(w.ok);
  if (!w.ok) t.is(w.error.code, 'CONFIG');
  const weak = new IpmiClient({ host: sim.host, port: sim.port, user: 'admin', password: sim.password, allowWeakCiphers: true, suites: [2] });
  t.false(value(await weak.powerOn(deadlineIn(3000))));
  t.is(weak.suiteId, 2);
  await weak.close(deadlineIn(1000));
});

test.serial('Get Device ID matches ipmitool mc info', async (t) => {
  const sim = await startSim();
  t.teardown(() => sim.stop());
  const client = new IpmiClient({ host: sim.host, port: sim.port, user: 'admin', password: sim.password, allowWeakCiphers: false });
  const id = value(await client.deviceId(deadlineIn(3000)));
  await client.close(deadlineIn(1000));
  const info = await ipmitool(sim, 3, 'admin', 'mc', 'info');
  t.regex(info, new RegExp(`Device ID\\s+: ${id.deviceId}\\b`));
  t.regex(info, new RegExp(`Manufacturer ID\\s+: ${id.manufacturer}\\b`));
  t.regex(info, new RegExp(`Product ID\\s+: ${id.product}\\b`));
  t.regex(info, new RegExp(`IPMI Version\\s+: ${id.ipmiVersion.replace('.', '\\.')}`));
  t.is(id.manufacturer, 10876);
});
