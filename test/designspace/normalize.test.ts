import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { complexityWeights } from '../../src/designspace/normalize.js';

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

describe('complexity normalization', () => {
  it('gives each shared log-spaced bin the same total weight in every set', () => {
    const w = complexityWeights([[1, 1, 1, 10], [1, 10, 10, 10]], 2);
    expect(w.edges[0]).toBe(1);
    expect(w.edges[1]).toBeCloseTo(Math.sqrt(10), 12);
    expect(w.edges[2]).toBe(10);
    expect(w.usedBins).toBe(2);
    expect(w.weights[0]).toEqual([1 / 6, 1 / 6, 1 / 6, 1 / 2]);
    expect(w.weights[1]).toEqual([1 / 2, 1 / 6, 1 / 6, 1 / 6]);
    expect(w.dropped).toEqual([0, 0]);
    // The weighted complexity distributions are the same: half the weight at 1, half at 10.
    for (const [s, c] of [[0, [1, 1, 1, 10]], [1, [1, 10, 10, 10]]] as const) expect(sum(w.weights[s].filter((_, i) => c[i] === 1))).toBeCloseTo(0.5, 12);
  });

  it('drops models outside the shared range and bins only one set fills', () => {
    const w = complexityWeights([[1, 5, 50, 100], [5, 6, 50]], 1);
    expect(w.edges).toEqual([5, 50]);
    expect(w.weights[0]).toEqual([0, 1 / 2, 1 / 2, 0]);
    expect(w.weights[1]).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(w.dropped).toEqual([2, 0]);
    // Range [1, 3] in two bins split at √3: the second set has no model in the upper bin, so only the lower one counts.
    const hole = complexityWeights([[1, 2, 3], [1, 100]], 2);
    expect(hole.edges).toEqual([1, Math.exp(Math.log(3) / 2), 3]);
    expect(hole.usedBins).toBe(1);
    expect(hole.weights).toEqual([[1, 0, 0], [1, 0]]);
    expect(hole.dropped).toEqual([2, 1]);
    const empty = complexityWeights([[1, 1.1, 50, 100], [1, 100]], 4); // bins 2 and 3 (3.2–31.6) empty in both
    expect(empty.usedBins).toBe(2);
    expect(empty.weights[0]).toEqual([1 / 4, 1 / 4, 1 / 4, 1 / 4]);
    expect(empty.weights[1]).toEqual([1 / 2, 1 / 2]);
  });

  it('one set alone becomes uniform over its bins', () => {
    const w = complexityWeights([[1, 1, 1, 100]], 2);
    expect(w.weights[0]).toEqual([1 / 6, 1 / 6, 1 / 6, 1 / 2]);
  });

  it('refuses ranges that do not overlap and non-positive complexities', () => {
    expect(() => complexityWeights([[1, 2], [3, 4]])).toThrow(/complexity ranges do not overlap/);
    expect(() => complexityWeights([[1, 2], [3, 4]])).toThrow(UserError);
    expect(() => complexityWeights([[0, 2], [1, 2]])).toThrow(/positive, finite/);
    expect(() => complexityWeights([[1], []])).toThrow(/at least one model/);
    expect(() => complexityWeights([[1], [1]], 0)).toThrow(/positive integer/);
  });
});
