/**
 * The padded average pool that leaves the padding out of its count (ONNX count_include_pad=0,
 * PyTorch's count_include_pad=False; tfjs's avgPool forward with explicit padding), with its exact
 * gradient, for both engines: the training engine's GeneralPool calls `avgPoolGrad` in its backward,
 * the proxies' tfjs net calls `exactAvgPool`, whose autodiff gradient is the same function.
 *
 * Why written out: tfjs's AvgPoolGrad (cpu and wasm) divides every window by its full size kh·kw, so
 * near a border, where a window holds fewer real pixels, it gives too small a gradient (by 9/4 at a
 * corner of a 3×3 pool; on a 4×4 map every pixel is near a border). With n[o] the real pixels of
 * window o, y = B(x)/n, B the box sum over the real pixels, so dx = Bᵀ(dy/n):
 * - stride 1 and a centred window (the same-size pool, NB201's avg_pool_3x3): B is its own adjoint,
 *   so dx = avgPool(dy/n)·n, one fast pool and two products;
 * - otherwise: AvgPoolGrad computes Bᵀ(g)/(kh·kw), so dx = AvgPoolGrad(dy/n)·kh·kw.
 * Without padding AvgPoolGrad is right as it is, and the plain ops run.
 * Tensors are NHWC; tfjs comes in as an argument, so the proxies' net can load it lazily.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Pads } from '../../core/graph/index.js';

type T4 = TF.Tensor4D;
type Explicit = [[0, 0], [number, number], [number, number], [0, 0]];

/** A pool's window: kernel, strides and [top, left, bottom, right] padding (any ceil-mode overhang included). */
export interface PoolWindow {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  pads: Pads;
}

/** How many of window j's taps along one axis fall in [lo, hi) (positions relative to the unpadded input). */
export function windowCounts(out: number, k: number, s: number, padBegin: number, lo: number, hi: number): number[] {
  return Array.from({ length: out }, (_, j) => {
    const start = j * s - padBegin;
    return Math.max(0, Math.min(start + k, hi) - Math.max(start, lo));
  });
}

const explicit = ([t, l, b, r]: Pads): Explicit => [[0, 0], [t, b], [l, r], [0, 0]];
const padded = (p: PoolWindow) => p.pads.some((v) => v > 0);

/** Stride 1, odd kernel, (k−1)/2 padding on every side: the output has the input's size. */
export function sameSizeWindow({ kernel: [kh, kw], stride: [sh, sw], pads }: PoolWindow): boolean {
  const [qh, qw] = [(kh - 1) / 2, (kw - 1) / 2];
  return sh === 1 && sw === 1 && kh % 2 === 1 && kw % 2 === 1 && pads[0] === qh && pads[2] === qh && pads[1] === qw && pads[3] === qw;
}

/** n[o], the pixels of each window inside an h×w input: [1, oh, ow, 1]. */
export function windowCountMap(tf: typeof TF, [h, w]: readonly [number, number], p: PoolWindow): T4 {
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.stride;
  const [t, l, b, r] = p.pads;
  const oh = Math.floor((h + t + b - kh) / sh) + 1;
  const ow = Math.floor((w + l + r - kw) / sw) + 1;
  const ch = windowCounts(oh, kh, sh, t, 0, h);
  const cw = windowCounts(ow, kw, sw, l, 0, w);
  return tf.tensor4d(Float32Array.from(ch.flatMap((a) => cw.map((c) => a * c))), [1, oh, ow, 1]);
}

/**
 * dx of the pool given dy; `counts` from windowCountMap. `x` is the pool's input, read for its shape
 * by AvgPoolGrad: needed off the same-size path only.
 */
export function avgPoolGrad(tf: typeof TF, dy: T4, x: T4 | undefined, p: PoolWindow, counts: T4): T4 {
  const attrs = { filterSize: [...p.kernel], strides: [...p.stride], pad: padded(p) ? explicit(p.pads) : 'valid' };
  const stockGrad = (g: T4) => {
    if (!x) throw new Error('avgPoolGrad: the input is needed off the same-size path');
    return tf.engine().runKernel(tf.AvgPoolGrad, { dy: g, input: x }, attrs as never) as T4;
  };
  if (!padded(p)) return stockGrad(dy);
  return tf.tidy(() => {
    const g = tf.div(dy, counts) as T4;
    if (sameSizeWindow(p)) return tf.mul(tf.avgPool(g, [...p.kernel] as [number, number], 1, explicit(p.pads)), counts) as T4;
    return tf.mul(stockGrad(g), p.kernel[0] * p.kernel[1]) as T4;
  });
}

/** The pool, padding out of the count; under tfjs autodiff its gradient is avgPoolGrad. */
export function exactAvgPool(tf: typeof TF, x: T4, p: PoolWindow): T4 {
  const kernel = [...p.kernel] as [number, number];
  const stride = [...p.stride] as [number, number];
  if (!padded(p)) return tf.avgPool(x, kernel, stride, 'valid');
  const same = sameSizeWindow(p);
  const size: [number, number] = [x.shape[1], x.shape[2]];
  const op = tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
    const input = args[0] as T4;
    // Saved, not captured: tf.grads disposes the forward pass's tensors before the backward one runs.
    (args[1] as TF.GradSaveFunc)(same ? [] : [input]);
    return {
      value: tf.avgPool(input, kernel, stride, explicit(p.pads)),
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => avgPoolGrad(tf, dy as T4, saved[0] as T4 | undefined, p, windowCountMap(tf, size, p)),
    };
  });
  return op(x) as T4;
}
