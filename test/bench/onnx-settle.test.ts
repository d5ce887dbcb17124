/** bench/onnx-settle.ts: which files bench/onnx-fidelity.ts measures a third time, and the figure it reads them against. */
import { describe, expect, it } from 'vitest';
import { disagreeing, pairSpread, settledFigure } from '../../bench/onnx-settle.js';

describe('onnx-fidelity: files measured a third time', () => {
  it('measures the spread of two measurements over their mean, either order', () => {
    expect(pairSpread(1, 1)).toBe(0);
    expect(pairSpread(0.99, 1.21)).toBeCloseTo(0.2, 12);
    expect(pairSpread(1.21, 0.99)).toBeCloseTo(0.2, 12);
  });

  it('picks the files whose two measurements disagree beyond the limit, and none without a limit', () => {
    const first = [1.0, 0.99, 1.0, 2.0];
    const second = [1.05, 1.21, 0.85, 2.0];
    expect(disagreeing(first, second, 0.1)).toEqual([1, 2]);
    // exactly at the limit is not beyond it
    expect(disagreeing([0.875], [1.125], 0.25)).toEqual([]);
    expect(disagreeing(first, second, undefined)).toEqual([]);
  });

  it('reads the mean of two and the median of three', () => {
    expect(settledFigure([1, 1.2])).toBeCloseTo(1.1, 12);
    // the third measurement sides with the first: the odd one out does not move the figure
    expect(settledFigure([0.99, 1.209, 1.0])).toBe(1.0);
    expect(settledFigure([1.3, 0.9, 1.0])).toBe(1.0);
    expect(settledFigure([2])).toBe(2);
    expect(() => settledFigure([])).toThrow(/1 to 3/);
  });
});
