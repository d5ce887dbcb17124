/**
 * The primitive graph: what every network computes, written once, over NCHW float tensors.
 *
 * Blocks (src/core/ops.ts) are lowered to these primitives (one lowering per block kind); every backend
 * (ONNX emitter, tfjs program, training modules, proxies) implements primitives only, and an ONNX file a
 * user brings is read into the same graph. A node has one output, except `split`, whose k-th output is
 * referenced as `<id>:<k>`; a graph input is referenced by its name.
 */
import type { Shape } from '../specs.js';

export type { Shape };

/** Element-wise activations. hsigmoid is ONNX HardSigmoid(alpha 1/6, beta 0.5) = relu6(x + 3) / 6. */
export const PRIM_ACTS = ['relu', 'relu6', 'hswish', 'hsigmoid', 'swish', 'sigmoid', 'none'] as const;
export type PrimAct = (typeof PRIM_ACTS)[number];

/** [top, left, bottom, right], the order a pair of (H, W) begin/end pads is usually written in. */
export type Pads = readonly [number, number, number, number];
export type Pair = readonly [number, number];

export interface ConvPrim {
  op: 'conv';
  cout: number;
  kernel: Pair;
  stride: Pair;
  pads: Pads;
  dilation: Pair;
  groups: number;
  /** A bias vector of its own (a conv followed by `bn` has none: the BatchNorm holds the shift). */
  bias: boolean;
}
/** Inference BatchNorm over channels; parameters gamma, beta, mean, var. */
export interface BatchNormPrim {
  op: 'bn';
  eps: number;
}
export interface ActPrim {
  op: 'act';
  act: PrimAct;
}
/** Sum of two or more equally shaped tensors. */
export interface AddPrim {
  op: 'add';
}
/** Product of two tensors; the second may be N×C×1×1 and is broadcast over H and W (SE gating). */
export interface MulPrim {
  op: 'mul';
}
/** Concatenation on channels of tensors with equal N, H, W. */
export interface ConcatPrim {
  op: 'concat';
}
/** Split on channels into parts of the given sizes; output k is `<id>:<k>`. */
export interface SplitPrim {
  op: 'split';
  sizes: readonly number[];
}
/** ShuffleNet's channel shuffle: reshape C to (groups, C/groups), transpose, flatten back. */
export interface ShufflePrim {
  op: 'shuffle';
  groups: number;
}
/**
 * A crop of H and W: rows begin[0] … end[0]−1 and columns begin[1] … end[1]−1 of every channel (end exclusive).
 * DARTS's FactorizedReduce reads its input shifted by one pixel (PyTorch x[:, :, 1:, 1:]).
 */
export interface SlicePrim {
  op: 'slice';
  begin: Pair;
  end: Pair;
}
export interface PoolPrim {
  op: 'pool';
  mode: 'avg' | 'max';
  kernel: Pair;
  stride: Pair;
  pads: Pads;
  /** Output size rounds up (ONNX ceil_mode 1, PyTorch ceil_mode=True). */
  ceil: boolean;
  /** Average pooling divides by the whole window, padding included (ONNX count_include_pad). */
  countIncludePad: boolean;
}
export interface GlobalPoolPrim {
  op: 'gpool';
  mode: 'avg' | 'max';
}
/** N×C×H×W → N×(C·H·W)×1×1: every tensor stays 4-D. */
export interface FlattenPrim {
  op: 'flatten';
}
/** Fully connected layer on N×C×1×1 → N×cout×1×1 (weight [cout, C], PyTorch layout). */
export interface LinearPrim {
  op: 'linear';
  cout: number;
  bias: boolean;
}
/** Zeros shaped like the input subsampled by `stride` (ceil(H/s) × ceil(W/s)); still depends on the input. */
export interface ZeroPrim {
  op: 'zero';
  stride: number;
}
/** Layer norm over C, H, W of each sample, with a per-channel scale and shift. */
export interface LayerNormPrim {
  op: 'layernorm';
  eps: number;
}
/** Instance norm over H, W of each sample and channel, with a per-channel scale and shift. */
export interface InstanceNormPrim {
  op: 'instancenorm';
  eps: number;
}

export type Prim =
  | ConvPrim
  | BatchNormPrim
  | ActPrim
  | AddPrim
  | MulPrim
  | ConcatPrim
  | SplitPrim
  | ShufflePrim
  | SlicePrim
  | PoolPrim
  | GlobalPoolPrim
  | FlattenPrim
  | LinearPrim
  | ZeroPrim
  | LayerNormPrim
  | InstanceNormPrim;

export type PrimOp = Prim['op'];
export type PrimOf<K extends PrimOp> = Extract<Prim, { op: K }>;

/**
 * How generated (untrained) weights of a node are scaled: the gain of what follows it (see
 * export/weights.ts). Backends that generate weights read it; trained weights ignore it.
 */
export interface InitHint {
  gain: number;
}

export interface GraphNode {
  /** Unique in the graph; also the prefix of the node's parameters (`<id>.weight`, `<id>.bias`, …). */
  id: string;
  prim: Prim;
  /** Tensor references: a graph input's name, a node id, or `<id>:<k>` for output k of a split. */
  inputs: readonly string[];
  init?: InitHint;
}

export interface GraphInput {
  name: string;
  shape: Shape;
}

/** Nodes in topological order (every input is defined before the node that reads it). */
export interface Graph {
  inputs: readonly GraphInput[];
  nodes: readonly GraphNode[];
  outputs: readonly string[];
  /**
   * Cell paths: tensors that are one op's contribution to a cell block's sum (an edge that is not an
   * identity). Only training reads them (ScheduledDropPath drops each per sample); absent when none.
   */
  dropPaths?: readonly string[];
}

/** One parameter tensor of a node: `<node id>.<part>` with a PyTorch-layout shape. */
export interface ParamInfo {
  name: string;
  shape: readonly number[];
  /** What the tensor is, so a backend can generate or fold it (`weight`, `bias`, `gamma`, `beta`, `mean`, `var`). */
  part: 'weight' | 'bias' | 'gamma' | 'beta' | 'mean' | 'var';
}
