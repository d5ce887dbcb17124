/**
 * Differentiable latency over a layer-wise latency table, as tfjs functions: gradients flow to the
 * architecture logits α through tf.grad / tf.variableGrads.
 *
 *   E[LAT](α) = constantMs + Σ_l Σ_o softmax(α_l)_o · L[l][o]          (ProxylessNAS eq. 3, FBNet eq. 5)
 *
 * and the Gumbel-softmax relaxation FBNet samples with (Jang et al. 2017): weights
 * softmax((α_l + g_l) / τ) with g = −log(−log u), u ~ U(0, 1) from a seeded Rng; `hard` makes the
 * forward pass one-hot (the argmax path) while the gradient is the soft one's (straight-through).
 *
 * α is either one [layers, maxOptions] matrix (entries past a layer's option count are ignored) or one
 * 1-D tensor per layer. Latencies are ms.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { LayerLatencyTable } from './layer-table.js';

export type Alpha = tf.Tensor2D | readonly tf.Tensor1D[];

/** Added to the logits of options a layer does not have: exp underflows to exactly 0, and so does their gradient. */
const MASKED = -1e9;

export interface GumbelOptions {
  /** Temperature τ > 0: small τ → nearly one-hot samples, large τ → nearly uniform. */
  tau: number;
  /** Noise source; the same seed gives the same samples. */
  rng: Rng;
  /** One-hot forward pass with the soft sample's gradient (straight-through). Default false. */
  hard?: boolean;
}

/** The table padded to [layers, maxOptions] (0 ms past a row's end) and the matching logit mask. */
function padded(table: LayerLatencyTable): { lat: tf.Tensor2D; mask: tf.Tensor2D } {
  const rows = table.ms.length;
  const width = table.maxOptions;
  const lat = new Float32Array(rows * width);
  const mask = new Float32Array(rows * width);
  table.ms.forEach((row, l) => {
    for (let o = 0; o < width; o++) {
      if (o < row.length) lat[l * width + o] = row[o];
      else mask[l * width + o] = MASKED;
    }
  });
  return { lat: tf.tensor2d(lat, [rows, width]), mask: tf.tensor2d(mask, [rows, width]) };
}

/** α as one masked [layers, maxOptions] logit matrix. */
function maskedLogits(table: LayerLatencyTable, alpha: Alpha, mask: tf.Tensor2D): tf.Tensor2D {
  const rows = table.ms.length;
  const width = table.maxOptions;
  let matrix: tf.Tensor2D;
  if (Array.isArray(alpha)) {
    const list = alpha as readonly tf.Tensor1D[];
    if (list.length !== rows) throw new UserError(`latency loss: α has ${list.length} per-layer tensors, the table ${rows} layers`);
    list.forEach((a, l) => {
      if (a.rank !== 1 || a.shape[0] !== table.ms[l].length)
        throw new UserError(`latency loss: α for ${table.layers[l]} must be a 1-D tensor of ${table.ms[l].length} logits, got shape [${a.shape}]`);
    });
    matrix = tf.stack(list.map((a) => (a.shape[0] === width ? a : tf.pad(a, [[0, width - a.shape[0]]])))) as tf.Tensor2D;
  } else {
    const m = alpha as tf.Tensor2D;
    if (m.rank !== 2 || m.shape[0] !== rows || m.shape[1] !== width)
      throw new UserError(`latency loss: α must be a [${rows}, ${width}] matrix (layers × widest option count), got shape [${m.shape}]`);
    matrix = m;
  }
  return tf.add(matrix, mask);
}

/** Σ weights ⊙ L + constantMs, as a scalar. */
function weighted(table: LayerLatencyTable, weights: tf.Tensor2D, lat: tf.Tensor2D): tf.Scalar {
  return tf.add(tf.sum(tf.mul(weights, lat)), table.constantMs) as tf.Scalar;
}

/** E[LAT](α), ms: the softmax-weighted latency of every layer plus the constant part. */
export function expectedLatency(table: LayerLatencyTable, alpha: Alpha): tf.Scalar {
  return tf.tidy(() => {
    const { lat, mask } = padded(table);
    return weighted(table, tf.softmax(maskedLogits(table, alpha, mask)) as tf.Tensor2D, lat);
  });
}

/** Gumbel-softmax weights [layers, maxOptions] for masked logits. */
export function gumbelSoftmax(logits: tf.Tensor2D, opts: GumbelOptions): tf.Tensor2D {
  if (!(opts.tau > 0) || !Number.isFinite(opts.tau)) throw new UserError(`Gumbel-softmax: temperature τ must be a finite number > 0, got ${opts.tau}`);
  return tf.tidy(() => {
    const n = logits.size;
    const noise = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      // u in (0, 1]: 1 − next() avoids log(0).
      const u = 1 - opts.rng.next();
      noise[i] = -Math.log(-Math.log(u) + 1e-20);
    }
    const soft = tf.softmax(tf.div(tf.add(logits, tf.tensor(noise, logits.shape)), opts.tau)) as tf.Tensor2D;
    return opts.hard ? straightThroughOneHot(soft) : soft;
  });
}

/** Forward: one-hot of each row's argmax; backward: the gradient goes to the soft weights unchanged. */
const straightThroughOneHot = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const soft = inputs[0] as tf.Tensor;
  const [rows, width] = soft.shape as [number, number];
  const value = tf.oneHot(tf.argMax(soft, 1), width).toFloat().reshape([rows, width]);
  return { value, gradFunc: (dy: tf.Tensor) => [dy] };
}) as (soft: tf.Tensor2D) => tf.Tensor2D;

/** LAT of a Gumbel-softmax sample of α, ms (FBNet's relaxed, sampled latency). */
export function sampledLatency(table: LayerLatencyTable, alpha: Alpha, opts: GumbelOptions): tf.Scalar {
  return tf.tidy(() => {
    const { lat, mask } = padded(table);
    return weighted(table, gumbelSoftmax(maskedLogits(table, alpha, mask), opts), lat);
  });
}
