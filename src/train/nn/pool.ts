/** Pooling and the parameter-free layers (identity, zero). */
import * as tf from '@tensorflow/tfjs';
import { convOut } from '../../core/ops.js';
import { spatialMeans } from './functional.js';
import type { Module, Param, TrainContext } from './module.js';

/**
 * k x k max pooling with stride s and padding (k-1)/2. Averages run as GeneralPool (general-pool.ts): tfjs's
 * AvgPoolGrad divides by the full window even where the forward leaves padding out of the count, so a padded
 * average here would get too small a gradient at the borders.
 */
export class MaxPool implements Module {
  private saved?: { x: tf.Tensor4D; y: tf.Tensor4D };
  constructor(
    readonly k: number,
    readonly stride: number,
  ) {}
  private get attrs() {
    return { filterSize: this.k, strides: this.stride, pad: Math.floor((this.k - 1) / 2) };
  }
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    const { filterSize, strides, pad } = this.attrs;
    const y = tf.maxPool(x, filterSize, strides, pad);
    if (ctx) this.saved = { x: ctx.save(x), y: ctx.save(y) };
    return y;
  }
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    const { x, y } = this.saved!;
    this.saved = undefined;
    if (!needInput) return null;
    return tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x, output: y }, this.attrs as never) as tf.Tensor4D;
  }
  params(): Param[] {
    return [];
  }
}

/** Global pooling to [n, 1, 1, c]. */
export class GlobalPool implements Module {
  private saved?: { x: tf.Tensor4D; y: tf.Tensor4D };
  constructor(readonly mode: 'avg' | 'max') {}
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    const y = this.mode === 'avg' ? spatialMeans(x) : (tf.max(x, [1, 2], true) as tf.Tensor4D);
    if (ctx) this.saved = { x: ctx.save(x), y: ctx.save(y) };
    return y;
  }
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    const { x, y } = this.saved!;
    this.saved = undefined;
    if (!needInput) return null;
    const [, h, w] = x.shape;
    // avg: every pixel gets 1/(h*w) of the gradient (broadcasting add; Tile is slow on wasm).
    // max: the maximum's position takes it (all of them on ties, as tfjs's own max gradient does).
    return tf.tidy(() =>
      this.mode === 'avg' ? (tf.add(tf.zeros(x.shape), tf.div(dy, h * w)) as tf.Tensor4D) : (tf.mul(tf.cast(tf.equal(x, y), 'float32'), dy) as tf.Tensor4D),
    );
  }
  params(): Param[] {
    return [];
  }
}

export class Identity implements Module {
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return x;
  }
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    return needInput ? tf.clone(dy) : null;
  }
  params(): Param[] {
    return [];
  }
}

/** Zeros, subsampled by the stride (NAS-Bench-201 / DARTS "none"). */
export class Zero implements Module {
  private inputShape?: [number, number, number, number];
  constructor(readonly stride: number) {}
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    const [n, h, w, c] = x.shape;
    if (ctx) this.inputShape = x.shape;
    return tf.zeros([n, convOut(h, 1, this.stride), convOut(w, 1, this.stride), c]) as tf.Tensor4D;
  }
  backward(_dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    const shape = this.inputShape!;
    this.inputShape = undefined;
    return needInput ? (tf.zeros(shape) as tf.Tensor4D) : null;
  }
  params(): Param[] {
    return [];
  }
}
