import { describe, expect, it } from 'vitest';
import { agreement, kendallTau } from '../../src/core/agreement.js';

describe('agreement figures', () => {
  it('computes Kendall tau-b', () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // 5 concordant, 1 discordant pair of 6: (5-1)/6
    expect(kendallTau([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(4 / 6, 12);
    // Ties: scipy.stats.kendalltau([1,1,2,3],[1,2,2,3]) = 0.8
    expect(kendallTau([1, 1, 2, 3], [1, 2, 2, 3])).toBeCloseTo(0.8, 12);
  });

  it('counts predictions within ±5% and ±10%', () => {
    const a = agreement([100, 104, 109, 120], [100, 100, 100, 100]);
    expect(a.within5).toBe(50);
    expect(a.within10).toBe(75);
    expect(a.meanAbsErrorPct).toBeCloseTo((0 + 4 + 9 + 20) / 4, 12);
    expect(a.maxAbsErrorPct).toBeCloseTo(20, 12);
  });
});
