// Order statistics over a run's samples.

export interface Summary {
  n: number;
  mean: number;
  median: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile (p in (0, 1]) of unsorted samples; NaN when there are none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = xs.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

export function summarise(xs: readonly number[]): Summary {
  if (xs.length === 0) return { n: 0, mean: NaN, median: NaN, p99: NaN, max: NaN };
  const sorted = xs.slice().sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  let sum = 0;
  for (const x of sorted) sum += x;
  return { n: sorted.length, mean: sum / sorted.length, median: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] as number };
}
