/**
 * The slice primitive in training (src/train/nn/primitives.ts sliceUnit): DARTS's FactorizedReduce reads its
 * input shifted by one pixel; its gradient through the crop (dy padded back with zeros) equals tfjs autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/core/arch.js';
import { Rng } from '../../src/core/rng.js';
import { Network } from '../../src/train/nn/network.js';
import { sliceUnit } from '../../src/train/nn/primitives.js';
import { expectNetworkGradients } from './grad-check.js';

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
    expect(expectNetworkGradients(net, images, labels, [N, 8, 8, 2], 3)).toEqual(expect.arrayContaining(['layer1.conv1.weight', 'layer1.conv2.weight']));
    net.dispose();
  });
});
