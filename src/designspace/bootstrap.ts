/**
 * The empirical bootstrap of the best range of a parameter (Radosavovic et al. 2020, "Designing Network
 * Design Spaces", Sec. 3 and Appendix): draw a quarter of the models with replacement, keep the value of
 * the parameter in the best (lowest-error) model of the draw, repeat; the 2.5th and 97.5th percentiles
 * of the kept values are the 95% interval of where good models lie, their median the likely best value.
 * (pycls' `get_filters` does the same: 2500 draws of 25%.) Seeded, so a run gives the same intervals.
 */
import { Rng } from '../core/rng.js';

export interface BootstrapOptions {
  /** Draws (default 2500). */
  resamples?: number;
  /** Models per draw: a fraction of the population (≤ 1) or a count (default 0.25). */
  sample?: number;
  /** Two-sided level of the interval (default 0.05: 95%). */
  alpha?: number;
  seed?: number;
}

export interface BootstrapInterval {
  param: string;
  /** The alpha/2 and 1 − alpha/2 percentiles of the draws' best values, and their median. */
  lo: number;
  median: number;
  hi: number;
  /** The parameter's value in the lowest-error model of the whole population. */
  best: number;
  /** The range the population spans, for scale. */
  min: number;
  max: number;
}

export interface BootstrapResult {
  resamples: number;
  sampleSize: number;
  level: number;
  seed: number;
  intervals: BootstrapInterval[];
}

/** The q-th percentile (0..100) with linear interpolation between order statistics (numpy's default). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const s = [...values].sort((a, b) => a - b);
  const pos = (q / 100) * (s.length - 1);
  const i = Math.floor(pos);
  return i + 1 < s.length ? s[i] + (s[i + 1] - s[i]) * (pos - i) : s[i];
}

/** Index of the lowest error among `idx` (the first on ties). */
function argBest(errors: readonly number[], idx: readonly number[]): number {
  let best = idx[0];
  for (const i of idx) if (errors[i] < errors[best]) best = i;
  return best;
}

/** One interval per parameter of `values` (name → one value per model, aligned with `errors`). */
export function bootstrapBestRange(errors: readonly number[], values: Readonly<Record<string, readonly number[]>>, opts: BootstrapOptions = {}): BootstrapResult {
  const n = errors.length;
  if (n === 0) throw new Error('bootstrap of an empty population');
  const resamples = opts.resamples ?? 2500;
  const sample = opts.sample ?? 0.25;
  const alpha = opts.alpha ?? 0.05;
  const seed = opts.seed ?? 0;
  const sampleSize = sample > 1 ? Math.floor(sample) : Math.max(1, Math.floor(n * sample));
  const rng = new Rng(seed);
  const winners: number[] = [];
  for (let b = 0; b < resamples; b++) winners.push(argBest(errors, Array.from({ length: sampleSize }, () => rng.int(n))));
  const overall = argBest(errors, errors.map((_, i) => i));
  const intervals = Object.entries(values).map(([param, v]) => {
    if (v.length !== n) throw new Error(`bootstrap: ${param} has ${v.length} values for ${n} models`);
    const kept = winners.map((i) => v[i]);
    return {
      param,
      lo: percentile(kept, (100 * alpha) / 2),
      median: percentile(kept, 50),
      hi: percentile(kept, 100 - (100 * alpha) / 2),
      best: v[overall],
      min: Math.min(...v),
      max: Math.max(...v),
    };
  });
  return { resamples, sampleSize, level: 1 - alpha, seed, intervals };
}
