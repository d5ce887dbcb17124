import { describe, expect, it } from 'vitest';
import { mnasnetReward, MNASNET_PRESETS } from '../../../src/search/mnasnet/reward.js';

describe('MnasNet reward ACC·(LAT/T)^w', () => {
  it('soft preset: α = β = −0.07 on both sides of the target', () => {
    expect(MNASNET_PRESETS.soft).toEqual({ alpha: -0.07, beta: -0.07 });
    expect(mnasnetReward(0.75, 80, 80, 'soft')).toBe(0.75);
    expect(mnasnetReward(0.75, 160, 80, 'soft')).toBeCloseTo(0.75 * 2 ** -0.07, 12);
    expect(mnasnetReward(0.75, 160, 80, 'soft')).toBeCloseTo(0.714, 3);
    expect(mnasnetReward(0.75, 40, 80, 'soft')).toBeCloseTo(0.7873, 4);
    expect(mnasnetReward(0.75, 40, 80)).toBe(mnasnetReward(0.75, 40, 80, 'soft'));
  });

  it('hard preset: no gain below the target, ACC·T/LAT above it', () => {
    expect(mnasnetReward(0.75, 40, 80, 'hard')).toBe(0.75);
    expect(mnasnetReward(0.75, 80, 80, 'hard')).toBe(0.75);
    expect(mnasnetReward(0.75, 160, 80, 'hard')).toBeCloseTo(0.375, 12);
  });

  it('custom exponents, and clear errors', () => {
    expect(mnasnetReward(0.5, 20, 10, { alpha: -0.1, beta: -0.5 })).toBeCloseTo(0.5 / Math.SQRT2, 12);
    expect(mnasnetReward(0.5, 5, 10, { alpha: -0.1, beta: -0.5 })).toBeCloseTo(0.5 * 2 ** 0.1, 12);
    expect(() => mnasnetReward(0.5, 5, 10, 'medium' as never)).toThrow(/unknown MnasNet reward preset 'medium'/);
    expect(() => mnasnetReward(-1, 5, 10)).toThrow(/accuracy must be a finite number ≥ 0, got -1/);
    expect(() => mnasnetReward(0.5, 0, 10)).toThrow(/latency must be a finite number of ms > 0, got 0/);
    expect(() => mnasnetReward(0.5, 5, Number.NaN)).toThrow(/target must be/);
  });
});
