// The healing loop with real `agent run` processes on loopback and ipmi_sim as
// X's BMC (test/ipmi/sim.ts: its chassis hook is the "machine", and every power
// change it makes is logged). X's vault records, what its enrollment and its
// `use` policy leave (where the BMC is, and the sealed BMC user), are put in
// X's own vault and reach Y and Z through gossip. Then X hangs (SIGSTOP):
// exactly one of Y and Z must power it off and on through the BMC. The test
// plays the machine: power off kills X's process, power on starts it again,
// and X must rejoin at a higher incarnation. Repeated HEAL_RUNS times (3 by
// default); bench/heal runs the QEMU version 20 times.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAudit } from '../../agent/heal/audit.ts';
import type { AuditEntry } from '../../agent/heal/types.ts';
import { openVault } from '../../agent/vault/store.ts';
import { eventually, freePort, hostPort, makeOrg, spawnAgent, startAgent, type AgentProc } from '../helpers/agents.ts';
import { startSim } from '../ipmi/sim.ts';
import { missing } from '../harness/env.ts';

const RUNS = Math.max(1, Number(process.env.HEAL_RUNS ?? 3));
const why = missing('ipmi_sim');
if (why) console.log(`test/heal/agents: skipped: ${why}`);
const serial = why ? test.skip : test.serial;

const entries = (stateDir: string): AuditEntry[] => {
  const r = readAudit(stateDir);
  return r.ok ? r.value.lines.flatMap((l) => (l.type === 'entry' ? [l.entry] : [])) : [];
};

serial(`X hangs ${RUNS} times: each time exactly one of Y, Z power-cycles it through its BMC, and it rejoins higher`, async (t) => {
  t.timeout(60_000 + RUNS * 60_000);
  const org = makeOrg('heal-agents-');
  const sim = await startSim({ users: [{ name: 'fortros-oob', priv: 'operator' }], initialPower: 'on' });
  t.teardown(() => sim.stop());
  const names = ['hx', 'hy', 'hz'];
  const addrs: string[] = [];
  for (let i = 0; i < names.length; i++) addrs.push(hostPort(`127.0.0.${80 + i}`, await freePort(`127.0.0.${80 + i}`)));
  const heal = { enabled: true, recoveryKey: join(org.dir, 'recovery.key'), healers: ['hy', 'hz'], stableSec: 1, settleSec: 2, actionBudgetSec: 30, rejoinTimeoutSec: 60, backoffResetSec: 5 };
  const agents = names.map((name, i) => startAgent(t, org, { name, bind: addrs[i] as string, seeds: [addrs[1] as string] }, { heal }));
  await Promise.all(agents.map((a) => a.waitForLog((l) => l.msg === 'agent ready', 30_000, "'agent ready'")));
  let [x, y, z] = agents as [AgentProc, AgentProc, AgentProc];
  const state = (n: string): string => join(org.root, n, 'state');

  // X's records: where its BMC is (enrollment's reference) and the BMC user with its password sealed to the org.
  const v = openVault({ stateDir: state('hx'), identityDir: join(org.root, 'hx', 'identity') });
  if (!v.ok) return t.fail(v.error.message);
  const ref = await v.value.put('channel-ref', 'channel-ref:ipmi', Buffer.from('{}'), { channel: 'ipmi', host: sim.host, port: sim.port });
  const user = await v.value.put('bmc-user', 'bmc-user:fortros-oob', Buffer.from(sim.password), { user: 'fortros-oob', privilege: 'operator' });
  t.true(ref.ok && user.ok);
  const holds = (n: string): boolean => {
    const o = openVault({ stateDir: state(n), identityDir: join(org.root, n, 'identity') });
    const l = o.ok ? o.value.list() : null;
    return l?.ok === true && l.value.filter((e) => e.node === 'hx').length === 2;
  };
  t.true(await eventually(() => holds('hy') && holds('hz'), 30_000), "X's records reached Y and Z");

  // The machine: ipmi_sim's power off kills X's process, its power on boots X again.
  let seen = 0;
  let booted = 0;
  let off = false;
  // In order, each after the last: under load one poll can read an off and the on after it together,
  // and the new process must not start before the old one is gone from its port.
  let chain = Promise.resolve();
  const machine = setInterval(() => {
    const acts = sim.actions();
    for (; seen < acts.length; seen++) {
      const a = acts[seen];
      chain = chain.then(async () => {
        if (a === 'power 0' && !off) {
          off = true;
          x.kill('SIGKILL');
          await x.exited;
        } else if (a === 'power 1' && off) {
          off = false;
          x = spawnAgent(t, 'hx', x.addr, x.configFile, x.socket);
          booted++;
        }
      });
    }
  }, 20);
  t.teardown(() => clearInterval(machine));

  const rows: { confirmMs: number; actMs: number; aliveMs: number; actor: string }[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const allAlive = async (): Promise<boolean> => {
      for (const a of [x, y, z]) if ((await a.members()).filter((m) => m.state === 'alive' && m.attested).length !== 3) return false;
      return true;
    };
    t.true(await eventually(allAlive, 40_000), `run ${run}: all three alive and attested`);
    // Alive past backoffResetSec: this death is a new one, not the same node dying again (which waits longer, backoff.ts).
    await new Promise((r) => setTimeout(r, 5500));
    const inc = (await y.members()).find((m) => m.name === 'hx')?.incarnation ?? 0;
    const actsBefore = sim.actions().length;
    const frozen = Date.now();
    x.kill('SIGSTOP');
    const back = await eventually(async () => {
      const m = (await y.members()).find((n) => n.name === 'hx');
      const mz = (await z.members()).find((n) => n.name === 'hx');
      return m?.state === 'alive' && m.incarnation > inc && mz?.state === 'alive';
    }, 50_000);
    const aliveAt = Date.now();
    if (!back) {
      for (const a of [y, z]) t.log(a.name, a.lines.filter((l) => l.msg.startsWith('heal') || l.msg === 'member state').slice(-20).map((l) => JSON.stringify(l)).join('\n'));
      t.log('power actions', sim.actions().join(', '), 'x running', x.running, 'exit', x.exitCode, 'booted', booted);
      t.log('x', x.lines.slice(-6).map((l) => JSON.stringify(l)).join('\n'), x.raw.slice(-6).join('\n'));
    }
    t.true(back, `run ${run}: X rejoined at an incarnation above ${inc}`);
    const acts = sim.actions().slice(actsBefore);
    t.deepEqual(acts, ['power 0', 'power 1'], `run ${run}: one power off and one power on`);
    const audit = [...entries(state('hy')).map((e) => ({ ...e, by: 'hy' })), ...entries(state('hz')).map((e) => ({ ...e, by: 'hz' }))].filter((e) => e.subject === 'hx' && e.at >= frozen);
    const actEntries = audit.filter((e) => e.kind === 'act');
    t.is(actEntries.length, 1, `run ${run}: one act in the audit logs of Y and Z: ${JSON.stringify(audit.map((e) => [e.by, e.kind, e.why]))}`);
    const confirmed = audit.filter((e) => e.kind === 'confirmed').map((e) => e.at);
    const act = actEntries[0];
    if (act && confirmed.length) rows.push({ confirmMs: Math.min(...confirmed) - frozen, actMs: act.at - frozen, aliveMs: aliveAt - frozen, actor: act.actor ?? '?' });
    t.true(audit.some((e) => e.kind === 'rejoined' || e.kind === 'action-done'), `run ${run}: the actor recorded the outcome`);
  }
  t.is(booted, RUNS, 'X was booted once per death');
  // `agent status`: a healer with no case open (each closed when X rejoined).
  t.deepEqual((await y.status()).heal, { healer: true, cases: [] });
  // The stable membership each healer keeps for its next start (quorum after a reboot inside a partition).
  t.deepEqual(JSON.parse(readFileSync(join(state('hy'), 'heal', 'members.json'), 'utf8')), ['hx', 'hy', 'hz']);
  for (const r of rows) t.log(`freeze -> confirmed ${r.confirmMs} ms, -> act ${r.actMs} ms (by ${r.actor}), -> alive again ${r.aliveMs} ms`);
  t.log(`deaths ${RUNS}, power actions ${sim.actions().length} (${sim.actions().join(', ')})`);
});
