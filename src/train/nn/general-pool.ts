/**
 * Pooling in its general form (the ONNX MaxPool / AveragePool attributes): kh×kw window, separate
 * strides, explicit pads [top, left, bottom, right], ceil mode and count_include_pad. pool.ts keeps the
 * fast square 'same' case; this serves the rest (SqueezeNet / GoogLeNet ceil-mode pools, the
 * resblock shortcut's 2×2 ceil pool, padded averages that count the padding).
 *
 * Max: the input is padded with −∞ up to what the last window reads, then pooled 'valid'; the
 * gradient goes back through MaxPoolGrad on the padded input and is cropped. Average: avg-pool.ts's
 * exact pool, whose count leaves padding out (and the extra rows ceil mode reads, as PyTorch and
 * onnxruntime count them); with count_include_pad the declared pads are zeros padded onto the input
 * first, so they count, and only the ceil overhang stays out.
 */
import * as tf from '@tensorflow/tfjs';
import type { Pads, PoolPrim } from '../../core/graph/index.js';
import { windowOut } from '../../core/graph/primitives/def.js';
import { avgPoolGrad, exactAvgPool, windowCountMap, type PoolWindow } from './avg-pool.js';
import type { Module, Param, TrainContext } from './module.js';

type T4 = tf.Tensor4D;

/** A pool primitive's attributes. */
export type GeneralPoolSpec = Omit<PoolPrim, 'op'>;

export class GeneralPool implements Module {
  private saved?: { xp: T4; y?: T4 };
  /** Geometry of the last input size seen. */
  private geo?: { key: string; extra: [number, number]; avg?: { window: PoolWindow; zeroPad: boolean; counts: T4 } };
  constructor(readonly spec: GeneralPoolSpec) {}

  private geometry(h: number, w: number) {
    const key = `${h}x${w}`;
    if (this.geo?.key === key) return this.geo;
    this.geo?.avg?.counts.dispose();
    const { kernel: [kh, kw], stride: [sh, sw], pads: [t, l, b, r], ceil, mode, countIncludePad } = this.spec;
    const out: [number, number] = [windowOut(h, kh, sh, t, b, 1, ceil), windowOut(w, kw, sw, l, r, 1, ceil)];
    // Rows/columns past the declared pads that ceil mode's last window reads.
    const extra: [number, number] = [Math.max(0, (out[0] - 1) * sh + kh - (h + t + b)), Math.max(0, (out[1] - 1) * sw + kw - (w + l + r))];
    let avg: { window: PoolWindow; zeroPad: boolean; counts: T4 } | undefined;
    if (mode === 'avg') {
      const zeroPad = countIncludePad && (t > 0 || l > 0 || b > 0 || r > 0);
      const pads: Pads = zeroPad ? [0, 0, extra[0], extra[1]] : [t, l, b + extra[0], r + extra[1]];
      const window = { kernel: this.spec.kernel, stride: this.spec.stride, pads };
      const size: [number, number] = zeroPad ? [h + t + b, w + l + r] : [h, w];
      avg = { window, zeroPad, counts: tf.keep(windowCountMap(tf, size, window)) };
    }
    this.geo = { key, extra, avg };
    return this.geo;
  }
  private attrs(): { filterSize: [number, number]; strides: [number, number]; pad: 'valid' } {
    return { filterSize: [...this.spec.kernel], strides: [...this.spec.stride], pad: 'valid' };
  }
  forward(x: T4, ctx?: TrainContext): T4 {
    const { extra, avg } = this.geometry(x.shape[1], x.shape[2]);
    const [t, l, b, r] = this.spec.pads;
    return tf.tidy(() => {
      if (avg) {
        const xz = avg.zeroPad ? (tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]) as T4) : x;
        const y = exactAvgPool(tf, xz, avg.window);
        if (ctx) this.saved = { xp: ctx.save(xz) };
        return y;
      }
      const padded = t || l || b || r || extra[0] || extra[1];
      const xp = padded ? (tf.pad(x, [[0, 0], [t, b + extra[0]], [l, r + extra[1]], [0, 0]], -Infinity) as T4) : x;
      const { filterSize, strides } = this.attrs();
      const pooled = tf.maxPool(xp, filterSize, strides, 'valid');
      if (ctx) this.saved = { xp: ctx.save(xp), y: ctx.save(pooled) };
      return pooled;
    });
  }
  backward(dy: T4, needInput: boolean): T4 | null {
    const { xp, y } = this.saved!;
    this.saved = undefined;
    if (!needInput) return null;
    const [, h, w] = xp.shape;
    // The geometry of the forward this backward follows.
    const { avg, extra } = this.geo!;
    const [t, l, b, r] = this.spec.pads;
    return tf.tidy(() => {
      if (avg) {
        const dxz = avgPoolGrad(tf, dy, xp, avg.window, avg.counts);
        return avg.zeroPad ? (tf.slice(dxz, [0, t, l, 0], [-1, h - t - b, w - l - r, -1]) as T4) : dxz;
      }
      const dxp = tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: xp, output: y! }, this.attrs() as never) as T4;
      const [ex, ey] = extra;
      if (!(t || l || b || r || ex || ey)) return dxp;
      return tf.slice(dxp, [0, t, l, 0], [-1, h - t - b - ex, w - l - r - ey, -1]) as T4;
    });
  }
  params(): Param[] {
    return [];
  }
}
