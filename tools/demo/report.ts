// The demo's and the bench's summary of deaths: one row per death and the
// figures the issue asks for, as text.

import type { Death } from './scenarios.ts';

const median = (xs: number[]): number | null => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const ms = (v: number | null): string => (v === null ? '-' : `${(v / 1000).toFixed(2)} s`);

export function row(i: number, d: Death): string {
  const ratio = d.offMs !== null && d.confirmedMs ? (d.offMs / d.confirmedMs).toFixed(2) : '-';
  return `${String(i).padStart(3)}  confirmed ${ms(d.confirmedMs).padStart(7)}  act ${ms(d.actMs).padStart(7)}  power-off ${ms(d.offMs).padStart(7)}  alive ${ms(d.aliveMs).padStart(7)}  ratio ${ratio}  actors ${d.actors.join(',') || '-'}  power-ons ${d.powerOns}  exits ${d.qemuExits}`;
}

export function summary(deaths: readonly Death[]): { text: string; exactlyOne: number; medianRatio: number | null } {
  const exactlyOne = deaths.filter((d) => d.actors.length === 1 && d.powerOns === 1 && d.qemuExits === 1 && d.after !== null && d.after > d.before).length;
  const ratios = deaths.flatMap((d) => (d.offMs !== null && d.confirmedMs ? [d.offMs / d.confirmedMs] : []));
  const medianRatio = median(ratios);
  const text = [
    `deaths: ${deaths.length}; exactly one power action (one act, one off, one on) and a rejoin at a higher incarnation: ${exactlyOne} of ${deaths.length}`,
    `median freeze -> confirmed dead (gossip detection): ${ms(median(deaths.flatMap((d) => (d.confirmedMs === null ? [] : [d.confirmedMs]))))}`,
    `median freeze -> act (lease + audit):             ${ms(median(deaths.flatMap((d) => (d.actMs === null ? [] : [d.actMs]))))}`,
    `median freeze -> power off (QEMU gone):           ${ms(median(deaths.flatMap((d) => (d.offMs === null ? [] : [d.offMs]))))}`,
    `median freeze -> alive again on Y and Z:          ${ms(median(deaths.flatMap((d) => (d.aliveMs === null ? [] : [d.aliveMs]))))}`,
    `(detection + decision + command) / detection: median ${medianRatio === null ? '-' : medianRatio.toFixed(2)}x, worst ${ratios.length ? Math.max(...ratios).toFixed(2) : '-'}x (target <= 1.5x)`,
  ].join('\n');
  return { text, exactlyOne, medianRatio };
}
