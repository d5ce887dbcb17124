/**
 * Activations with their derivatives written from the fast element-wise ops (step, relu6,
 * arithmetic): comparisons and Where, which tfjs's own gradients use, are 20-50x slower on wasm.
 *   relu6'(x) = 1 where 0 < y < 6, i.e. step(y * (6 - y)) with y = relu6(x)
 *   hswish(x) = x * relu6(x + 3) / 6, derivative (r + x * [0 < r < 6]) / 6 with r = relu6(x + 3)
 *   swish(x) = x * sigmoid(x), derivative s * (1 + x * (1 - s))
 */
import * as tf from '@tensorflow/tfjs';
import type { Act } from '../../core/ops.js';
import type { Module, Param, TrainContext } from './module.js';

export function activate(x: tf.Tensor4D, act: Act): tf.Tensor4D {
  switch (act) {
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'hswish':
      return tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'none':
      return x;
  }
}

/** 1 where 0 < r < 6, else 0 (r already clipped to [0, 6]). */
function insideRelu6(r: tf.Tensor): tf.Tensor {
  return tf.step(tf.mul(r, tf.sub(6, r)));
}

/** dL/dx for an activation, given its input x, its output y and dL/dy. */
export function activationGrad(act: Act, x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  switch (act) {
    case 'relu':
      return tf.mul(dy, tf.step(y));
    case 'relu6':
      return tf.mul(dy, insideRelu6(y));
    case 'hswish': {
      const r = tf.relu6(tf.add(x, 3));
      return tf.mul(dy, tf.div(tf.add(r, tf.mul(x, insideRelu6(r))), 6));
    }
    case 'swish': {
      const s = tf.sigmoid(x);
      return tf.mul(dy, tf.mul(s, tf.add(1, tf.mul(x, tf.sub(1, s)))));
    }
    case 'none':
      return tf.clone(dy);
  }
}

export class Activation implements Module {
  private saved?: { x: tf.Tensor4D; y: tf.Tensor4D };
  constructor(readonly act: Act) {}
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    const y = tf.tidy(() => activate(x, this.act));
    // relu and relu6 derive their gradient from the output alone.
    if (ctx) this.saved = { x: this.act === 'relu' || this.act === 'relu6' ? y : ctx.save(x), y: ctx.save(y) };
    return y;
  }
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    const { x, y } = this.saved!;
    this.saved = undefined;
    return needInput ? tf.tidy(() => activationGrad(this.act, x, y, dy)) : null;
  }
  params(): Param[] {
    return [];
  }
}
