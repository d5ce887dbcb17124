import { describe, expect, it } from 'vitest';
import { convOut, expandedChannels, macs, outputShape } from '../../src/core/ops.js';

describe('op shapes and cost', () => {
  it('uses same padding: output = ceil(input / stride)', () => {
    for (const size of [7, 8, 28, 112, 113]) for (const k of [1, 3, 5, 7]) for (const s of [1, 2]) expect(convOut(size, k, s)).toBe(Math.ceil(size / s));
  });

  it('infers output shapes', () => {
    expect(outputShape({ kind: 'mbconv', cout: 24, k: 5, stride: 2, expand: 6, se: 0, act: 'relu6', skip: false }, [1, 16, 56, 56])).toEqual([1, 24, 28, 28]);
    expect(outputShape({ kind: 'gpool', mode: 'avg' }, [1, 320, 7, 7])).toEqual([1, 320, 1, 1]);
    expect(outputShape({ kind: 'resblock', cout: 32, stride: 2 }, [1, 16, 32, 32])).toEqual([1, 32, 16, 16]);
    expect(outputShape({ kind: 'zero', stride: 2 }, [1, 16, 9, 9])).toEqual([1, 16, 5, 5]);
  });

  it('rejects ops that cannot apply', () => {
    expect(() => outputShape({ kind: 'mbconv', cout: 24, k: 3, stride: 1, expand: 6, se: 0, act: 'relu', skip: true }, [1, 16, 8, 8])).toThrow(/identity skip/);
    expect(() => outputShape({ kind: 'linear', cout: 10, act: 'none' }, [1, 16, 8, 8])).toThrow(/N x C x 1 x 1/);
    expect(() => outputShape({ kind: 'conv', cout: 10, k: 1, stride: 1, groups: 4, dilation: 1, act: 'none' }, [1, 16, 8, 8])).toThrow(/groups 4/);
  });

  it('counts MACs like the textbook formulas', () => {
    // conv3x3 s2, 3 -> 32 channels on 224x224: 112*112*32*3*9
    expect(macs({ spec: { kind: 'conv', cout: 32, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu' }, input: [1, 3, 224, 224], dtype: 'f32' })).toBe(112 * 112 * 32 * 27);
    // mbconv e6 k3, 16 -> 24, stride 2 on 56x56: expand 56²·16·96 + dw 28²·96·9 + project 28²·96·24
    const m = macs({ spec: { kind: 'mbconv', cout: 24, k: 3, stride: 2, expand: 6, se: 0, act: 'relu6', skip: false }, input: [1, 16, 56, 56], dtype: 'f32' });
    expect(m).toBe(56 * 56 * 16 * 96 + 28 * 28 * 96 * 9 + 28 * 28 * 96 * 24);
    expect(expandedChannels(80, 2.3)).toBe(184);
  });
});
