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
  /** Explicit padding on every side (SqueezeNet's unpadded stem); absent: "same" padding. */
  pad?: number;
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
  /** SE gate; absent: sigmoid. MobileNetV3 uses hsigmoid. */
  gate?: SeGate;
  /** Groups of the two pointwise convs (FBNet's g2 candidates), with a channel shuffle after the expansion; absent: 1. */
  pwGroups?: number;
}
export type SeGate = 'sigmoid' | 'hsigmoid';
export interface PoolSpec {
  kind: 'pool';
  mode: 'avg' | 'max';
  k: number;
  stride: number;
  /** Explicit padding on every side; absent: "same" padding (k−1)/2. */
  pad?: number;
  /** Output size rounds up (PyTorch ceil_mode), with `pad`. */
  ceil?: boolean;
  /** Then a 1×1 conv-BN to `cout` channels: TF slim NASNet's pool on a hidden state of another width (nasnet-cell.ts). */
  cout?: number;
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
  gate?: SeGate;
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

/** ResNet basic block (post-activation): conv3×3 s + BN + ReLU, conv3×3 + BN, shortcut (1×1 s + BN when the stride or width changes), add, ReLU. */
export interface BasicSpec {
  kind: 'basic';
  cout: number;
  stride: number;
}
/**
 * Bottleneck block: 1×1 to `mid` + BN + ReLU, 3×3 stride s with `groups` groups + BN + ReLU, optional SE (ratio
 * of the block input channels, as in RegNetY), 1×1 to cout + BN, shortcut (1×1 s + BN on a stride or width
 * change), add, ReLU. ResNet-50 (groups 1, mid cout/4), ResNeXt (cardinality = groups, mid = cardinality × width)
 * and RegNet X/Y (mid = b·w, groups = mid / group width) are parameterisations of it, so they share LUT entries.
 */
export interface BottleneckSpec {
  kind: 'bottleneck';
  cout: number;
  stride: number;
  mid: number;
  groups: number;
  se: number;
}
/**
 * ShuffleNetV2 unit. Stride 1: the input is split in halves, one half passes, the other goes through the main
 * branch; stride 2: the whole input feeds both a projection branch (dw k×k s2 + BN, 1×1 + BN + ReLU, `side`
 * channels out) and the main branch. The main branch (pw to `mid` + BN + ReLU, dw k×k s + BN, pw + BN + ReLU,
 * cout − side channels out) is SPOS's Xception-like choice when `xception` is set (three dw 3×3 + pw pairs).
 * The two parts are concatenated and channel-shuffled with 2 groups.
 */
export interface ShuffleV2Spec {
  kind: 'shufflev2';
  cout: number;
  k: number;
  stride: number;
  mid: number;
  /** Channels of the passing half (stride 1: cin/2) or of the projection branch (stride 2). */
  side: number;
  xception: boolean;
}
/** SqueezeNet Fire: squeeze 1×1 + ReLU, then expand 1×1 and 3×3 (each + ReLU) concatenated: e1 + e3 channels. */
export interface FireSpec {
  kind: 'fire';
  squeeze: number;
  e1: number;
  e3: number;
}
/**
 * Inception v1 module: 1×1 (c1) | 1×1 (c3r) → 3×3 (c3) | 1×1 (c5r) → k5×k5 (c5) | max pool 3×3 → 1×1 (pp),
 * each conv + BN + ReLU, concatenated. k5 is 5 in the paper; torchvision's GoogLeNet uses 3.
 */
export interface InceptionSpec {
  kind: 'inception';
  c1: number;
  c3r: number;
  c3: number;
  c5r: number;
  c5: number;
  k5: number;
  pp: number;
}
/** Factorized conv (NASNet "1x7 then 7x1"): ReLU, 1×k (stride 1×s), k×1 (stride s×1), BN. */
export interface FactConvSpec {
  kind: 'factconv';
  cout: number;
  k: number;
  stride: number;
}
/** DARTS `dil_conv`: ReLU, depthwise k×k with dilation, pointwise 1×1, BN. */
export interface DilConvSpec {
  kind: 'dilconv';
  cout: number;
  k: number;
  stride: number;
  dilation: number;
}
/** NASNet / DARTS separable conv: (ReLU, depthwise k×k, pointwise 1×1, BN) twice; the stride is on the first depthwise. */
export interface SepConvSpec {
  kind: 'sepconv';
  cout: number;
  k: number;
  stride: number;
}
/** Layer or instance normalisation with a per-channel scale and shift (NASNet-B/C). */
export interface NormSpec {
  kind: 'norm';
  mode: 'layer' | 'instance';
}

/**
 * DARTS FactorizedReduce (Liu et al. 2019, operations.py): ReLU, then two 1×1 stride-2 convs to cout/2 each,
 * the second on the input shifted by one pixel (x[:, :, 1:, 1:]), concatenated, BN. Halves an even H and W:
 * a reduction cell's skip_connect, and the preprocessing of a cell whose input c_{k-2} has twice the resolution.
 */
export interface FactReduceSpec {
  kind: 'factreduce';
  cout: number;
}
/**
 * A DARTS cell (Liu et al. 2019) without its preprocessing: two inputs of the same shape (c_{k-2} and c_{k-1},
 * each already mapped to C channels), 4 intermediate nodes each summing two ops of earlier nodes, output the
 * concatenation of the 4 nodes (4C channels). `cell` lists each node's two edges as op~source, nodes separated
 * by '+' (src/core/darts-cell.ts), e.g. "|sep_conv_3x3~0|sep_conv_3x3~1|+|…|+|…|+|skip_connect~0|dil_conv_3x3~2|".
 * In a reduction cell the edges from the two inputs have stride 2.
 */
export interface DartsCellSpec {
  kind: 'dartscell';
  cell: string;
  reduce: boolean;
}

/**
 * A NASNet cell (Zoph et al. 2018) without its preprocessing: two inputs of the same shape (h_{i-1}, h_i, each
 * already mapped to C channels), 5 blocks each adding two of the 13 NASNet ops on earlier states, output the
 * concatenation of the unused states (or the states listed after '>'). `cell` is written as in
 * src/core/nasnet-cell.ts. In a reduction cell the edges from the inputs have stride 2.
 */
export interface NasnetCellSpec {
  kind: 'nasnetcell';
  cell: string;
  reduce: boolean;
  /**
   * The cell's filters, when input 0 (h_{i-1}) has another width: input 1 then has `filters` channels and the
   * ops on input 0 map its width to `filters` (NASNet-A-Mobile's first stem cell reads the 32-channel stem
   * conv directly). Absent: both inputs have the same shape and the filters are their width.
   */
  filters?: number;
}

/** The kinds added for the seed networks (issue 11). */
export type SeedSpec =
  | BasicSpec
  | BottleneckSpec
  | ShuffleV2Spec
  | FireSpec
  | InceptionSpec
  | FactConvSpec
  | DilConvSpec
  | SepConvSpec
  | NormSpec
  | FactReduceSpec
  | DartsCellSpec
  | NasnetCellSpec;
export type SeedKind = SeedSpec['kind'];
export const SEED_KINDS: readonly SeedKind[] = ['basic', 'bottleneck', 'shufflev2', 'fire', 'inception', 'factconv', 'dilconv', 'sepconv', 'norm', 'factreduce', 'dartscell', 'nasnetcell'];

/**
 * The spec types of blocks that declare their own, from their lowering file, by declaration merging:
 *   declare module '../specs.js' { interface LoweringSpecs { myblock: MyBlockSpec } }
 * so a new block is its lowering file plus one line in the lowering table (README, "Adding a device or
 * an op"); OpSpec, OpKind and the table's type then include it. Empty here on purpose.
 */
export interface LoweringSpecs {}

export type OpSpec =
  | LoweringSpecs[keyof LoweringSpecs]
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
  | SESpec
  | SeedSpec;

export type OpKind = OpSpec['kind'];

export interface OpInstance {
  spec: OpSpec;
  /** Input shape, NCHW. */
  input: Shape;
  dtype: DType;
}
