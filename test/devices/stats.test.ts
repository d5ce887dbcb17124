import { describe, expect, it } from 'vitest';
import { medianCI, rejectOutliers, summarize } from '../../devices/stats.js';
import { Rng } from '../../src/core/rng.js';

describe('summarize', () => {
  it('describes known samples', () => {
    const s = summarize([5, 1, 4, 2, 3], 0.5);
    expect(s).toMatchObject({ n: 5, rejected: 0, median: 3, mean: 3, min: 1, max: 5 });
    expect(s.std).toBeCloseTo(Math.sqrt(2.5), 12);
    // simple-statistics interpolates between order statistics.
    expect(s.p10).toBeCloseTo(1.4, 12);
    expect(s.p90).toBeCloseTo(4.6, 12);
  });

  it('rejects outliers beyond 1.5 IQR and keeps the rest', () => {
    const samples = [10, 10.1, 9.9, 10.2, 9.8, 10, 10.05, 9.95, 50, 0.1];
    const s = summarize(samples, 0.02);
    expect(s.rejected).toBe(2);
    expect(s.n).toBe(8);
    expect(s.max).toBe(10.2);
    expect(s.min).toBe(9.8);
    expect(rejectOutliers([1, 2, 3])).toEqual([1, 2, 3]);
  });

  it('gives the tabulated order-statistic ranks for the median CI', () => {
    const ranks = (n: number) => medianCI(Array.from({ length: n }, (_, i) => i + 1));
    expect(ranks(20)).toEqual([6, 15]);
    expect(ranks(100)).toEqual([40, 61]);
    expect(ranks(3)).toEqual([1, 3]);
  });

  it('has a CI that contains the median and shrinks with n', () => {
    const rng = new Rng(3);
    const draw = (n: number) => Array.from({ length: n }, () => 1 + 0.05 * rng.normal());
    const small = summarize(draw(20), 0.02);
    const large = summarize(draw(2000), 0.02);
    for (const s of [small, large]) {
      expect(s.ci95[0]).toBeLessThanOrEqual(s.median);
      expect(s.ci95[1]).toBeGreaterThanOrEqual(s.median);
      expect(s.p10).toBeLessThanOrEqual(s.median);
      expect(s.median).toBeLessThanOrEqual(s.p90);
    }
    expect(large.ci95[1] - large.ci95[0]).toBeLessThan(small.ci95[1] - small.ci95[0]);
    expect(small.converged).toBe(false);
    expect(large.converged).toBe(true);
  });

  it('sets converged from the relative half-width against the target', () => {
    const flat = summarize(Array(30).fill(2), 0.001);
    expect(flat.converged).toBe(true);
    const spread = Array.from({ length: 30 }, (_, i) => 1 + i / 10);
    expect(summarize(spread, 0.01).converged).toBe(false);
    expect(summarize(spread, 1).converged).toBe(true);
  });

  it('refuses empty or non-finite samples', () => {
    expect(() => summarize([], 0.02)).toThrow(/no samples/);
    expect(() => summarize([1, NaN], 0.02)).toThrow(/finite/);
  });
});
