import { describe, expect, it } from 'vitest';
import { bootstrapBestRange, percentile } from '../../src/designspace/bootstrap.js';

describe('empirical bootstrap of the best range', () => {
  it('percentiles interpolate between order statistics like numpy', () => {
    expect(percentile([4, 1, 3, 2], 2.5)).toBeCloseTo(1.075, 12);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 97.5)).toBeCloseTo(3.925, 12);
    expect(percentile([7], 50)).toBe(7);
  });

  it('a parameter whose one value gives the lowest errors gets that value as its whole interval', () => {
    // 100 models, p = i mod 10, error = |p − 4|: a draw of 50 misses every p = 4 model with probability 0.9^50 ≈ 0.5%.
    const p = Array.from({ length: 100 }, (_, i) => i % 10);
    const errors = p.map((v) => Math.abs(v - 4));
    const r = bootstrapBestRange(errors, { p, q: p.map((v) => 10 * v) }, { sample: 0.5, seed: 3 });
    expect(r).toMatchObject({ resamples: 2500, sampleSize: 50, level: 0.95, seed: 3 });
    expect(r.intervals).toEqual([
      { param: 'p', lo: 4, median: 4, hi: 4, best: 4, min: 0, max: 9 },
      { param: 'q', lo: 40, median: 40, hi: 40, best: 40, min: 0, max: 90 },
    ]);
  });

  it('two equally good values span the interval; the draw size and count follow the options', () => {
    const p = Array.from({ length: 40 }, (_, i) => i % 8);
    const errors = p.map((v) => (v === 2 || v === 6 ? 0 : 1));
    const r = bootstrapBestRange(errors, { p }, { resamples: 400, sample: 20, alpha: 0.1 });
    expect(r).toMatchObject({ resamples: 400, sampleSize: 20, level: 0.9 });
    expect(r.intervals[0]).toMatchObject({ lo: 2, hi: 6, best: 2 });
  });

  it('is seeded: the same seed gives the same intervals', () => {
    const errors = Array.from({ length: 30 }, (_, i) => Math.sin(i) + i / 30);
    const p = errors.map((_, i) => i);
    expect(bootstrapBestRange(errors, { p }, { seed: 5 })).toEqual(bootstrapBestRange(errors, { p }, { seed: 5 }));
  });
});
