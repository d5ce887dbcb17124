/**
 * Summarises raw latency samples into a LatencyStats distribution.
 *
 * Timing noise on a shared machine is one-sided (interrupts, GC, other processes only ever add time),
 * so we drop outliers with Tukey's 1.5·IQR fences and describe the rest by its median, whose 95%
 * confidence interval comes from order statistics: it needs no assumption about the distribution's shape.
 */
import { max, mean, min, quantileSorted, sampleStandardDeviation } from 'simple-statistics';
import type { LatencyStats } from './types.js';

/** z for a two-sided 95% interval. */
const Z95 = 1.96;

/** Samples inside Tukey's fences [q1 − 1.5·IQR, q3 + 1.5·IQR]; `sorted` must be ascending. */
export function rejectOutliers(sorted: readonly number[]): number[] {
  if (sorted.length < 4) return [...sorted];
  const q1 = quantileSorted(sorted as number[], 0.25);
  const q3 = quantileSorted(sorted as number[], 0.75);
  const fence = 1.5 * (q3 - q1);
  return sorted.filter((x) => x >= q1 - fence && x <= q3 + fence);
}

/**
 * Distribution-free 95% CI of the median of ascending `sorted`: the order statistics at 1-based ranks
 * n/2 − 1.96·√n/2 and 1 + n/2 + 1.96·√n/2, rounded to the nearest rank and clamped to the sample
 * (the normal approximation of the binomial; it gives the tabulated ranks 6 and 15 for n = 20).
 */
export function medianCI(sorted: readonly number[]): [number, number] {
  const n = sorted.length;
  const half = (Z95 * Math.sqrt(n)) / 2;
  const lo = Math.max(1, Math.round(n / 2 - half));
  const hi = Math.min(n, Math.round(1 + n / 2 + half));
  return [sorted[lo - 1], sorted[hi - 1]];
}

/** Relative half-width of a CI around `median` (0 when both are 0). */
export function relativeHalfWidth(ci: readonly [number, number], median: number): number {
  const half = (ci[1] - ci[0]) / 2;
  if (half === 0) return 0;
  return median > 0 ? half / median : Infinity;
}

/**
 * Stats of `samples` (ms). `converged` says whether the median's CI half-width, relative to the
 * median, is within `targetCI` (e.g. 0.02 for ±2%).
 */
export function summarize(samples: readonly number[], targetCI: number): LatencyStats {
  if (samples.length === 0) throw new Error('summarize: no samples');
  if (samples.some((x) => !Number.isFinite(x))) throw new Error('summarize: samples must be finite numbers');
  const sorted = [...samples].sort((a, b) => a - b);
  const kept = rejectOutliers(sorted);
  const median = quantileSorted(kept, 0.5);
  const ci95 = medianCI(kept);
  return {
    n: kept.length,
    rejected: sorted.length - kept.length,
    median,
    mean: mean(kept),
    std: kept.length > 1 ? sampleStandardDeviation(kept) : 0,
    p10: quantileSorted(kept, 0.1),
    p90: quantileSorted(kept, 0.9),
    min: min(kept),
    max: max(kept),
    ci95,
    converged: relativeHalfWidth(ci95, median) <= targetCI,
  };
}
