import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chainArch, classifierHead, convSpec, type Architecture } from '../../src/core/arch.js';
import { Rng } from '../../src/core/rng.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { foldedWeights } from '../../src/train/fold.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { Network } from '../../src/train/nn/network.js';

/** Every trainable kind, activation and skip path, on 9x9x2 images. */
const ARCH = chainArch('all-kinds', [1, 2, 9, 9], {
  stem: [convSpec(8, 3, 1, 'relu')],
  blocks: [
    { kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 2, se: 0.5, act: 'hswish', skip: true },
    { kind: 'dwsep', cout: 12, k: 5, stride: 2, se: 0.25, act: 'swish', skip: false },
    { kind: 'pool', mode: 'max', k: 3, stride: 1 },
    { kind: 'dwconv', k: 3, stride: 1, dilation: 1, act: 'relu6' },
    { kind: 'pool', mode: 'avg', k: 3, stride: 2 },
    { kind: 'se', ratio: 0.5, act: 'relu' },
    { kind: 'identity' },
    convSpec(16, 1, 1, 'none'),
  ],
  head: [
    { kind: 'gpool', mode: 'max' },
    { kind: 'linear', cout: 5, act: 'relu' },
    { kind: 'linear', cout: 4, act: 'none' },
  ],
});
const N = 6;
const rng = new Rng(3);
const images = rng.fill(N * 9 * 9 * 2, 2);
const labels = [0, 1, 2, 3, 1, 2];

describe('network engine', () => {
  beforeAll(async () => {
    await useTrainingBackend('wasm');
  });

  it('explicit backward equals tfjs autodiff (cpu) for every parameter', async () => {
    await tf.setBackend('cpu');
    const ref = new Network(ARCH, { seed: 5 });
    const expected = new Map<string, Float32Array>();
    tf.tidy(() => {
      const trainable = ref.params().filter((p) => p.trainable);
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 4), ref.forward(tf.tensor4d(images, [N, 9, 9, 2]), true)) as tf.Scalar,
        trainable.map((p) => p.variable),
      );
      for (const p of trainable) expected.set(p.name, grads[p.variable.name].dataSync() as Float32Array);
    });
    ref.dispose();

    await tf.setBackend('wasm');
    const net = new Network(ARCH, { seed: 5 });
    tf.tidy(() => {
      const logits = net.forward(tf.tensor4d(images, [N, 9, 9, 2]), true);
      const { grad } = softmaxCrossEntropy(logits.dataSync() as Float32Array, labels, 4);
      net.backward(tf.tensor2d(grad, [N, 4]));
    });
    const scale = Math.max(...[...expected.values()].map((g) => Math.max(...g.map(Math.abs))));
    expect(expected.size).toBe(net.params().filter((p) => p.trainable).length);
    for (const p of net.params().filter((q) => q.trainable)) {
      const got = p.grad!.dataSync();
      const want = expected.get(p.name)!;
      const err = Math.max(...want.map((w: number, i: number) => Math.abs(w - got[i]) / (Math.abs(w) + 1e-3 * scale)));
      expect(err, p.name).toBeLessThan(2e-3);
    }
    net.dispose();
    expect(tf.memory().numTensors).toBeLessThan(50);
  });

  it('names parameters as the exporter does and folds BatchNorm into the convs', () => {
    const arch = chainArch('fold', [1, 3, 6, 6], {
      stem: [convSpec(4, 3, 2, 'none')],
      blocks: [{ kind: 'mbconv', cout: 4, k: 3, stride: 1, expand: 2, se: 0.5, act: 'none', skip: false }],
      head: classifierHead(3),
    });
    const net = new Network(arch, { seed: 1 });
    // Train a few steps so the BatchNorm statistics and affine parameters are not the identity.
    const x = rng.fill(8 * 6 * 6 * 3, 3);
    for (let i = 0; i < 3; i++)
      tf.tidy(() => {
        const logits = net.forward(tf.tensor4d(x, [8, 6, 6, 3]), true);
        net.backward(tf.tensor2d(softmaxCrossEntropy(logits.dataSync() as Float32Array, [0, 1, 2, 0, 1, 2, 0, 1], 3).grad, [8, 3]));
        for (const p of net.params()) if (p.grad) p.variable.assign(tf.sub(p.variable, tf.mul(p.grad, 0.5)));
      });
    const w = foldedWeights(net);
    expect([...w.keys()].sort()).toEqual(
      ['layer0.conv', 'layer1.expand', 'layer1.dw', 'layer1.se.reduce', 'layer1.se.expand', 'layer1.project', 'layer3.fc'].flatMap((n) => [`${n}.bias`, `${n}.weight`]).sort(),
    );
    expect(w.get('layer0.conv.weight')!.shape).toEqual([4, 3, 3, 3]);
    expect(w.get('layer1.dw.weight')!.shape).toEqual([8, 1, 3, 3]);
    expect(w.get('layer1.se.reduce.weight')!.shape).toEqual([2, 8, 1, 1]);
    expect(w.get('layer3.fc.weight')!.shape).toEqual([3, 4]);

    // The folded stem conv (OIHW, bias) computes what conv + BatchNorm compute in inference mode.
    const input = tf.tensor4d(x.subarray(0, 2 * 108), [2, 6, 6, 3]);
    const expected = tf.tidy(() => net.layers[0].module.forward(input).dataSync());
    const stem = w.get('layer0.conv.weight')!;
    const hwio = tf.transpose(tf.tensor4d(stem.data, stem.shape as [number, number, number, number]), [2, 3, 1, 0]) as tf.Tensor4D;
    const folded = tf.add(tf.conv2d(input, hwio, 2, 1), tf.tensor1d(w.get('layer0.conv.bias')!.data)).dataSync();
    const err = Math.max(...expected.map((v, i) => Math.abs(v - folded[i])));
    expect(err).toBeLessThan(1e-4);
    net.dispose();
  });

  it('recalibrates BatchNorm statistics to the plain average over batches', () => {
    const net = new Network(ARCH, { seed: 2 });
    const x = tf.tensor4d(images, [N, 9, 9, 2]);
    const halves = [tf.slice(x, [0, 0, 0, 0], [3, 9, 9, 2]), tf.slice(x, [3, 0, 0, 0], [3, 9, 9, 2])];
    net.recalibrate(halves);
    const bn = net.params().find((p) => p.name === 'layer0.conv.bn.mean')!;
    // The stem's batch mean over two equal halves averages to the mean over all images.
    const stem = tf.tidy(() => tf.mean(tf.conv2d(x, net.params()[0].value as tf.Tensor4D, 1, 1), [0, 1, 2]).dataSync());
    const got = bn.value.dataSync();
    stem.forEach((m, i) => expect(got[i]).toBeCloseTo(m, 5));
    net.dispose();
  });

  it('rejects a network without class scores; grouped convs and ceil-mode pools build', () => {
    // Grouped convs and the resblock's stride-2 ceil-mode shortcut pool run as GeneralConv / GeneralPool (general-conv.test.ts).
    const grouped: Architecture = { ...ARCH, layers: [{ role: 'stem', spec: { kind: 'conv', cout: 8, k: 3, stride: 1, groups: 2, dilation: 1, act: 'relu' } }, ...ARCH.layers.slice(1)] };
    new Network(grouped).dispose();
    const nb: Architecture = { ...ARCH, layers: [ARCH.layers[0], { role: 'block', spec: { kind: 'resblock', cout: 8, stride: 2 } }, ...ARCH.layers.slice(9)] };
    new Network(nb).dispose();
    const noHead: Architecture = { ...ARCH, layers: ARCH.layers.slice(0, 3) };
    expect(() => new Network(noHead)).toThrow(/training needs class scores/);
  });
});
