// The report's in-band part (agent/probe/in-band.ts): what the simulated ME and a
// BMC answer lands under amt.inBand, mei.inBand and bmc.inBand; a device that is
// absent or silent costs a reason and the timeout, never the rest of the report.
import * as path from 'node:path';
import test from 'ava';
import { askInBand, notAsked } from '../../agent/probe/in-band.ts';
import { buildReport } from '../../agent/probe/report.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';
import { renderReport } from '../../agent/cli/render-report.ts';
import { cerr } from '../../agent/channels/types.ts';
import { MEI_GUID } from '../../agent/mei/guid.ts';
import { merr } from '../../agent/mei/types.ts';
import { simulatedAmtMachine } from '../fakes/me/machine.ts';
import { cok } from '../../agent/channels/types.ts';
import { simWithAdmin } from '../ipmi/sim.ts';

const noBmc = () => cerr('UNSUPPORTED', 'no BMC device (test)');
const fixture = (name: string) => new SysRoot(path.resolve('test/fixtures', name));

test('a CCM-activated AMT machine: control mode, provisioning and firmware version reach the report and its text', async (t) => {
  const me = simulatedAmtMachine({ state: { controlMode: 1, provisioningState: 2 } });
  const inBand = await askInBand({ openMei: () => ({ ok: true, value: me }), openBmc: noBmc, timeoutMs: 10_000 });
  const r = buildReport(fixture('vpro-desktop'), new Date(0), undefined, inBand);
  const amt = r.amt.inBand;
  if ('unavailable' in amt) return t.fail(`amt not read: ${amt.unavailable}`);
  t.is(amt.controlMode, 'client control mode');
  t.is(amt.provisioningState, 'post-provisioning');
  t.is(amt.amt, me.state.amtVersion);
  const fw = r.mei.inBand;
  if ('unavailable' in fw) return t.fail(`mei not read: ${fw.unavailable}`);
  const v = me.state.meVersion;
  t.is(fw.fwVersion, `${v.major}.${v.minor}.${v.hotfix}.${v.build}`);
  t.deepEqual(r.bmc.inBand, { unavailable: 'UNSUPPORTED: no BMC device (test)' });
  const text = renderReport(r);
  t.regex(text, /Control mode\s+: client control mode/);
  t.regex(text, new RegExp(`Firmware \\(MKHI\\)\\s+: ${v.major}\\.${v.minor}`));
  // The local system account's password is a secret: never in the report.
  t.false(JSON.stringify(r).includes(me.state.localSystemAccount.password));
  t.is(me.openConnections(MEI_GUID.PTHI), 0);
});

test('no MEI device: each in-band part says why, and the file probes are all still there', async (t) => {
  const inBand = await askInBand({ openMei: () => merr('NO_DEVICE', 'no MEI device node (test)'), openBmc: noBmc, timeoutMs: 2_000 });
  const r = buildReport(fixture('qemu-q35'), new Date(0), undefined, inBand);
  t.deepEqual(r.amt.inBand, { unavailable: 'no MEI device node (test)' });
  t.deepEqual(r.mei.inBand, { unavailable: 'no MEI device node (test)' });
  t.true(r.watchdogs.length > 0);
});

test('an ME that never answers: the report comes back within its timeout, with the reason', async (t) => {
  const me = simulatedAmtMachine();
  for (const g of [MEI_GUID.PTHI, MEI_GUID.MKHI, MEI_GUID.WATCHDOG]) me.inject(g, { kind: 'no-answer' });
  const started = Date.now();
  const inBand = await askInBand({ openMei: () => ({ ok: true, value: me }), openBmc: noBmc, timeoutMs: 3_000 });
  t.true(Date.now() - started < 6_000, `took ${Date.now() - started} ms`);
  const amt = inBand.amt;
  if ('unavailable' in amt) t.regex(amt.unavailable, /./);
  else t.is(amt.errors.amt?.code, 'TIMEOUT');
});

test('default: not asked, with the reason (fixture trees and buildReport alone)', (t) => {
  const r = buildReport(fixture('qemu-q35'), new Date(0));
  t.deepEqual(r.bmc.inBand, notAsked('not asked: file probes only').bmc);
});

test('a BMC (ipmi_sim, asked through the same transport as /dev/ipmi0): device, LAN channel and users reach bmc.inBand and the text', async (t) => {
  const { sim, c } = await simWithAdmin(t);
  const inBand = await askInBand({ openMei: () => merr('NO_DEVICE', 'none'), openBmc: () => cok({ path: '/dev/ipmi0', transport: c, close: () => {} }), timeoutMs: 20_000 });
  const r = buildReport(fixture('server-bmc'), new Date(0), undefined, inBand);
  const b = r.bmc.inBand;
  if ('unavailable' in b) return t.fail(b.unavailable);
  t.truthy(b.device);
  t.true(b.lan.length >= 1);
  t.true(b.users?.users.some((u) => u.name === 'admin'));
  const text = renderReport(r);
  t.regex(text, /In band\s+: \/dev\/ipmi0: IPMI 2\.0/);
  t.regex(text, /Users\s+: .*:admin/);
  t.false(JSON.stringify(r).includes(sim.password));
});
