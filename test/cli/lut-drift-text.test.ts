import { describe, expect, it } from 'vitest';
import { driftText } from '../../src/cli/commands/lut.js';

describe('lut show: the reference drift rule (protocol.referenceDrift)', () => {
  it('prints the rule a LUT was measured with, and nothing for a LUT measured without it', () => {
    expect(driftText({ readings: 31, slope: 0.4, fromMs: 4, toMs: 6.5, level: 1.15 })).toBe(
      ', and further by its slow drift (median of the last 31 readings, βs 0.4 up to 4 ms → β from 6.5 ms, level 1.15 R)',
    );
    expect(driftText(undefined)).toBe('');
  });
});
