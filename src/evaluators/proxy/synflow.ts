/**
 * synflow (Tanaka et al. 2020, as a NAS proxy in Abdelfattah et al. 2021): the synaptic flow of the
 * untrained net, with no data. Every weight is replaced by its absolute value, BatchNorm is left out,
 * and one all-ones image goes through; with R the sum of the outputs, the score is Σ θ ⊙ ∂R/∂θ over
 * every conv and dense weight.
 *
 * Overflow: R grows as the product of the layers' gains (about 10^50 for deep NB201 cells), which the
 * reference computes in float64. tfjs has no float64, so for nets that are positively homogeneous
 * (ReLU, pooling, linear: R is linear in the input) the input is scaled by α and the backward seed by
 * β, α = β = R^(-1/2), which keeps every activation and gradient within float32's range; the score is
 * then divided by αβ in float64, exactly the unscaled figure up to float32 rounding. Nets with clamping
 * or smooth activations are run unscaled, as defined, and refused if they overflow.
 */
import type * as TF from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.js';
import { connectAll, type ProxyNetwork } from './network.js';

/** Input scale of the probe pass that measures R: large enough for R up to ~10^68, small enough to stay normal. */
const PROBE = 1e-30;
/** Up to this R the unscaled pass (the paper's) is run: activations and gradients stay far from float32's limit. */
const UNSCALED_LIMIT = 1e15;

export function synflowScore(net: ProxyNetwork): number {
  const { tf } = net;
  const [h, w, c] = net.input;
  const abs = tf.tidy(() => net.params.map((p) => tf.abs(p)));
  try {
    const outputSum = (scale: number) =>
      tf.tidy(() => tf.sum(net.forward(tf.fill([1, h, w, c], scale) as TF.Tensor4D, abs, { batchNorm: false })).dataSync()[0]);
    let logR = Math.log(outputSum(1));
    if (logR === -Infinity) return 0; // nothing reaches the output: no flow
    const rescale = net.positivelyHomogeneous && !(logR < Math.log(UNSCALED_LIMIT));
    if (rescale && !Number.isFinite(logR)) {
      logR = Math.log(outputSum(PROBE)) - Math.log(PROBE);
      if (!Number.isFinite(logR)) throw new UserError(`synflow: the linearised net's output overflows float32 even with its input scaled by ${PROBE}`);
    }
    const scale = rescale ? Math.exp(-logR / 2) : 1;
    const perLayer = tf.tidy(() => {
      const x = tf.fill([1, h, w, c], scale) as TF.Tensor4D;
      const r = (...params: TF.Tensor[]) => connectAll(tf, tf.mul(tf.sum(net.forward(x, params, { batchNorm: false })), scale) as TF.Scalar, params);
      const grads = tf.grads(r)(abs);
      return tf.stack(grads.map((g, i) => tf.sum(tf.mul(g, abs[i]))));
    });
    const sums = perLayer.dataSync();
    perLayer.dispose();
    let score = 0;
    for (const s of sums) score += s;
    score /= scale * scale;
    if (!Number.isFinite(score))
      throw new UserError(`synflow: the linearised net overflows float32 and its activations are not ReLU-only, so it cannot be rescaled`, {
        hint: 'synflow is defined for ReLU nets; use another proxy (e.g. --proxy naswot) for this space',
      });
    return score;
  } finally {
    for (const t of abs) t.dispose();
  }
}
