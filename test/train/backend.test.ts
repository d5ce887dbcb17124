import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { useTrainingBackend } from '../../src/train/backend.js';

describe('training backend', () => {
  it('auto takes the best backend that loads and says why the others were skipped', async () => {
    const info = await useTrainingBackend('auto');
    expect(['tensorflow', 'wasm']).toContain(info.name);
    expect(tf.getBackend()).toBe(info.name);
    if (info.name === 'wasm') {
      expect(info.detail).toMatch(/wasm \((no )?SIMD, 1 thread, training kernels\)/);
      expect(info.skipped.join()).toMatch(/\[tensorflow\]/);
      expect(tf.getKernel(tf.DepthwiseConv2dNativeBackpropFilter, 'wasm')).toBeDefined();
    }
  });

  it('names the backend that cannot load and what to do', async () => {
    const err = await useTrainingBackend('tensorflow').catch((e) => e);
    if (err instanceof UserError) {
      expect(err.message).toMatch(/training backend 'tensorflow' is not available here/);
      expect(err.hint).toMatch(/install @tensorflow\/tfjs-node.*--backend wasm/);
    } else expect(err.name).toBe('tensorflow'); // tfjs-node is installed here
    await expect(useTrainingBackend('webgl' as never)).rejects.toThrow(/unknown training backend 'webgl'/);
    await useTrainingBackend('wasm');
  });
});
