/**
 * Convolutions without bias (a BatchNorm follows each), NHWC, symmetric padding (k-1)/2 as
 * convOut in src/core/ops.ts assumes, weights in tfjs layout [k, k, cin, cout] ([k, k, c, 1] for
 * depthwise). A 1x1 stride-1 conv runs as a matrix product, which is faster than Conv2D on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { convFilterGrad, convInputGrad, depthwiseFilterGrad, depthwiseInputGrad, rows } from './functional.js';
import { heStd, normal } from './init.js';
import { Param, ownerOf, type Module, type TrainContext, type WeightRef } from './module.js';

export interface ConvInit {
  seed: number;
  /** Activation after the conv (and its BatchNorm): sets the He gain. */
  act: string;
}

/** The module's weight: the given one (a shared Param or a slice of one, checked against the shape) or a new Param. */
function makeWeight(name: string, shape: number[], fanIn: number, init: ConvInit, given?: WeightRef): WeightRef {
  if (!given) return new Param(`${name}.weight`, normal(init.seed, `${name}.weight`, shape, heStd(fanIn, init.act)), 'weight');
  const got = given instanceof Param ? given.variable.shape : given.size;
  if (got.join(',') !== shape.join(',')) throw new Error(`${name}: weight ${given.name} is [${got}], the module needs [${shape}]`);
  return given;
}

function samePad(k: number): number {
  return Math.floor((k - 1) / 2);
}

/** The tfjs ops of a k x k conv: forward, and the gradients of its filter and its input. */
interface ConvOps {
  run(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D;
  filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, wShape: number[], stride: number, pad: number): tf.Tensor4D;
  inputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: number[], stride: number, pad: number): tf.Tensor4D;
}

const CONV_OPS: ConvOps = { run: (x, w, s, p) => tf.conv2d(x, w, s, p), filterGrad: convFilterGrad, inputGrad: convInputGrad };
const DEPTHWISE_OPS: ConvOps = { run: (x, w, s, p) => tf.depthwiseConv2d(x, w, s, p), filterGrad: depthwiseFilterGrad, inputGrad: depthwiseInputGrad };

/** What Conv and Depthwise share: a k x k weight, same padding, the input kept for backward. */
abstract class SamePadConv implements Module {
  readonly weight: WeightRef;
  private x?: tf.Tensor4D;
  constructor(
    readonly name: string,
    readonly k: number,
    readonly stride: number,
    shape: number[],
    fanIn: number,
    init: ConvInit,
    weight: WeightRef | undefined,
    private readonly ops: ConvOps,
  ) {
    this.weight = makeWeight(name, shape, fanIn, init, weight);
  }
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    if (ctx) this.x = ctx.save(x);
    return this.ops.run(x, this.weight.value as tf.Tensor4D, this.stride, samePad(this.k));
  }
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    const x = this.x!;
    this.x = undefined;
    const w = this.weight.value as tf.Tensor4D;
    this.weight.addGrad(this.ops.filterGrad(x, dy, w.shape, this.stride, samePad(this.k)));
    return needInput ? this.ops.inputGrad(dy, w, x.shape, this.stride, samePad(this.k)) : null;
  }
  params(): Param[] {
    return [ownerOf(this.weight)];
  }
}

export class Conv extends SamePadConv {
  constructor(
    name: string,
    readonly cin: number,
    readonly cout: number,
    k: number,
    stride: number,
    init: ConvInit,
    /** A weight to use instead of a new one (weight sharing). */
    weight?: WeightRef,
  ) {
    super(name, k, stride, [k, k, cin, cout], k * k * cin, init, weight, CONV_OPS);
  }
}

/** 1x1 stride-1 conv: [n*h*w, cin] x [cin, cout]. */
export class Pointwise implements Module {
  readonly weight: WeightRef;
  private x?: tf.Tensor4D;
  constructor(
    readonly name: string,
    readonly cin: number,
    readonly cout: number,
    init: ConvInit,
    /** A weight to use instead of a new one (weight sharing). */
    weight?: WeightRef,
  ) {
    this.weight = makeWeight(name, [1, 1, cin, cout], cin, init, weight);
  }
  private matrix(): tf.Tensor2D {
    return tf.reshape(this.weight.value, [this.cin, this.cout]);
  }
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    if (ctx) this.x = ctx.save(x);
    const [n, h, w] = x.shape;
    return tf.tidy(() => tf.reshape(tf.matMul(rows(x), this.matrix()), [n, h, w, this.cout]));
  }
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    const x = this.x!;
    this.x = undefined;
    this.weight.addGrad(convFilterGrad(x, dy, [1, 1, this.cin, this.cout], 1, 0));
    if (!needInput) return null;
    // The small weight is transposed explicitly: a transposed operand takes a slow path on wasm.
    return tf.tidy(() => tf.reshape(tf.matMul(rows(dy), tf.transpose(this.matrix())), x.shape) as tf.Tensor4D);
  }
  params(): Param[] {
    return [ownerOf(this.weight)];
  }
}

export class Depthwise extends SamePadConv {
  constructor(
    name: string,
    readonly channels: number,
    k: number,
    stride: number,
    init: ConvInit,
    /** A weight to use instead of a new one (weight sharing). */
    weight?: WeightRef,
  ) {
    super(name, k, stride, [k, k, channels, 1], k * k, init, weight, DEPTHWISE_OPS);
  }
}
