import { describe, expect, it } from 'vitest';
import { edfAt, edfCurve, edfQuantile, ksDistance } from '../../src/designspace/edf.js';

describe('error EDF', () => {
  it('F(e) is the fraction of models with error strictly below e', () => {
    const errors = [3, 1, 2, 2];
    expect(edfAt(errors, 1)).toBe(0);
    expect(edfAt(errors, 2)).toBe(0.25);
    expect(edfAt(errors, 2.0001)).toBe(0.75);
    expect(edfAt(errors, 3)).toBe(0.75);
    expect(edfAt(errors, 3.5)).toBe(1);
    expect(edfAt([], 1)).toBe(0);
  });

  it('the step curve has one point per distinct value, at the fraction at or below it', () => {
    expect(edfCurve([3, 1, 2, 2])).toEqual([
      { x: 1, y: 0.25 },
      { x: 2, y: 0.75 },
      { x: 3, y: 1 },
    ]);
    expect(edfCurve([])).toEqual([]);
  });

  it('weights re-weight the models; weight 0 drops a model', () => {
    const errors = [3, 1, 2, 2];
    const w = [1, 1, 2, 0];
    expect(edfAt(errors, 2.5, w)).toBe(0.75);
    expect(edfAt(errors, 1.5, w)).toBe(0.25);
    expect(edfCurve([3, 1, 2, 5], [1, 1, 2, 0])).toEqual([
      { x: 1, y: 0.25 },
      { x: 2, y: 0.75 },
      { x: 3, y: 1 },
    ]);
    expect(() => edfAt(errors, 1, [1])).toThrow(/4 values but 1 weights/);
  });

  it('the KS distance is the largest gap between two EDFs', () => {
    const a = edfCurve([1, 2, 3, 4]);
    expect(ksDistance(a, edfCurve([3, 4, 5, 6]))).toBe(0.5);
    expect(ksDistance(a, edfCurve([4, 3, 2, 1]))).toBe(0);
    expect(ksDistance(edfCurve([1, 2]), edfCurve([3, 4]))).toBe(1);
    expect(ksDistance(a, edfCurve([2, 3, 4, 5]))).toBe(0.25);
  });

  it('quantiles read the curve', () => {
    const c = edfCurve([1, 2, 3, 4]);
    expect(edfQuantile(c, 0.1)).toBe(1);
    expect(edfQuantile(c, 0.5)).toBe(2);
    expect(edfQuantile(c, 0.51)).toBe(3);
    expect(edfQuantile(c, 1)).toBe(4);
  });
});
