// The self-healing loop end to end (issue 11): X boots the preboot image in a
// QEMU VM powered by ipmi_sim, Y and Z are agents on the same bridge holding
// X's sealed BMC credentials (tools/demo/fleet.ts). X frozen with QMP stop:
// exactly one of Y and Z powers it off and on through the BMC, and X boots,
// arms its watchdog, attests and rejoins at a higher incarnation. Then the
// variants: Y partitioned from X and Z acts on nobody; X's hung agent is
// reset by X's own watchdog with no peer acting. `make demo` runs the first
// part alone; bench/heal repeats it 20 times.
import test from 'ava';
import { existsSync } from 'node:fs';
import { IMAGE_OUT } from '../../tools/qemu/boot.ts';
import { netUnavailable } from '../../tools/qemu/net.ts';
import { startDemoFleet, X, type DemoFleet } from '../../tools/demo/fleet.ts';
import { freezeAndHeal, hangAgent, liarAgainstHealthy, partitionY, startLiar } from '../../tools/demo/scenarios.ts';
import { missing } from '../harness/env.ts';

const why =
  missing('qemu-system-x86_64', 'ipmi_sim') ??
  (existsSync('/usr/sbin/nft') || existsSync('/sbin/nft') ? null : 'nft (nftables) is not installed') ??
  netUnavailable() ??
  (existsSync(`${IMAGE_OUT}/initramfs.img`) && existsSync('dist/agent') ? null : 'image/out or dist/agent missing: run `make image` (make test does)');
if (why) console.log(`test/vm/heal: skipped: ${why}`);
const serial = why ? test.skip : test.serial;

let fleet: DemoFleet | null = null;
const get = async (): Promise<DemoFleet> => (fleet ??= await startDemoFleet({ log: (s) => console.log(`heal demo: ${s}`) }));
test.after.always(async () => {
  await fleet?.stop();
});

serial('X frozen: exactly one of Y, Z powers it off and on through ipmi_sim; X boots, attests and rejoins higher', async (t) => {
  t.timeout(600_000);
  const f = await get();
  const d = await freezeAndHeal(f);
  t.log(`freeze -> confirmed ${d.confirmedMs} ms, -> act ${d.actMs} ms (${d.actors.join(', ')}), -> power off ${d.offMs} ms, -> alive again ${d.aliveMs} ms`);
  for (const e of d.audit) t.log(`  ${e.by} ${e.kind}: ${e.why}`);
  t.is(d.actors.length, 1, 'one act across Y and Z');
  t.is(d.powerOns, 1, 'one power-on in the BMC log');
  t.is(d.qemuExits, 1, 'one power-off: the frozen QEMU exited once and the new one still runs');
  t.true(d.after !== null && d.after > d.before, `incarnation ${d.before} -> ${d.after}`);
  t.true(d.audit.some((e) => e.kind === 'action-done' && /verified-cycled via ipmi/.test(e.why)), 'the ladder verified off, then on');
  t.true(d.audit.some((e) => e.kind === 'rejoined'), 'the actor saw X rejoin');
  t.regex(f.vm.serial.output(), /watchdog armed/i, 'X armed its watchdog');
});

serial('a liar (a member, no healer) claims X dead and announces leases on it: X stays up; frozen, X is still healed once', async (t) => {
  t.timeout(600_000);
  const f = await get();
  const a = await liarAgainstHealthy(f, 15);
  t.log(`liar sent ${JSON.stringify(a.sent)}`);
  for (const e of a.audit) t.log(`  ${e.by} ${e.kind} ${e.subject} (${e.actor}): ${e.why}`);
  t.true(a.audit.filter((e) => e.kind === 'lease-ignored').length <= 2, "the liar's repeated leases are audited once per healer");
  t.true(a.liarSeen, 'the liar was a member in good standing');
  t.true((a.sent?.rounds ?? 0) >= 10, 'and it lied, round after round');
  t.false(a.xDeadSeen, 'nobody took X for dead');
  t.false(a.audit.some((e) => e.kind === 'confirmed' || e.kind === 'act'), 'no case on X, no action');
  t.is(a.powerOns, 0);

  // X frozen while the liar goes on: its lease (valid, but from a member that cannot act) stops nobody.
  const liar = startLiar(f, 300);
  const d = await freezeAndHeal(f);
  await liar.stop();
  for (const e of d.audit) t.log(`  ${e.by} ${e.kind} (${e.actor}): ${e.why}`);
  t.is(d.actors.length, 1, 'one act');
  t.is(d.powerOns, 1, 'one power-on');
  t.true(d.after !== null && d.after > d.before);
  const refused = [...f.y.lines, ...f.z.lines].filter((l) => l.msg === 'heal: lease refused');
  t.true(refused.some((l) => l.code === 'BAD_SIGNATURE'), 'the lease forged in y\'s name was refused');
  t.true(d.audit.some((e) => e.kind === 'lease-ignored' && e.actor === 'l') || a.audit.some((e) => e.kind === 'lease-ignored' && e.actor === 'l'), "the liar's own lease was ignored");
});

serial('partition Y | X Z: Y (alone) acts on nobody, X and Z act on nobody they cannot reach; no power action', async (t) => {
  t.timeout(300_000);
  const f = await get();
  const p = await partitionY(f, 15_000);
  t.log(`Y sees: ${p.yView}; Z sees: ${p.zView}`);
  for (const e of p.audit) t.log(`  ${e.by} ${e.kind} ${e.subject}: ${e.why}`);
  t.regex(p.yView, /x=(suspect|dead)/, 'the partition took: Y lost X');
  t.regex(p.zView, /y=(suspect|dead)/, 'and Z lost Y');
  t.is(p.powerOns, 0);
  t.true(p.qemuAlive, 'X was not powered off');
  t.false(p.audit.some((e) => e.kind === 'act'), 'nobody acted');
});

serial("X's agent hangs: its own watchdog resets it inside the healers' grace; no peer acts", async (t) => {
  t.timeout(600_000);
  const f = await get();
  await f.restartHealers({ watchdogGraceSec: 120 });
  const d = await hangAgent(f);
  await f.restartHealers({});
  t.log(`hang -> confirmed ${d.confirmedMs} ms, -> alive again ${d.aliveMs} ms (watchdog reset and reboot)`);
  for (const e of d.audit) t.log(`  ${e.by} ${e.kind}: ${e.why}`);
  t.is(d.powerOns, 0, 'no power-on');
  t.deepEqual(d.actors, [], 'no act');
  t.true(d.after !== null && d.after > d.before);
  t.true(d.audit.some((e) => e.kind === 'decided' && e.why.includes('its own watchdog gets 120000 ms first')), 'the grace was granted');
  t.true(d.audit.some((e) => e.kind === 'cancelled' && e.subject === X), 'the rejoin cancelled the case');
});
