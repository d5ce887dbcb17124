/**
 * The primitives every block is made of: a convolution with BatchNorm folded into its bias, and the
 * activations. Block files (one per op kind) compose these.
 */
import type { Act, Shape } from '../../src/core/ops.js';
import type { GraphBuilder } from '../onnx/graph.js';
import type { Weights } from '../weights.js';

export interface BlockContext {
  g: GraphBuilder;
  weights: Weights;
}

/**
 * Emits one block: `x` is its input tensor, `shape` that tensor's NCHW shape, `prefix` the name
 * every parameter of the block starts with (see export/weights.ts). Returns the output tensor.
 */
export type BlockEmitter<S> = (ctx: BlockContext, spec: S, x: string, shape: Shape, prefix: string) => string;

export interface ConvOptions {
  cin: number;
  cout: number;
  k: number;
  stride?: number;
  groups?: number;
  dilation?: number;
  /** Weight gain: actGain of the activation after the conv, times any extra factor (see export/weights.ts). */
  gain: number;
  /** False for a conv with neither bias nor BatchNorm after it (NB201's shortcut). */
  bias?: boolean;
}

/** A Conv with same padding (pad = dilation*(k-1)/2 each side, as convOut in ops.ts assumes). */
export function conv(ctx: BlockContext, x: string, name: string, o: ConvOptions): string {
  const stride = o.stride ?? 1;
  const groups = o.groups ?? 1;
  const dilation = o.dilation ?? 1;
  const pad = Math.floor((dilation * (o.k - 1)) / 2);
  const fanIn = (o.cin / groups) * o.k * o.k;
  const wShape = [o.cout, o.cin / groups, o.k, o.k];
  const inputs = [x, ctx.g.addInitializer(`${name}.weight`, wShape, ctx.weights.weight(`${name}.weight`, wShape, fanIn, o.gain))];
  if (o.bias ?? true) inputs.push(ctx.g.addInitializer(`${name}.bias`, [o.cout], ctx.weights.bias(`${name}.bias`, [o.cout])));
  return ctx.g.addNode('Conv', inputs, name, {
    kernel_shape: [o.k, o.k],
    strides: [stride, stride],
    pads: [pad, pad, pad, pad],
    dilations: [dilation, dilation],
    group: groups,
  });
}

/** relu -> Relu, relu6 -> Clip(0, 6), hswish -> HardSwish, swish -> x * Sigmoid(x), none -> x itself. */
export function activation(ctx: BlockContext, x: string, act: Act, name: string): string {
  const { g } = ctx;
  switch (act) {
    case 'none':
      return x;
    case 'relu':
      return g.addNode('Relu', [x], `${name}.relu`);
    case 'relu6':
      return g.addNode('Clip', [x, g.scalar(0), g.scalar(6)], `${name}.relu6`);
    case 'hswish':
      return g.addNode('HardSwish', [x], `${name}.hswish`);
    case 'swish':
      return g.addNode('Mul', [x, g.addNode('Sigmoid', [x], `${name}.sigmoid`)], `${name}.swish`);
  }
}

export function add(ctx: BlockContext, a: string, b: string, name: string): string {
  return ctx.g.addNode('Add', [a, b], name);
}

/** Zeros shaped like `x`. Mul by 0 keeps a data dependency on the input, so the graph stays runnable. */
export function zerosLike(ctx: BlockContext, x: string, name: string): string {
  return ctx.g.addNode('Mul', [x, ctx.g.scalar(0)], name);
}
