/**
 * The slice primitive in training (src/train/nn/primitives.ts sliceUnit): DARTS's FactorizedReduce reads its
 * input shifted by one pixel; its gradient through the crop (dy padded back with zeros) equals tfjs autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/core/arch.js';
import { Rng } from '../../src/core/rng.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { Network } from '../../src/train/nn/network.js';
import { sliceUnit } from '../../src/train/nn/primitives.js';

const ARCH: Architecture = {
  name: 'factreduce',
  input: [1, 2, 8, 8],
  dtype: 'f32',
  layers: [
    { role: 'stem', spec: { kind: 'conv', cout: 6, k: 3, stride: 1, groups: 1, dilation: 1, act: 'none' } },
    { role: 'block', spec: { kind: 'factreduce', cout: 8 } },
    { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
    { role: 'head', spec: { kind: 'linear', cout: 3, act: 'none' } },
  ],
};
const N = 4;
const images = new Rng(5).fill(N * 8 * 8 * 2, 2);
const labels = [0, 1, 2, 1];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('slice in training', () => {
  it('crops forward and pads the gradient back', () => {
    const unit = sliceUnit([1, 1], [4, 3]);
    const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
    const [y] = unit.forward([x]);
    expect(y.shape).toEqual([1, 3, 2, 1]);
    expect(Array.from(y.dataSync())).toEqual([5, 6, 9, 10, 13, 14]);
    const [dx] = unit.backward([tf.onesLike(y)], [true]);
    expect(Array.from(dx!.dataSync())).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0]);
  });

  it('gives tfjs autodiff gradients through FactorizedReduce', () => {
    const net = new Network(ARCH, { seed: 2 });
    const trainable = net.params().filter((p) => p.trainable);
    expect(trainable.map((p) => p.name)).toEqual(expect.arrayContaining(['layer1.conv1.weight', 'layer1.conv2.weight']));
    const expected = new Map<string, Float32Array>();
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 3), net.forward(tf.tensor4d(images, [N, 8, 8, 2]), true)) as tf.Scalar,
        trainable.map((p) => p.variable),
      );
      for (const p of trainable) expected.set(p.name, grads[p.variable.name].dataSync() as Float32Array);
    });
    net.cancelStep();
    tf.tidy(() => {
      const logits = net.forward(tf.tensor4d(images, [N, 8, 8, 2]), true);
      net.backward(tf.tensor2d(softmaxCrossEntropy(logits.dataSync() as Float32Array, labels, 3).grad, [N, 3]));
    });
    const scale = Math.max(...[...expected.values()].map((g) => Math.max(...g.map(Math.abs))));
    for (const p of trainable) {
      const want = expected.get(p.name)!;
      const got = p.grad!.dataSync() as Float32Array;
      const err = Math.max(...want.map((w, i) => Math.abs(w - got[i]) / (Math.abs(w) + 1e-3 * scale)));
      expect(err, p.name).toBeLessThan(2e-3);
    }
    net.dispose();
  });
});
