import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { actGain, Weights } from '../../export/weights.js';

const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);

describe('Weights', () => {
  it('depends only on (seed, tensor name): order of requests does not matter', () => {
    const a = new Weights(1);
    const first = a.weight('layer1.dw.weight', [8, 1, 3, 3], 9, 1);
    a.weight('layer0.conv.weight', [8, 3, 3, 3], 27, 1);
    expect(new Weights(1).weight('layer1.dw.weight', [8, 1, 3, 3], 9, 1)).toEqual(first);
    expect(new Weights(2).weight('layer1.dw.weight', [8, 1, 3, 3], 9, 1)).not.toEqual(first);
    expect(new Weights(1).weight('layer2.dw.weight', [8, 1, 3, 3], 9, 1)).not.toEqual(first);
  });

  it('scales weights He-style (std = gain / sqrt(fanIn)) and gives small non-zero biases', () => {
    const w = new Weights(3).weight('w', [64, 32, 3, 3], 288, actGain('relu'));
    expect(std(w)).toBeCloseTo(Math.SQRT2 / Math.sqrt(288), 2);
    const b = new Weights(3).bias('b', [64]);
    expect(b.every((v) => v !== 0 && Math.abs(v) <= 0.1)).toBe(true);
    expect(w.every((v) => v === 0 || Math.abs(v) > 1e-30)).toBe(true);
  });

  it('prefers a WeightSource, checking what it returns', () => {
    const given = Float32Array.of(1, 2, 3);
    const w = new Weights(0, (name) => (name === 'fc.bias' ? given : undefined));
    expect(w.bias('fc.bias', [3])).toBe(given);
    expect(w.bias('other.bias', [3])).not.toBe(given);
    expect(() => w.bias('fc.bias', [4])).toThrow(UserError);
    expect(() => w.bias('fc.bias', [4])).toThrow(/gave 3 values for 'fc.bias', expected 4/);
    const nan = new Weights(0, () => Float32Array.of(NaN));
    expect(() => nan.bias('x', [1])).toThrow(/non-finite/);
  });
});
