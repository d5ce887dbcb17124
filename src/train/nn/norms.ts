/**
 * Layer norm (over C, H, W of each sample) and instance norm (over H, W of each sample and channel),
 * each followed by a per-channel scale and shift, as the layernorm / instancenorm primitives define them
 * (export/onnx/primitives/norms.ts emits the same). Statistics come from the tensor itself, so training
 * and inference compute the same thing (no running statistics).
 *
 * With x̂ = (x − mean) / sqrt(var + eps) over the normalised axes (m values) and g = dL/dy · gamma:
 *   dgamma = Σ dL/dy · x̂, dbeta = Σ dL/dy (over N, H, W),
 *   dx = (g − mean(g) − x̂ · mean(g · x̂)) / sqrt(var + eps).
 */
import * as tf from '@tensorflow/tfjs';
import { Param, tidyGrad, type Module, type TrainContext } from './module.js';

type T4 = tf.Tensor4D;

export class Norm implements Module {
  readonly gamma: Param;
  readonly beta: Param;
  private saved?: { xhat: T4; invStd: tf.Tensor };
  constructor(
    readonly name: string,
    readonly kind: 'layer' | 'instance',
    readonly channels: number,
    readonly eps: number,
  ) {
    this.gamma = new Param(`${name}.gamma`, tf.ones([channels]), 'bn-scale');
    this.beta = new Param(`${name}.beta`, tf.zeros([channels]), 'bn-shift');
  }
  /** The normalised axes of an NHWC tensor. */
  private get axes(): number[] {
    return this.kind === 'layer' ? [1, 2, 3] : [1, 2];
  }
  forward(x: T4, ctx?: TrainContext): T4 {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, this.axes, true);
      const invStd = tf.rsqrt(tf.add(variance, this.eps));
      const xhat = tf.mul(tf.sub(x, mean), invStd) as T4;
      if (ctx) this.saved = { xhat: ctx.save(xhat), invStd: ctx.save(invStd) };
      return tf.add(tf.mul(xhat, this.gamma.value), this.beta.value) as T4;
    });
  }
  backward(dy: T4, needInput: boolean): T4 | null {
    const { xhat, invStd } = this.saved!;
    this.saved = undefined;
    return tidyGrad(() => {
      this.gamma.addGrad(tf.sum(tf.mul(dy, xhat), [0, 1, 2]));
      this.beta.addGrad(tf.sum(dy, [0, 1, 2]));
      if (!needInput) return null;
      const g = tf.mul(dy, this.gamma.value);
      const meanG = tf.mean(g, this.axes, true);
      const meanGX = tf.mean(tf.mul(g, xhat), this.axes, true);
      return tf.mul(tf.sub(tf.sub(g, meanG), tf.mul(xhat, meanGX)), invStd) as T4;
    });
  }
  params(): Param[] {
    return [this.gamma, this.beta];
  }
}
