import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTrainingBackend } from '../../src/train/backend.js';
import { Param } from '../../src/train/nn/module.js';
import { Optimizer, cosineLr } from '../../src/train/optimizer.js';

describe('optimizer', () => {
  beforeAll(async () => {
    await useTrainingBackend('wasm');
  });

  it('cosine schedule: linear warm-up, peak, half, zero', () => {
    expect(cosineLr(0.1, 0, 100, 10)).toBeCloseTo(0.01, 10);
    expect(cosineLr(0.1, 9, 100, 10)).toBeCloseTo(0.1, 10);
    expect(cosineLr(0.1, 10, 110, 10)).toBeCloseTo(0.1, 10);
    expect(cosineLr(0.1, 60, 110, 10)).toBeCloseTo(0.05, 10);
    expect(cosineLr(0.1, 110, 110, 10)).toBeCloseTo(0, 10);
  });

  it('SGD with Nesterov momentum and weight decay follows the PyTorch update', () => {
    const w = new Param('w', tf.tensor1d([1, -2]), 'weight');
    const b = new Param('b', tf.tensor1d([0.5]), 'bias');
    const opt = new Optimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }, [w, b]);
    for (let step = 0; step < 2; step++) {
      w.addGrad(tf.tensor1d([0.3, 0.1]));
      b.addGrad(tf.tensor1d([1]));
      opt.apply(0.1);
    }
    // By hand: g = grad + wd*w (weights only); v = 0.9 v + g; w -= lr * (g + 0.9 v).
    let wv = [1, -2];
    let v = [0, 0];
    let bv = 0.5;
    let vb = 0;
    for (let step = 0; step < 2; step++) {
      const g = [0.3 + 0.01 * wv[0], 0.1 + 0.01 * wv[1]];
      v = v.map((x, i) => 0.9 * x + g[i]);
      wv = wv.map((x, i) => x - 0.1 * (g[i] + 0.9 * v[i]));
      vb = 0.9 * vb + 1;
      bv -= 0.1 * (1 + 0.9 * vb);
    }
    const got = w.value.dataSync();
    expect(got[0]).toBeCloseTo(wv[0], 6);
    expect(got[1]).toBeCloseTo(wv[1], 6);
    expect(b.value.dataSync()[0]).toBeCloseTo(bv, 6);
    expect([...opt.stateTensors().keys()]).toEqual(['momentum.w', 'momentum.b']);
    expect(w.grad).toBeNull();
    opt.dispose();
  });

  it('Adam with bias correction moves each weight by about lr on the first step', () => {
    const w = new Param('w', tf.tensor1d([1, 1]), 'weight');
    const opt = new Optimizer({ kind: 'adam', lr: 0.01 }, [w]);
    w.addGrad(tf.tensor1d([5, -0.001]));
    opt.apply(0.01);
    const got = w.value.dataSync();
    expect(got[0]).toBeCloseTo(0.99, 5);
    expect(got[1]).toBeCloseTo(1.01, 4);
    expect([...opt.stateTensors().keys()].sort()).toEqual(['adam_m.w', 'adam_v.w']);
    opt.dispose();
  });

  it('rejects settings that cannot train', () => {
    expect(() => new Optimizer({ kind: 'sgd', lr: -1 }, [])).toThrow(/learning rate must be a positive number/);
    expect(() => new Optimizer({ kind: 'sgd', lr: 0.1, momentum: 1 }, [])).toThrow(/momentum must be in \[0, 1\)/);
    expect(() => new Optimizer({ kind: 'rmsprop' as never, lr: 0.1 }, [])).toThrow(/unknown optimizer 'rmsprop'/);
  });
});
