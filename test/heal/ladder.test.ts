// The healing ladder against a real BMC implementation: ipmi_sim (openipmi)
// over RMCP+ on loopback, whose chassis_control hook is the machine. The ladder
// must power it off and on again (watched on the machine itself), ipmitool
// -I lanplus must then read it on, and nothing after the verified channel runs.

import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deadlineIn, remainingMs, type ChannelOptions, type Deadline } from '../../agent/channels/types.ts';
import type { VerifyTiming } from '../../agent/channels/verify.ts';
import { runLadder } from '../../agent/heal/ladder.ts';
import { FakeNic } from '../fakes/wol/nic.ts';
import { simWithAdmin, type Sim } from '../ipmi/sim.ts';

const run = promisify(execFile);
const FAST: VerifyTiming = { pollMs: 100, backoffMs: 100, backoffMaxMs: 400, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
const never = (_node: string, d: Deadline) => new Promise<boolean>((r) => setTimeout(() => r(false), remainingMs(d)));

async function ipmitoolPower(sim: Sim): Promise<string> {
  const { stdout } = await run('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', sim.host, '-p', String(sim.port), '-U', 'admin', '-f', sim.passwordFile, '-N', '1', '-R', '2', 'chassis', 'power', 'status'], { timeout: 15_000 });
  return stdout.trim();
}

/** Every change of the machine's power as ipmi_sim applies it, read from the hook's state file until stopped. */
function watchPower(sim: Sim): { seen: string[]; stop(): void } {
  const seen: string[] = [];
  const look = (): void => {
    // The hook rewrites the file with `echo >`: an empty read is a write in progress, not a state.
    const v = readFileSync(join(sim.dir, 'power'), 'utf8').trim();
    const p = v === '1' ? 'on' : v === '0' ? 'off' : null;
    if (p !== null && p !== seen[seen.length - 1]) seen.push(p);
  };
  look();
  const timer = setInterval(look, 5);
  return {
    seen,
    stop: () => {
      clearInterval(timer);
      look();
    },
  };
}

const ipmi = (sim: Sim, password = sim.password): ChannelOptions => ({ host: sim.host, port: sim.port, user: 'admin', password });

test.serial('a running machine: the ladder powers it off and on through ipmi_sim, ipmitool reads it on, Wake-on-LAN is never sent', async (t) => {
  const { sim } = await simWithAdmin(t, { initialPower: 'on' });
  const nic = await FakeNic.start({ mac: '52:54:00:00:00:01' });
  t.teardown(() => nic.close());
  const watch = watchPower(sim);
  const budget = 20_000;
  const r = await runLadder(
    {
      node: 'x',
      channels: [
        { name: 'wol', options: { host: '127.0.0.1', port: nic.port, params: { mac: '52:54:00:00:00:01' } }, verifiable: false },
        { name: 'ipmi', options: ipmi(sim), verifiable: true },
      ],
      allowed: [],
    },
    { rejoined: never, timing: FAST },
    deadlineIn(budget),
  );
  watch.stop();
  t.is(r.verdict, 'verified-cycled', JSON.stringify(r));
  t.is(r.acted, 'ipmi');
  t.deepEqual(watch.seen, ['on', 'off', 'on'], 'the machine really went down and up');
  t.deepEqual(
    r.attempts.map((a) => [a.channel, a.action, a.outcome]),
    [
      ['ipmi', 'off', 'verified'],
      ['ipmi', 'on', 'verified'],
    ],
  );
  t.deepEqual(r.attempts[0]!.steps, ['status on', 'off sent', 'off verified']);
  t.deepEqual(r.attempts[1]!.steps, ['status off', 'on sent', 'on verified']);
  t.is(sim.power(), 'on');
  t.is(await ipmitoolPower(sim), 'Chassis Power is on');
  t.is(nic.log.length, 0);
  t.true(r.elapsedMs < budget);
  t.false(JSON.stringify(r).includes(sim.password));
});

test.serial('a wrong password on the first IPMI account fails AUTH at once; the second account cycles the machine', async (t) => {
  const { sim } = await simWithAdmin(t, { initialPower: 'on' });
  const watch = watchPower(sim);
  const r = await runLadder(
    {
      node: 'x',
      channels: [
        { name: 'ipmi', options: ipmi(sim, 'not-the-password'), verifiable: true },
        { name: 'ipmi', options: ipmi(sim), verifiable: true },
      ],
      allowed: ['ipmi'],
    },
    { rejoined: never, timing: FAST },
    deadlineIn(20_000),
  );
  watch.stop();
  t.is(r.verdict, 'verified-cycled', JSON.stringify(r));
  t.like(r.attempts[0], { channel: 'ipmi', action: 'off', outcome: 'AUTH', exchanges: 1 });
  t.true(r.attempts[0]!.elapsedMs < 3000, `AUTH took ${r.attempts[0]!.elapsedMs} ms`);
  t.deepEqual(watch.seen, ['on', 'off', 'on']);
  t.is(await ipmitoolPower(sim), 'Chassis Power is on');
  const text = JSON.stringify(r);
  t.false(text.includes('not-the-password') || text.includes(sim.password));
});
