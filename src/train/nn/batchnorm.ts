/**
 * BatchNorm over the channels of NHWC activations (PyTorch conventions: eps 1e-5, running statistics
 * with momentum 0.1, unbiased running variance), so the exporter can fold it into the conv before it.
 *
 * Training: xc = x - mean, y = xc * gamma/sqrt(var + eps) + beta, with the batch's mean and var.
 * Backward (m values per channel, g = dL/dy):
 *   dbeta = sum g, dgamma = sum g*xc / std,
 *   dx = gamma/std * (g - mean(g) - xc * mean(g*xc) / std^2).
 * All sums are column means (average pooling, see functional.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { columnMeans } from './functional.js';
import { Param, tidyGrad, type Module, type TrainContext } from './module.js';

export const BN_EPS = 1e-5;
const MOMENTUM = 0.1;

export class BatchNorm implements Module {
  readonly gamma: Param;
  readonly beta: Param;
  readonly runningMean: Param;
  readonly runningVar: Param;
  private saved?: { xc: tf.Tensor4D; invStd: tf.Tensor1D; m: number; mean: tf.Tensor1D; variance: tf.Tensor1D };
  constructor(
    readonly name: string,
    readonly channels: number,
  ) {
    this.gamma = new Param(`${name}.gamma`, tf.ones([channels]), 'bn-scale');
    this.beta = new Param(`${name}.beta`, tf.zeros([channels]), 'bn-shift');
    this.runningMean = new Param(`${name}.mean`, tf.zeros([channels]), 'bn-mean');
    this.runningVar = new Param(`${name}.var`, tf.ones([channels]), 'bn-var');
  }
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    return tf.tidy(() => (ctx ? this.train(x, ctx) : this.infer(x)));
  }
  private infer(x: tf.Tensor4D): tf.Tensor4D {
    const scale = tf.mul(this.gamma.value, tf.rsqrt(tf.add(this.runningVar.value, BN_EPS)));
    const shift = tf.sub(this.beta.value, tf.mul(this.runningMean.value, scale));
    return tf.add(tf.mul(x, scale), shift) as tf.Tensor4D;
  }
  private train(x: tf.Tensor4D, ctx: TrainContext): tf.Tensor4D {
    const gamma = this.gamma.value as tf.Tensor1D;
    const m = x.size / this.channels;
    const mean = columnMeans(x);
    const xc = tf.sub(x, mean) as tf.Tensor4D;
    const variance = columnMeans(tf.square(xc));
    const invStd = tf.rsqrt(tf.add(variance, BN_EPS)) as tf.Tensor1D;
    this.saved = { xc: ctx.save(xc), invStd: ctx.save(invStd), m, mean: ctx.save(mean), variance: ctx.save(variance) };
    return tf.add(tf.mul(xc, tf.mul(gamma, invStd)), this.beta.value) as tf.Tensor4D;
  }
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    const { xc, invStd, m, mean, variance } = this.saved!;
    this.saved = undefined;
    return tidyGrad(() => {
      // Running statistics move only for steps that are applied (not for a step dropped for a NaN loss).
      this.runningMean.variable.assign(tf.add(tf.mul(this.runningMean.value, 1 - MOMENTUM), tf.mul(mean, MOMENTUM)));
      const unbiased = m > 1 ? tf.mul(variance, m / (m - 1)) : variance;
      this.runningVar.variable.assign(tf.add(tf.mul(this.runningVar.value, 1 - MOMENTUM), tf.mul(unbiased, MOMENTUM)));
      const meanG = columnMeans(dy);
      const meanGX = columnMeans(tf.mul(dy, xc));
      this.beta.addGrad(tf.mul(meanG, m));
      this.gamma.addGrad(tf.mul(meanGX, tf.mul(invStd, m)));
      if (!needInput) return null;
      const a = tf.mul(this.gamma.value, invStd);
      const b = tf.neg(tf.mul(a, tf.mul(meanGX, tf.square(invStd))));
      const c = tf.neg(tf.mul(a, meanG));
      return tf.add(tf.add(tf.mul(dy, a), tf.mul(xc, b)), c) as tf.Tensor4D;
    });
  }
  params(): Param[] {
    return [this.gamma, this.beta, this.runningMean, this.runningVar];
  }
}
