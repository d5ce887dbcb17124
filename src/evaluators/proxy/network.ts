/**
 * What a zero-cost proxy needs from a network: its weights and a forward pass that takes them as
 * arguments. Proxies are written against this interface only, so the network builder behind it (today
 * the tfjs forward over the primitive graph in tf-net.ts) can be swapped without touching a proxy.
 *
 * Parameters are the conv and dense weights, the tensors the papers' proxies read (Abdelfattah et al.
 * 2021 score only Conv2d and Linear weights); BatchNorm has no learnable scale at initialisation (γ = 1,
 * β = 0), so it carries none.
 */
import type * as TF from '@tensorflow/tfjs';

export interface ForwardOptions {
  /**
   * BatchNorm with batch statistics after every conv (a fresh net in training mode, default), or none
   * (synflow's linearised net, where a batch of one constant image would normalise to zero).
   */
  batchNorm?: boolean;
  /** Sees the input of every rectifier (ReLU, ReLU6 and, as a sign pattern, h-swish/swish). */
  onRelu?(preActivation: TF.Tensor): void;
  /**
   * Wraps the output of every conv and dense layer (before BatchNorm), the point where fisher reads an
   * activation and its gradient; returns the tensor the net goes on with (an identity with a tap).
   * `fanIn`: the inputs each output channel's weights read (C_in/groups·k_h·k_w, or the dense input).
   */
  tapWeighted?(output: TF.Tensor, fanIn: number): TF.Tensor;
}

export interface ProxyNetwork {
  readonly tf: typeof TF;
  /** Input the net was built for: [height, width, channels] (NHWC). */
  readonly input: readonly [number, number, number];
  /**
   * Whether the net without BatchNorm is positively homogeneous in its input (f(αx) = α·f(x) for α > 0:
   * only ReLU, max/avg pooling and linear layers), so synflow may rescale its input against overflow.
   */
  readonly positivelyHomogeneous: boolean;
  /** Conv and dense weights at initialisation, in the order `forward` consumes them. */
  readonly params: readonly TF.Tensor[];
  /** The layer (graph node) each of `params` belongs to: a grouped conv runs as one weight per group, one layer. */
  readonly paramLayers: readonly string[];
  /** Logits (N × classes, or the last layer flattened) of `x` (N×H×W×C) run with `params`; call inside tf.tidy. */
  forward(x: TF.Tensor4D, params: readonly TF.Tensor[], opts?: ForwardOptions): TF.Tensor2D;
  dispose(): void;
}

/**
 * `y` plus zero times every tensor of `xs`: the same value, but every x is now on the path to y, so
 * tf.grads gives zeros (not an error) for weights whose branch never reaches the output, such as a conv
 * on an NB201 edge into a node that feeds nothing.
 */
export function connectAll(tf: typeof TF, y: TF.Scalar, xs: readonly TF.Tensor[]): TF.Scalar {
  return tf.add(y, tf.mul(0, tf.addN(xs.map((x) => tf.sum(x))))) as TF.Scalar;
}
