// The numbers a run produces, and the table and verdict printed from them.

export interface Round {
  victim: string;
  /** ms from the kill until the last survivor marked the victim dead; null: not all did in time. */
  detectMs: number | null;
  /** ms from the kill until the first survivor did. */
  firstMs: number | null;
  /** The survivor that marked it dead first. */
  firstObserver: string | null;
  /** Survivors that marked it dead in time, out of how many. */
  marked: number;
  survivors: number;
}

export interface SideResult {
  side: string;
  rounds: Round[];
  /** Dead marks about members nobody killed, during the kill rounds. */
  falseDeathsRounds: number;
  /** Dead marks during the soak, where nobody is killed; null: no soak ran. */
  falseDeathsSoak: number | null;
  suspicionsSoak: number | null;
  /** Side-specific counters over the whole run (suspicions, TCP fallback pings). */
  signals: Record<string, number>;
  rssKiB: number[];
  crossCheck: string[];
  crashes: string[];
}

export interface RunResult {
  lossPercent: number;
  measuredLoss: { sent: number; received: number };
  udpCounters: { seen: number; dropped: number };
  soakSec: number;
  sides: SideResult[];
  ratio: number | null;
  verdict: { detection: 'PASS' | 'FAIL' | 'n/a'; falseDeaths: 'PASS' | 'FAIL' | 'n/a' };
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? null) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export const detections = (r: SideResult): number[] => r.rounds.flatMap((x) => (x.detectMs === null ? [] : [x.detectMs]));

/** A side's median is only meaningful when every round detected the death. */
export function sideMedian(r: SideResult): number | null {
  return r.rounds.length > 0 && r.rounds.every((x) => x.detectMs !== null) ? median(detections(r)) : null;
}

const TARGET_RATIO = 0.5;

export function verdict(sides: SideResult[]): { ratio: number | null; verdict: RunResult['verdict'] } {
  const ours = sides.find((s) => s.side === 'ours');
  const serf = sides.find((s) => s.side === 'serf');
  if (!ours) return { ratio: null, verdict: { detection: 'n/a', falseDeaths: 'n/a' } };
  const om = sideMedian(ours);
  const sm = serf ? sideMedian(serf) : null;
  const ratio = om !== null && sm !== null && sm > 0 ? om / sm : null;
  const detection = !serf ? 'n/a' : ratio !== null && ratio <= TARGET_RATIO ? 'PASS' : 'FAIL';
  const falseDeaths = ours.falseDeathsRounds === 0 && (ours.falseDeathsSoak ?? 0) === 0 && ours.crashes.length === 0 ? 'PASS' : 'FAIL';
  return { ratio, verdict: { detection, falseDeaths } };
}

const sec = (ms: number | null): string => (ms === null ? '—' : (ms / 1000).toFixed(2));

export function table(run: RunResult): string {
  const head = ['side', 'median s', 'min s', 'max s', 'first (median) s', 'per round s', 'false deaths (rounds/soak)', 'suspicions (soak)', 'RSS MiB (sum/agent)'];
  const rows = run.sides.map((r) => {
    const d = detections(r);
    const firsts = r.rounds.flatMap((x) => (x.firstMs === null ? [] : [x.firstMs]));
    const rss = r.rssKiB.reduce((a, b) => a + b, 0) / 1024;
    return [
      r.side,
      sec(sideMedian(r)),
      sec(d.length ? Math.min(...d) : null),
      sec(d.length ? Math.max(...d) : null),
      sec(median(firsts)),
      r.rounds.map((x) => (x.detectMs === null ? `timeout(${x.marked}/${x.survivors})` : sec(x.detectMs))).join(' '),
      `${r.falseDeathsRounds}/${r.falseDeathsSoak ?? '—'}`,
      String(r.suspicionsSoak ?? '—'),
      r.rssKiB.length ? `${rss.toFixed(1)}/${(rss / r.rssKiB.length).toFixed(1)}` : '—',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  out.push(
    '',
    'detection: from the SIGKILL until the last survivor marked the victim dead (serf: its EventMemberFailed log line on arrival;',
    'ours: the "member state" line\'s own time). suspicions: serf, those its own probes raised; ours, distinct (member, incarnation).',
  );
  const ratio = run.ratio === null ? '—' : run.ratio.toFixed(2);
  out.push('', `detection median ours/serf: ${ratio} (target <= ${TARGET_RATIO}): ${run.verdict.detection}`);
  out.push(`false deaths (ours, rounds + soak, zero wanted): ${run.verdict.falseDeaths}`);
  return out.join('\n');
}
