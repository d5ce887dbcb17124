/**
 * Inputs for timing an ONNX model on any onnxruntime flavour (node or web): one float32 tensor per
 * model input, filled once with reproducible values in [-1, 1) — the same values ort-cpu uses, so
 * every ONNX device times the same computation on the same data.
 */
import { Rng } from '../../src/core/rng.js';
import type { ModelUnderTest } from '../types.js';

/** The Tensor constructor of onnxruntime-node or onnxruntime-web (their classes differ, the signature does not). */
export type Float32TensorCtor<T> = new (type: 'float32', data: Float32Array, dims: readonly number[]) => T;

export function randomFeeds<T>(Tensor: Float32TensorCtor<T>, model: ModelUnderTest): Record<string, T> {
  const rng = new Rng(1);
  const feeds: Record<string, T> = {};
  for (const input of model.inputs) {
    const size = input.shape.reduce((a, b) => a * b, 1);
    feeds[input.name] = new Tensor('float32', rng.fill(size), input.shape);
  }
  return feeds;
}
