/**
 * Layers of the proxy network whose gradient is written out instead of left to tfjs's autodiff:
 * BatchNorm with batch statistics (faster: 7 tensor passes where the autodiff takes ~25). The padded
 * average pool, whose exact gradient the training engine shares, is src/train/nn/avg-pool.ts.
 * Tensors are NHWC.
 */
import type * as TF from '@tensorflow/tfjs';

type T4 = TF.Tensor4D;

const BN_AXES = [0, 1, 2];

/**
 * BatchNorm with batch statistics, γ = 1, β = 0 (a fresh net in training mode): y = (x − μ)/σ with
 * μ, σ² the batch's per-channel mean and (biased) variance, σ = √(σ² + ε).
 *
 * Its gradient is written out, dx = (dy − mean(dy) − y·mean(dy·y))/σ, rather than left to tfjs's
 * autodiff of the ops above: the same derivative, but 7 tensor passes where the autodiff takes ~25
 * (broadcast reductions, the mean's gradient materialising a tensor of ones), and BatchNorm follows
 * every conv. The forward runs the same ops in the same order as tf.moments, so values are unchanged;
 * gradients differ from the autodiff's only by float32 rounding order.
 */
export function batchNormTrain(tf: typeof TF, x: T4, eps: number): T4 {
  const op = tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
    const input = args[0] as T4;
    const mean = tf.mean(input, BN_AXES, true);
    const centred = tf.sub(input, mean);
    const sigma = tf.sqrt(tf.add(tf.mean(tf.square(centred), BN_AXES, true), eps));
    const y = tf.div(centred, sigma) as T4;
    // Saved, not captured: tf.grads disposes the forward pass's tensors before the backward one runs.
    (args[1] as TF.GradSaveFunc)([y, sigma]);
    return {
      value: y,
      gradFunc: (dy: TF.Tensor, [out, s]: TF.Tensor[]) =>
        tf.div(tf.sub(tf.sub(dy, tf.mean(dy, BN_AXES, true)), tf.mul(out, tf.mean(tf.mul(dy, out), BN_AXES, true))), s),
    };
  });
  return op(x) as T4;
}
