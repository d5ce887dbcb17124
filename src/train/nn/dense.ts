/**
 * Layers that work per image on channel vectors: a fully connected layer (the classifier, and
 * squeeze-excitation's 1x1 convs on pooled vectors, see graph-module.ts). Their matrices are [n, c] with n = batch size, small enough that the
 * transposed products stay cheap on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { Act } from '../../core/ops.js';
import { activate, activationGrad } from './activation.js';
import { heStd, normal } from './init.js';
import { Param, tidyGrad, type Module, type TrainContext } from './module.js';

/** y = act(x W + b) on [n, cin] rows, with W [cin, cout]. */
export class DenseCore {
  readonly weight: Param;
  readonly bias: Param;
  private saved?: { x: tf.Tensor2D; z: tf.Tensor2D; y: tf.Tensor2D };
  constructor(
    readonly name: string,
    readonly cin: number,
    readonly cout: number,
    readonly act: Act,
    seed: number,
    std = heStd(cin, act),
  ) {
    this.weight = new Param(`${name}.weight`, normal(seed, `${name}.weight`, [cin, cout], std), 'weight');
    this.bias = new Param(`${name}.bias`, tf.zeros([cout]), 'bias');
  }
  forward(x: tf.Tensor2D, ctx?: TrainContext): tf.Tensor2D {
    const z = tf.add(tf.matMul(x, this.weight.value as tf.Tensor2D), this.bias.value) as tf.Tensor2D;
    const y = this.act === 'none' ? z : (tf.reshape(activate(tf.reshape(z, [-1, 1, 1, this.cout]), this.act), z.shape) as tf.Tensor2D);
    if (ctx) this.saved = { x: ctx.save(x), z: ctx.save(z), y: ctx.save(y) };
    return y;
  }
  /** Runs inside its caller's tidy scope. */
  backward(dy: tf.Tensor2D, needInput: boolean): tf.Tensor2D | null {
    const { x, z, y } = this.saved!;
    this.saved = undefined;
    const as4 = (t: tf.Tensor2D) => tf.reshape(t, [-1, 1, 1, this.cout]) as tf.Tensor4D;
    const dz = this.act === 'none' ? dy : (tf.reshape(activationGrad(this.act, as4(z), as4(y), as4(dy)), dy.shape) as tf.Tensor2D);
    // Explicit transposes of the small operands keep the products on wasm's fast (untransposed) path.
    this.weight.addGrad(tf.matMul(tf.transpose(x) as tf.Tensor2D, dz));
    this.bias.addGrad(tf.sum(dz, 0));
    return needInput ? (tf.matMul(dz, tf.transpose(this.weight.value)) as tf.Tensor2D) : null;
  }
  params(): Param[] {
    return [this.weight, this.bias];
  }
}

/** Fully connected layer on [n, 1, 1, cin] (after global pooling). */
export class Linear implements Module {
  readonly core: DenseCore;
  constructor(name: string, cin: number, cout: number, act: Act, seed: number) {
    this.core = new DenseCore(name, cin, cout, act, seed, act === 'none' ? 1 / Math.sqrt(cin) : heStd(cin, act));
  }
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    const n = x.shape[0];
    return tf.tidy(() => tf.reshape(this.core.forward(tf.reshape(x, [n, this.core.cin]), ctx), [n, 1, 1, this.core.cout]));
  }
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    const n = dy.shape[0];
    return tidyGrad(() => {
      const dx = this.core.backward(tf.reshape(dy, [n, this.core.cout]), needInput);
      return dx && (tf.reshape(dx, [n, 1, 1, this.core.cin]) as tf.Tensor4D);
    });
  }
  params(): Param[] {
    return this.core.params();
  }
}
