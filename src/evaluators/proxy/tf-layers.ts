/**
 * Layers of the proxy network whose gradient is written out instead of left to tfjs's autodiff:
 * BatchNorm with batch statistics (faster: 7 tensor passes where the autodiff takes ~25) and the
 * same-size average pool that leaves padding out of its count (correct, where tfjs's AvgPoolGrad is
 * not, and faster).
 * Tensors are NHWC.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Pads } from '../../core/graph/index.js';

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

/** Stride 1, odd kernel, (k−1)/2 padding on every side: the output has the input's size (NB201's avg_pool_3x3). */
export function sameAvgPool([kh, kw]: [number, number], [sh, sw]: [number, number], pads: Pads): boolean {
  const [qh, qw] = [(kh - 1) / 2, (kw - 1) / 2];
  return sh === 1 && sw === 1 && kh % 2 === 1 && kw % 2 === 1 && pads[0] === qh && pads[2] === qh && pads[1] === qw && pads[3] === qw;
}

/**
 * A same-size average pool whose padding is left out of the count (tfjs's avgPool with explicit
 * padding, PyTorch's count_include_pad=False), with its gradient written out: y = B(x)/n, B the
 * zero-padded box sum and n the number of real pixels under each window, so dx = B(dy/n) =
 * avgPool(dy/n)·n (B is its own adjoint for a centred window). Needed for correctness: tfjs's
 * AvgPoolGrad (cpu and wasm) divides by the full window size, so every pixel near a border got a
 * gradient too small (by 9/4 at a corner of a 3×3 pool), which on 4×4 maps is all of them. The
 * forward is the same op as before.
 */
export function sameSizeAvgPool(tf: typeof TF, x: T4, [kh, kw]: [number, number]): T4 {
  const [, h, w] = x.shape;
  const [qh, qw] = [(kh - 1) / 2, (kw - 1) / 2];
  const pad: [[0, 0], [number, number], [number, number], [0, 0]] = [[0, 0], [qh, qh], [qw, qw], [0, 0]];
  const span = (i: number, size: number, q: number) => Math.min(i + q, size - 1) - Math.max(i - q, 0) + 1;
  const counts = new Float32Array(h * w);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) counts[i * w + j] = span(i, h, qh) * span(j, w, qw);
  const op = tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => ({
    value: tf.avgPool(args[0] as T4, [kh, kw], 1, pad),
    gradFunc: (dy: TF.Tensor) => {
      const n = tf.tensor4d(counts, [1, h, w, 1]);
      return tf.mul(tf.avgPool(tf.div(dy, n) as T4, [kh, kw], 1, pad), n);
    },
  }));
  return op(x) as T4;
}
