/**
 * Pooling in its general form (the ONNX MaxPool / AveragePool attributes): kh×kw window, separate
 * strides, explicit pads [top, left, bottom, right], ceil mode and count_include_pad. pool.ts keeps the
 * fast square 'same' case; this serves the rest (SqueezeNet / GoogLeNet ceil-mode pools, the
 * resblock shortcut's 2×2 ceil pool, padded averages that count the padding).
 *
 * The input is padded explicitly (−∞ for max, 0 for average) up to what the last window reads, then
 * pooled 'valid'; the gradient goes back through the backend's pool gradient on the padded input and is
 * cropped. An average divides each window's sum by its count: the pixels inside the image, or with
 * count_include_pad those inside the declared pads too, never the extra rows ceil mode reads (as
 * PyTorch and onnxruntime count them). The counts are a constant [1, Ho, Wo, 1] map.
 */
import * as tf from '@tensorflow/tfjs';
import type { Pads, Pair } from '../../core/graph/index.js';
import { windowOut } from '../../core/graph/primitives/def.js';
import type { Module, Param, TrainContext } from './module.js';

type T4 = tf.Tensor4D;

export interface GeneralPoolSpec {
  mode: 'avg' | 'max';
  kernel: Pair;
  stride: Pair;
  pads: Pads;
  ceil: boolean;
  countIncludePad: boolean;
}

/** How many of window j's taps along one axis fall in [lo, hi) (positions relative to the unpadded input). */
function counts(out: number, k: number, s: number, padBegin: number, lo: number, hi: number): number[] {
  return Array.from({ length: out }, (_, j) => {
    const start = j * s - padBegin;
    return Math.max(0, Math.min(start + k, hi) - Math.max(start, lo));
  });
}

export class GeneralPool implements Module {
  private saved?: { xp: T4; y: T4 };
  /** Geometry of the last input size seen. */
  private geo?: { key: string; out: [number, number]; extra: [number, number]; scale?: T4 };
  constructor(readonly spec: GeneralPoolSpec) {}

  private geometry(h: number, w: number) {
    const key = `${h}x${w}`;
    if (this.geo?.key === key) return this.geo;
    this.geo?.scale?.dispose();
    const { kernel: [kh, kw], stride: [sh, sw], pads: [t, l, b, r], ceil, mode, countIncludePad } = this.spec;
    const out: [number, number] = [windowOut(h, kh, sh, t, b, 1, ceil), windowOut(w, kw, sw, l, r, 1, ceil)];
    // Rows/columns past the declared pads that ceil mode's last window reads.
    const extra: [number, number] = [Math.max(0, (out[0] - 1) * sh + kh - (h + t + b)), Math.max(0, (out[1] - 1) * sw + kw - (w + l + r))];
    let scale: T4 | undefined;
    if (mode === 'avg') {
      const ch = countIncludePad ? counts(out[0], kh, sh, t, -t, h + b) : counts(out[0], kh, sh, t, 0, h);
      const cw = countIncludePad ? counts(out[1], kw, sw, l, -l, w + r) : counts(out[1], kw, sw, l, 0, w);
      // avgPool 'valid' on the zero-padded input divides by kh·kw; rescale to divide by the count.
      scale = tf.keep(tf.tensor4d(ch.flatMap((a) => cw.map((c) => (kh * kw) / (a * c))), [1, out[0], out[1], 1]));
    }
    this.geo = { key, out, extra, scale };
    return this.geo;
  }
  private attrs(): { filterSize: [number, number]; strides: [number, number]; pad: 'valid' } {
    return { filterSize: [...this.spec.kernel], strides: [...this.spec.stride], pad: 'valid' };
  }
  forward(x: T4, ctx?: TrainContext): T4 {
    const { extra, scale } = this.geometry(x.shape[1], x.shape[2]);
    const [t, l, b, r] = this.spec.pads;
    return tf.tidy(() => {
      const fill = this.spec.mode === 'max' ? -Infinity : 0;
      const padded = t || l || b || r || extra[0] || extra[1];
      const xp = padded ? (tf.pad(x, [[0, 0], [t, b + extra[0]], [l, r + extra[1]], [0, 0]], fill) as T4) : x;
      const { filterSize, strides } = this.attrs();
      const pooled = this.spec.mode === 'max' ? tf.maxPool(xp, filterSize, strides, 'valid') : tf.avgPool(xp, filterSize, strides, 'valid');
      if (ctx) this.saved = { xp: ctx.save(xp), y: ctx.save(pooled) };
      return scale ? (tf.mul(pooled, scale) as T4) : pooled;
    });
  }
  backward(dy: T4, needInput: boolean): T4 | null {
    const { xp, y } = this.saved!;
    this.saved = undefined;
    if (!needInput) return null;
    const [, h, w] = xp.shape;
    // The geometry of the forward this backward follows.
    const { scale, extra } = this.geo!;
    return tf.tidy(() => {
      const attrs = this.attrs() as never;
      const dxp =
        this.spec.mode === 'max'
          ? (tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: xp, output: y }, attrs) as T4)
          : (tf.engine().runKernel(tf.AvgPoolGrad, { dy: scale ? tf.mul(dy, scale) : dy, input: xp }, attrs) as T4);
      const [t, l, b, r] = this.spec.pads;
      const [ex, ey] = extra;
      if (!(t || l || b || r || ex || ey)) return dxp;
      return tf.slice(dxp, [0, t, l, 0], [-1, h - t - b - ex, w - l - r - ey, -1]) as T4;
    });
  }
  params(): Param[] {
    return [];
  }
}
