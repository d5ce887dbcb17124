/**
 * The range a latency figure may take. No op or network this tool measures runs for an hour, so a
 * value beyond that is a corrupt or hand-edited file (1e300, 1.7e308) or a broken client, never a
 * measurement: LUTs holding one are refused on load, and the remote page's samples are held to the same
 * bound, so such a value can neither be predicted with nor win a merge.
 */
import type { LatencyStats } from './contracts.js';

/** The fields of a latency distribution that are checked. */
type Distribution = Pick<LatencyStats, 'median' | 'mean' | 'std' | 'p10' | 'p90' | 'min' | 'max' | 'ci95'>;

/** One hour, in milliseconds. */
export const MAX_LATENCY_MS = 3_600_000;

export const isLatency = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_LATENCY_MS;

/** What is implausible about a latency distribution, or undefined. */
export function statsProblem(s: Distribution): string | undefined {
  for (const field of ['median', 'mean', 'std', 'p10', 'p90', 'min', 'max'] as const)
    if (!isLatency(s[field])) return `${field} ${s[field]} ms is outside [0, ${MAX_LATENCY_MS}] ms (one hour)`;
  const [lo, hi] = s.ci95;
  if (!isLatency(lo) || !isLatency(hi)) return `ci95 [${lo}, ${hi}] ms is outside [0, ${MAX_LATENCY_MS}] ms (one hour)`;
  // Written values are rounded; allow for it.
  const slack = 1e-9 * Math.max(1, s.median);
  if (!(lo - slack <= s.median && s.median <= hi + slack)) return `median ${s.median} ms lies outside its own 95% CI [${lo}, ${hi}]`;
  if (!(s.min - slack <= s.median && s.median <= s.max + slack)) return `median ${s.median} ms lies outside its own range [${s.min}, ${s.max}]`;
  return undefined;
}
