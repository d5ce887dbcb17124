/** Shared by the primitive training tests: a GraphModule's hand-written backward against tfjs autodiff of its forward. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { GraphModule } from '../../src/train/nn/graph-module.js';
import type { Network } from '../../src/train/nn/network.js';
import { SavedTensors, type DropPathDraw, type Param, type TrainContext } from '../../src/train/nn/module.js';

export function relErr(want: Float32Array, got: Float32Array, scale: number): number {
  return Math.max(...want.map((w: number, i: number) => Math.abs(w - got[i]) / (Math.abs(w) + 1e-3 * scale)));
}

/**
 * Checks the loss sum(y · r) (r fixed random): every trainable parameter's gradient and the input's
 * within 2e-3 relative error of tfjs autodiff. `data` is the NHWC input. Returns the trainable names.
 */
export function expectAutodiffGradients(m: GraphModule, data: Float32Array, shape: [number, number, number, number], dropPath?: () => DropPathDraw): string[] {
  const input = () => tf.tensor4d(data, shape);
  const outShape = tf.tidy(() => m.forward(input()).shape);
  const r = tf.tensor4d(new Rng(5).fill(outShape.reduce((a, v) => a * v, 1), 1), outShape);
  const params: Param[] = m.params().filter((q) => q.trainable);
  // With `dropPath`, every training forward draws its masks from a fresh draw: the same masks each time.
  const kept = new SavedTensors();
  const saved = (): TrainContext => (dropPath ? { save: (t) => kept.save(t), dropPath: dropPath() } : kept);
  const expected = new Map<string, Float32Array>();
  if (params.length) tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(m.forward(input(), saved()), r)) as tf.Scalar, params.map((q) => q.variable));
    for (const q of params) expected.set(q.name, grads[q.variable.name].dataSync() as Float32Array);
  });
  const wantDx = tf.tidy(() => tf.grad((z: tf.Tensor) => tf.sum(tf.mul(m.forward(tf.clone(z) as tf.Tensor4D, saved()), r)))(input()).dataSync() as Float32Array);
  kept.release();
  const dx = tf.tidy(() => {
    m.forward(input(), saved());
    return m.backward(r, true)!.dataSync() as Float32Array;
  });
  kept.release();
  r.dispose();
  const scale = Math.max(1e-6, ...[...expected.values()].map((g) => Math.max(...g.map(Math.abs))));
  for (const q of params) expect(relErr(expected.get(q.name)!, q.grad!.dataSync() as Float32Array, scale), q.name).toBeLessThan(2e-3);
  expect(relErr(wantDx, dx, Math.max(...wantDx.map(Math.abs)))).toBeLessThan(2e-3);
  return params.map((q) => q.name);
}


/**
 * A whole Network's training step against tfjs autodiff of the same softmax cross-entropy: every
 * trainable parameter's gradient within 2e-3 relative error. `images` is NHWC of `shape`. Returns the
 * trainable names.
 */
export function expectNetworkGradients(net: Network, images: Float32Array, labels: number[], shape: [number, number, number, number], classes: number): string[] {
  const trainable = net.params().filter((p) => p.trainable);
  const expected = new Map<string, Float32Array>();
  tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, classes), net.forward(tf.tensor4d(images, shape), true)) as tf.Scalar,
      trainable.map((p) => p.variable),
    );
    for (const p of trainable) expected.set(p.name, grads[p.variable.name].dataSync() as Float32Array);
  });
  net.cancelStep();
  tf.tidy(() => {
    const logits = net.forward(tf.tensor4d(images, shape), true);
    net.backward(tf.tensor2d(softmaxCrossEntropy(logits.dataSync() as Float32Array, labels, classes).grad, [shape[0], classes]));
  });
  const scale = Math.max(...[...expected.values()].map((g) => Math.max(...g.map(Math.abs))));
  for (const p of trainable) expect(relErr(expected.get(p.name)!, p.grad!.dataSync() as Float32Array, scale), p.name).toBeLessThan(2e-3);
  return trainable.map((p) => p.name);
}
