/**
 * Runs a ModelUnderTest in onnxruntime-node and in the tfjs devices' program (tfjs cpu or wasm backend) on the
 * same inputs (the program's weights from `seed`); returns max |Δ|, the onnx output's spread and both shapes (NCHW).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { randomFeeds } from '../../devices/ort-wasm/feeds.js';
import { buildTfModel } from '../../devices/tfjs/model.js';
import type { ModelUnderTest } from '../../src/core/contracts.js';

export async function tfjsVersusOnnx(
  model: ModelUnderTest,
  backend: 'cpu' | 'wasm' = 'cpu',
  seed = 0,
): Promise<{ worst: number; spread: number; shape: number[]; dims: number[] }> {
  const { loadTf } = await import('../../devices/tfjs/runtime.js');
  await loadTf(backend, { simd: true });
  const session = await ort.InferenceSession.create(model.onnx, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const want = (await session.run(randomFeeds(ort.Tensor, model))).output;
  await session.release();
  const built = buildTfModel(tf, model, seed);
  const y = tf.tidy(() => tf.transpose(built.forward(built.inputs), [0, 3, 1, 2]));
  const got = (await y.data()) as Float32Array;
  const shape = y.shape;
  y.dispose();
  built.dispose();
  const w = want.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got[i] - w[i]));
  if (got.length !== w.length) worst = Infinity;
  return { worst, spread: Math.max(...w) - Math.min(...w), shape, dims: [...want.dims] };
}
