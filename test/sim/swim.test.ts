// The simulator around the real, unchanged SwimNode, at small N: what the
// issue promises must show up in these figures (detection, no false deaths
// under loss, a liar that gets nobody buried), and one seed must always give
// the same figures.
import test from 'ava';
import { DEFAULT_SCENARIO, runScenario, type ScenarioOptions, type ScenarioReport } from '../../tools/sim/scenario.ts';
import { swimFactory } from '../../tools/sim/swim-core.ts';
import { checkTargets } from '../../tools/sim/report.ts';

const run = (o: Partial<ScenarioOptions>): ScenarioReport => runScenario({ ...DEFAULT_SCENARIO, joins: 0, kills: 0, ...o }, swimFactory());

test('every survivor marks a killed node dead within 10 s, and the cluster converged first', (t) => {
  const r = run({ nodes: 12, seed: 3, durationS: 60, kills: 1 });
  t.not(r.convergedMs, null);
  t.is(r.detection.kills, 1);
  t.is(r.detection.complete, 1);
  t.is(r.detection.missing, 0);
  t.is(r.detection.perObserver.n, 11, 'seen by every other node');
  t.true(r.detection.all.max <= 10_000, `slowest detection ${r.detection.all.max} ms`);
  t.true(r.detection.first.max <= r.detection.all.max);
  t.true(r.detection.firstSuspect.max < r.detection.first.max + 1);
  t.is(r.falseDeaths.transitions, 0);
});

test('no death of a running node in two simulated minutes at 5 % loss', (t) => {
  const r = run({ nodes: 30, seed: 4, durationS: 120, network: { loss: 0.05 } });
  t.not(r.convergedMs, null);
  t.true(r.network.lost > 0.03 * r.network.sent && r.network.lost < 0.07 * r.network.sent, `${r.network.lost} of ${r.network.sent} lost`);
  t.is(r.falseDeaths.transitions, 0);
  t.is(r.falseDeaths.victims, 0);
  t.true(r.traffic.packetsOut.mean > 1, 'the cluster was actually talking');
});

test('a liar sending signed suspicions and deaths every second gets nobody declared dead', (t) => {
  const r = run({ nodes: 12, seed: 5, durationS: 60, liar: true });
  if (r.liar === null) return t.fail('no liar ran');
  t.true(r.liar.rounds >= 59);
  t.true(r.liar.packets > r.liar.rounds * 5, 'the lies went out to the members');
  t.true((r.rejections.NO_QUORUM ?? 0) > 0, 'the lies reached the cores and were refused');
  t.is(r.liar.victimDeaths, 0);
  t.is(r.falseDeaths.transitions, 0);
  t.is(r.traffic.excluded.length, 1);
});

test('a restarted node and a fresh joiner reach every live node', (t) => {
  const r = run({ nodes: 10, seed: 6, durationS: 60, kills: 1, restartAfterS: 15, joins: 1, network: { loss: 0.05 } });
  t.is(r.detection.complete, 1);
  t.is(r.dissemination.updates, 2);
  t.is(r.dissemination.complete, 2);
  t.true(r.dissemination.all.max < 10_000, `slowest spread ${r.dissemination.all.max} ms`);
  t.is(r.falseDeaths.transitions, 0);
});

test('the same seed gives the same figures; another seed other figures', (t) => {
  const figures = (seed: number) => {
    const r = run({ nodes: 10, seed, durationS: 30, kills: 1, network: { loss: 0.1, jitterMs: 5 } });
    const { wall: _wall, ...rest } = r;
    return rest;
  };
  const a = figures(8);
  t.deepEqual(figures(8), a);
  t.notDeepEqual(figures(9).traffic, a.traffic);
});

test('deaths across a partition are counted apart from false deaths', (t) => {
  const r = run({ nodes: 20, seed: 7, durationS: 60, partitions: [{ fraction: 0.5, fromS: 5, untilS: 25 }] });
  t.true(r.network.cut > 0);
  t.true(r.falseDeaths.partitionDeaths > 0, 'each side buries the other');
  t.is(r.falseDeaths.transitions, 0);
});

test('a run over its heap limit stops early and says so', (t) => {
  const r = run({ nodes: 10, seed: 1, durationS: 60, heapLimitMB: 1, heapSampleEvents: 1000 });
  if (r.aborted === null) return t.fail('the run did not stop');
  t.true(r.aborted.atS < 60);
  t.regex(r.aborted.reason, /over the 1 MB limit/);
  t.false(checkTargets(r).every((c) => c.ok));
});

test('warm start: every node restores the whole membership at once, converged at t0, and kills are still detected', (t) => {
  const r = run({ nodes: 40, seed: 8, durationS: 60, kills: 1, warm: true });
  t.is(r.convergedMs, 0, 'converged the moment the snapshots were restored');
  t.is(r.detection.complete, 1);
  t.is(r.detection.perObserver.n, 39);
  t.true(r.detection.all.max <= 10_000, `slowest detection ${r.detection.all.max} ms`);
  t.is(r.falseDeaths.transitions, 0);
});
