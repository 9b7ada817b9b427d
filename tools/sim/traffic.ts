// Traffic per node over the measured window: datagrams and stream frames,
// sent and received, turned into rates over each node's own running time
// (a node killed halfway is not averaged over the time it was dead).
import { summarise, type Summary } from './stats.ts';

export interface RateReport {
  bytesOut: Summary;
  bytesIn: Summary;
  udpBytesOut: Summary;
  udpBytesIn: Summary;
  streamBytesOut: Summary;
  streamBytesIn: Summary;
  packetsOut: Summary;
  packetsIn: Summary;
  framesOut: Summary;
  framesIn: Summary;
}

export type TrafficReport = RateReport & { nodes: number; excluded: string[] };

type Counter = 'pOut' | 'bOut' | 'pIn' | 'bIn' | 'fOut' | 'fbOut' | 'fIn' | 'fbIn';
const COUNTERS: Counter[] = ['pOut', 'bOut', 'pIn', 'bIn', 'fOut', 'fbOut', 'fIn', 'fbIn'];

export class Traffic {
  private windowStart: number | null = null;
  private readonly c: Record<Counter, number[]> = { pOut: [], bOut: [], pIn: [], bIn: [], fOut: [], fbOut: [], fIn: [], fbIn: [] };
  /** Start of the node's current life, NaN while it is dead. */
  private readonly lifeStart: number[] = [];
  /** Running time inside the window of the node's finished lives. */
  private readonly liveMs: number[] = [];
  private readonly excluded = new Set<number>();

  begin(t: number): void {
    this.windowStart = t;
    for (const k of COUNTERS) this.c[k].fill(0);
    this.liveMs.fill(0);
  }

  /** Leaves a node out of the figures (the liar: its lies are not protocol traffic). */
  exclude(i: number): void {
    this.excluded.add(i);
  }

  started(i: number, now: number): void {
    this.grow(i);
    this.lifeStart[i] = now;
  }

  stopped(i: number, now: number): void {
    this.grow(i);
    if (this.windowStart !== null) this.liveMs[i] = (this.liveMs[i] ?? 0) + this.overlap(i, now);
    this.lifeStart[i] = NaN;
  }

  add(kind: 'packetOut' | 'packetIn' | 'frameOut' | 'frameIn', i: number, bytes: number): void {
    if (this.windowStart === null) return;
    const [count, sum]: [Counter, Counter] =
      kind === 'packetOut' ? ['pOut', 'bOut'] : kind === 'packetIn' ? ['pIn', 'bIn'] : kind === 'frameOut' ? ['fOut', 'fbOut'] : ['fIn', 'fbIn'];
    this.grow(i);
    (this.c[count][i] as number)++;
    (this.c[sum] as number[])[i] = (this.c[sum][i] as number) + bytes;
  }

  report(end: number): TrafficReport {
    const windowMs = end - (this.windowStart ?? end);
    const rates: Record<keyof RateReport, number[]> = {
      bytesOut: [], bytesIn: [], udpBytesOut: [], udpBytesIn: [], streamBytesOut: [], streamBytesIn: [],
      packetsOut: [], packetsIn: [], framesOut: [], framesIn: [],
    };
    const excluded: string[] = [];
    for (let i = 0; i < this.lifeStart.length; i++) {
      if (this.excluded.has(i)) {
        excluded.push(String(i));
        continue;
      }
      const live = (this.liveMs[i] ?? 0) + (this.windowStart === null ? 0 : this.overlap(i, end));
      // A node alive for a sliver of the window would report a rate from a handful of packets.
      if (live < Math.max(1000, windowMs * 0.1)) continue;
      const g = (k: Counter): number => ((this.c[k][i] ?? 0) * 1000) / live;
      rates.udpBytesOut.push(g('bOut'));
      rates.udpBytesIn.push(g('bIn'));
      rates.streamBytesOut.push(g('fbOut'));
      rates.streamBytesIn.push(g('fbIn'));
      rates.bytesOut.push(g('bOut') + g('fbOut'));
      rates.bytesIn.push(g('bIn') + g('fbIn'));
      rates.packetsOut.push(g('pOut'));
      rates.packetsIn.push(g('pIn'));
      rates.framesOut.push(g('fOut'));
      rates.framesIn.push(g('fIn'));
    }
    const out = {} as RateReport;
    for (const k of Object.keys(rates) as (keyof RateReport)[]) out[k] = summarise(rates[k]);
    return { ...out, nodes: rates.bytesOut.length, excluded };
  }

  /** The part of the node's current life inside the window, up to `t`. */
  private overlap(i: number, t: number): number {
    const ls = this.lifeStart[i] ?? NaN;
    if (Number.isNaN(ls) || this.windowStart === null) return 0;
    return Math.max(0, t - Math.max(ls, this.windowStart));
  }

  private grow(i: number): void {
    while (this.lifeStart.length <= i) {
      this.lifeStart.push(NaN);
      this.liveMs.push(0);
      for (const k of COUNTERS) this.c[k].push(0);
    }
  }
}
