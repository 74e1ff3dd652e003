import { loadavg } from 'node:os';

/** The median of `values` (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The `p`th percentile of `values` by nearest rank (p in 0..100: 50 is a median, 100 the maximum); NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** The machine's 1, 5 and 15 minute load averages as `a / b / c`, for benchmark output. */
export function loadAverageText(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
}
