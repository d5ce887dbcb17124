/** Shared by the primitive training tests: a GraphModule's hand-written backward against tfjs autodiff of its forward. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { GraphModule } from '../../src/train/nn/graph-module.js';
import { SavedTensors, type Param } from '../../src/train/nn/module.js';

export function relErr(want: Float32Array, got: Float32Array, scale: number): number {
  return Math.max(...want.map((w: number, i: number) => Math.abs(w - got[i]) / (Math.abs(w) + 1e-3 * scale)));
}

/**
 * Checks the loss sum(y · r) (r fixed random): every trainable parameter's gradient and the input's
 * within 2e-3 relative error of tfjs autodiff. `data` is the NHWC input. Returns the trainable names.
 */
export function expectAutodiffGradients(m: GraphModule, data: Float32Array, shape: [number, number, number, number]): string[] {
  const input = () => tf.tensor4d(data, shape);
  const outShape = tf.tidy(() => m.forward(input()).shape);
  const r = tf.tensor4d(new Rng(5).fill(outShape.reduce((a, v) => a * v, 1), 1), outShape);
  const params: Param[] = m.params().filter((q) => q.trainable);
  const saved = new SavedTensors();
  const expected = new Map<string, Float32Array>();
  if (params.length) tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(m.forward(input(), saved), r)) as tf.Scalar, params.map((q) => q.variable));
    for (const q of params) expected.set(q.name, grads[q.variable.name].dataSync() as Float32Array);
  });
  const wantDx = tf.tidy(() => tf.grad((z: tf.Tensor) => tf.sum(tf.mul(m.forward(tf.clone(z) as tf.Tensor4D, saved), r)))(input()).dataSync() as Float32Array);
  saved.release();
  const dx = tf.tidy(() => {
    m.forward(input(), saved);
    return m.backward(r, true)!.dataSync() as Float32Array;
  });
  saved.release();
  r.dispose();
  const scale = Math.max(1e-6, ...[...expected.values()].map((g) => Math.max(...g.map(Math.abs))));
  for (const q of params) expect(relErr(expected.get(q.name)!, q.grad!.dataSync() as Float32Array, scale), q.name).toBeLessThan(2e-3);
  expect(relErr(wantDx, dx, Math.max(...wantDx.map(Math.abs)))).toBeLessThan(2e-3);
  return params.map((q) => q.name);
}

