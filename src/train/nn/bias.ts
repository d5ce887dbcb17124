/**
 * A conv's own per-channel bias on a feature map (SqueezeNet's Fire convs, which have a bias and no BatchNorm):
 * y = x + b over the channel axis of NHWC tensors. The conv before it stays bias-free, so every conv module and
 * weight sharing are unchanged; fold.ts exports the two as one ONNX Conv with its bias (`<conv id>.bias`).
 */
import * as tf from '@tensorflow/tfjs';
import { Param, tidyGrad, type Module } from './module.js';

export class ChannelBias implements Module {
  readonly bias: Param;
  /** `name`: the conv's node id; the parameter is `<name>.bias`, the name the exporter asks for. */
  constructor(
    readonly name: string,
    readonly channels: number,
  ) {
    this.bias = new Param(`${name}.bias`, tf.zeros([channels]), 'bias');
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.add(x, this.bias.value) as tf.Tensor4D);
  }
  /** d/db is dy summed over the batch and the pixels; d/dx is dy. */
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    this.bias.addGrad(tf.tidy(() => tf.sum(dy, [0, 1, 2])));
    return needInput ? tidyGrad(() => tf.clone(dy)) : null;
  }
  params(): Param[] {
    return [this.bias];
  }
}
