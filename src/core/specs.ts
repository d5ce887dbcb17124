/**
 * The op catalog as types: every block kind a search space can place, as plain data. A leaf module
 * (no imports), so the lowerings, the graph IR and ops.ts can all use these types without a cycle.
 *
 * An `OpSpec` says what a block computes; an `OpInstance` adds the input it is applied to
 * (shape and dtype). Latency is a property of an instance, never of a spec alone, so LUT keys
 * (see keys.ts) are built from instances.
 */
export const ACTS = ['relu', 'relu6', 'hswish', 'swish', 'none'] as const;
export type Act = (typeof ACTS)[number];

export const DTYPES = ['f32'] as const;
export type DType = (typeof DTYPES)[number];

/** N, C, H, W. Every op in the catalog takes a 4-D NCHW tensor (linear takes N x C x 1 x 1). */
export type Shape = readonly [number, number, number, number];

export interface ConvSpec {
  kind: 'conv';
  cout: number;
  k: number;
  stride: number;
  groups: number;
  dilation: number;
  act: Act;
}
/** Depthwise conv: groups = channels, channel count unchanged. */
export interface DwConvSpec {
  kind: 'dwconv';
  k: number;
  stride: number;
  dilation: number;
  act: Act;
}
/** Depthwise-separable conv (MobileNetV1 / MnasNet "SepConv"): dw k×k + act, then pointwise 1×1 (linear). */
export interface DwSepSpec {
  kind: 'dwsep';
  cout: number;
  k: number;
  stride: number;
  se: number;
  act: Act;
  skip: boolean;
}
/** MBConv / inverted residual: pw expand (if e>1) + act, dw k×k + act, optional SE, pw project (linear), optional identity skip. */
export interface MBConvSpec {
  kind: 'mbconv';
  cout: number;
  k: number;
  stride: number;
  expand: number;
  /** Squeeze-excitation ratio relative to the block's input channels; 0 = no SE. */
  se: number;
  act: Act;
  /** Identity skip connection; only legal when stride is 1 and cin == cout. */
  skip: boolean;
}
export interface PoolSpec {
  kind: 'pool';
  mode: 'avg' | 'max';
  k: number;
  stride: number;
}
export interface GlobalPoolSpec {
  kind: 'gpool';
  mode: 'avg' | 'max';
}
export interface IdentitySpec {
  kind: 'identity';
}
/** The "zero" op of DARTS/NAS-Bench-201: output is zeros (strided when stride 2). */
export interface ZeroSpec {
  kind: 'zero';
  stride: number;
}
/** Fully connected layer over N x C x 1 x 1 input (flattened). */
export interface LinearSpec {
  kind: 'linear';
  cout: number;
  act: Act;
}
/** Squeeze-and-excitation on its own: global pool, reduce (ratio of C) + act, expand + sigmoid, scale. */
export interface SESpec {
  kind: 'se';
  ratio: number;
  act: Act;
}

/** NAS-Bench-201 edge op "nor_conv_kxk": ReLU → Conv → BN (folded into the conv), channels kept. */
export interface ReluConvSpec {
  kind: 'reluconv';
  cout: number;
  k: number;
  stride: number;
}
/** Element-wise sum of `arity` equally shaped tensors (the node sums inside a NAS-Bench-201 cell). */
export interface SumSpec {
  kind: 'sum';
  arity: number;
}
/**
 * Channel concatenation of tensors with equal N, H, W (a DAG's join of branches, a DARTS cell's output).
 * `channels` lists each input's channels in order; the instance's input is the first one.
 */
export interface ConcatSpec {
  kind: 'concat';
  channels: number[];
}
/**
 * A whole NAS-Bench-201 cell, the string in the benchmark's format, e.g.
 * "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|".
 * Shape-preserving. For latency it decomposes into its edge ops and node sums (see decompose.ts).
 */
export interface Nb201CellSpec {
  kind: 'nb201cell';
  cell: string;
}
/** NAS-Bench-201's reduction block: ResNet basic block, stride 2, with an avgpool + 1×1 conv shortcut. */
export interface ResBlockSpec {
  kind: 'resblock';
  cout: number;
  stride: number;
}

export type OpSpec =
  | ReluConvSpec
  | SumSpec
  | ConcatSpec
  | Nb201CellSpec
  | ResBlockSpec
  | ConvSpec
  | DwConvSpec
  | DwSepSpec
  | MBConvSpec
  | PoolSpec
  | GlobalPoolSpec
  | IdentitySpec
  | ZeroSpec
  | LinearSpec
  | SESpec;

export type OpKind = OpSpec['kind'];

export interface OpInstance {
  spec: OpSpec;
  /** Input shape, NCHW. */
  input: Shape;
  dtype: DType;
}
