/**
 * BatchNorm over the channels of NHWC activations (PyTorch conventions: eps 1e-5, running statistics
 * with momentum 0.1, unbiased running variance), so the exporter can fold it into the conv before it.
 * A following relu or relu6 is fused in: the per-channel affine and the clip are one pass
 * (channelAffine), which is where most of a small net's element-wise time went.
 *
 * Training: xc = x - mean, y = act(xc * gamma/std + beta) with the batch's mean and variance.
 * Backward (m values per channel, g = dL/dy times the activation's mask):
 *   dbeta = m mean(g), dgamma = m mean(g xc) / std,
 *   dx = gamma/std * (g - mean(g) - xc mean(g xc) / std^2) = a g + b xc + c per channel.
 * The means are column means (average pooling, see functional.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { activationGrad } from './activation.js';
import { channelAffine, columnMeans } from './functional.js';
import { Param, tidyGrad, type Module, type TrainContext } from './module.js';

export const BN_EPS = 1e-5;
const MOMENTUM = 0.1;

export type FusedAct = 'none' | 'relu' | 'relu6';

interface Saved {
  xc: tf.Tensor4D;
  invStd: tf.Tensor1D;
  m: number;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  /** Output, when an activation was fused (its mask comes from it). */
  y?: tf.Tensor4D;
}

export class BatchNorm implements Module {
  readonly gamma: Param;
  readonly beta: Param;
  readonly runningMean: Param;
  readonly runningVar: Param;
  private saved?: Saved;
  constructor(
    readonly name: string,
    readonly channels: number,
    readonly act: FusedAct = 'none',
  ) {
    this.gamma = new Param(`${name}.gamma`, tf.ones([channels]), 'bn-scale');
    this.beta = new Param(`${name}.beta`, tf.zeros([channels]), 'bn-shift');
    this.runningMean = new Param(`${name}.mean`, tf.zeros([channels]), 'bn-mean');
    this.runningVar = new Param(`${name}.var`, tf.ones([channels]), 'bn-var');
  }
  private get fused(): 'linear' | 'relu' | 'relu6' {
    return this.act === 'none' ? 'linear' : this.act;
  }
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    return tf.tidy(() => (ctx ? this.train(x, ctx) : this.infer(x)));
  }
  private infer(x: tf.Tensor4D): tf.Tensor4D {
    const scale = tf.mul(this.gamma.value, tf.rsqrt(tf.add(this.runningVar.value, BN_EPS))) as tf.Tensor1D;
    const shift = tf.sub(this.beta.value, tf.mul(this.runningMean.value, scale)) as tf.Tensor1D;
    return channelAffine(x, scale, shift, this.fused);
  }
  private train(x: tf.Tensor4D, ctx: TrainContext): tf.Tensor4D {
    const m = x.size / this.channels;
    const mean = columnMeans(x);
    const xc = channelAffine(x, tf.onesLike(mean), tf.neg(mean));
    // Two passes (centre, then square) keep the variance exact when the mean is large.
    const variance = columnMeans(tf.square(xc));
    const invStd = tf.rsqrt(tf.add(variance, BN_EPS)) as tf.Tensor1D;
    const y = channelAffine(xc, tf.mul(this.gamma.value, invStd) as tf.Tensor1D, this.beta.value as tf.Tensor1D, this.fused);
    this.saved = { xc: ctx.save(xc), invStd: ctx.save(invStd), m, mean: ctx.save(mean), variance: ctx.save(variance), y: this.act === 'none' ? undefined : ctx.save(y) };
    return y;
  }
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    const { xc, invStd, m, mean, variance, y } = this.saved!;
    this.saved = undefined;
    return tidyGrad(() => {
      // Running statistics move only for steps that are applied (not for a step dropped for a NaN loss).
      this.runningMean.variable.assign(tf.add(tf.mul(this.runningMean.value, 1 - MOMENTUM), tf.mul(mean, MOMENTUM)));
      const unbiased = m > 1 ? tf.mul(variance, m / (m - 1)) : variance;
      this.runningVar.variable.assign(tf.add(tf.mul(this.runningVar.value, 1 - MOMENTUM), tf.mul(unbiased, MOMENTUM)));
      const g = y ? activationGrad(this.act as 'relu' | 'relu6', y, y, dy) : dy;
      const meanG = columnMeans(g);
      const meanGX = columnMeans(tf.mul(g, xc));
      this.beta.addGrad(tf.mul(meanG, m));
      this.gamma.addGrad(tf.mul(meanGX, tf.mul(invStd, m)));
      if (!needInput) return null;
      const a = tf.mul(this.gamma.value, invStd) as tf.Tensor1D;
      const b = tf.neg(tf.mul(a, tf.mul(meanGX, tf.square(invStd)))) as tf.Tensor1D;
      const c = tf.neg(tf.mul(a, meanG)) as tf.Tensor1D;
      return tf.add(channelAffine(g, a), channelAffine(xc, b, c)) as tf.Tensor4D;
    });
  }
  /**
   * Folds the statistics of the last training forward into the running ones as the k-th sample of
   * a plain average (k = 0 replaces them): BatchNorm recalibration, see Network.recalibrate.
   */
  accumulateStatistics(k: number): void {
    const { m, mean, variance } = this.saved!;
    this.saved = undefined;
    tf.tidy(() => {
      const unbiased = m > 1 ? tf.mul(variance, m / (m - 1)) : variance;
      this.runningMean.variable.assign(tf.add(tf.mul(this.runningMean.value, k / (k + 1)), tf.div(mean, k + 1)));
      this.runningVar.variable.assign(tf.add(tf.mul(this.runningVar.value, k / (k + 1)), tf.div(unbiased, k + 1)));
    });
  }
  params(): Param[] {
    return [this.gamma, this.beta, this.runningMean, this.runningVar];
  }
}
