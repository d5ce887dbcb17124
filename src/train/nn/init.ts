/**
 * Seeded initial values. Each tensor draws from an Rng seeded by (seed, its name), so a network's
 * initial weights do not depend on the order layers are built in, and one layer's change leaves the
 * others' weights as they were.
 */
import * as tf from '@tensorflow/tfjs';
import { nameSeed, Rng } from '../../core/rng.js';

/** Normal(0, std) values (He/Kaiming: std = gain / sqrt(fanIn)). */
export function normal(seed: number, name: string, shape: number[], std: number): tf.Tensor {
  const rng = new Rng(nameSeed(seed, name));
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() * std;
  return tf.tensor(v, shape);
}

/** He gain for the activation that follows a layer (ReLU-like activations halve the variance). */
export function heStd(fanIn: number, act: string): number {
  return (act === 'none' ? 1 : Math.SQRT2) / Math.sqrt(fanIn);
}
