/**
 * The op catalog: every block kind a search space can place, as plain data.
 *
 * An `OpSpec` says what a block computes; an `OpInstance` adds the input it is applied to
 * (shape and dtype). Latency is a property of an instance, never of a spec alone, so LUT keys
 * (see keys.ts) are built from instances.
 */
import { UserError } from './errors.js';
import { seedMacs, seedOutputShape, type SeedSpec } from './seed-ops.js';

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
  /** Groups of the two pointwise convs (FBNet's g2 candidates); absent: 1. */
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

export type { BasicSpec, BottleneckSpec, DilConvSpec, FactConvSpec, FireSpec, InceptionSpec, NormSpec, SeedSpec, SepConvSpec, ShuffleV2Spec } from './seed-ops.js';

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
  | SESpec
  | SeedSpec;

export type OpKind = OpSpec['kind'];
export type SeedKind = SeedSpec['kind'];
/** Kinds the per-block backends (export/blocks, devices/tfjs, the browser program, the proxy) implement; the seed kinds exist as primitive-graph lowerings only (src/core/lower). */
export type LegacyKind = Exclude<OpKind, SeedKind>;
export const SEED_KINDS: readonly SeedKind[] = ['basic', 'bottleneck', 'shufflev2', 'fire', 'inception', 'factconv', 'dilconv', 'sepconv', 'norm'];

export function isSeed(spec: OpSpec): spec is SeedSpec {
  return (SEED_KINDS as readonly string[]).includes(spec.kind);
}

/** A seed kind, or a field added with the seed networks (pad, ceil, gate, pwGroups), that the per-block backends do not implement. */
export function legacyGap(spec: OpSpec): string | undefined {
  if (isSeed(spec)) return `block kind '${spec.kind}'`;
  const s = spec as unknown as Record<string, unknown>;
  for (const field of ['pad', 'ceil', 'gate', 'pwGroups']) if (s[field] !== undefined) return `${spec.kind} field '${field}'`;
  return undefined;
}

/** The error of a per-block backend asked for a kind that only the primitive graph implements. */
export function seedKindError(kind: string, backend: string): UserError {
  return new UserError(`${backend} cannot run ${kind}: it is defined in the primitive-graph lowerings (src/core/lower) only`, {
    hint: 'the seed kinds run once the backends implement primitives (issue 10)',
  });
}

export interface OpInstance {
  spec: OpSpec;
  /** Input shape, NCHW. */
  input: Shape;
  dtype: DType;
}

/** Same-padding convention used everywhere: pad = dilation*(k-1)/2, output = ceil(in / stride). */
export function convOut(size: number, k: number, stride: number, dilation = 1): number {
  const pad = Math.floor((dilation * (k - 1)) / 2);
  return Math.floor((size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
}

/** Output size with explicit symmetric padding; `ceil` as PyTorch's ceil_mode (the last window starts inside the input or left pad). */
export function paddedOut(size: number, k: number, stride: number, pad: number, dilation: number, ceil: boolean): number {
  const span = size + 2 * pad - dilation * (k - 1) - 1;
  if (span < 0) throw new UserError(`a ${k}x${k} window does not fit an input of ${size} with padding ${pad}`);
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out -= 1;
  return out;
}

/** Channels after an MBConv expansion; fractional ratios (MobileNetV3's 2.3, 2.5) round to the nearest integer. */
export function expandedChannels(cin: number, expand: number): number {
  return Math.max(1, Math.round(cin * expand));
}

/** Channels of the SE bottleneck: ratio of the reference channel count, at least 1. */
export function seChannels(reference: number, ratio: number): number {
  return Math.max(1, Math.round(reference * ratio));
}

/** Output shape of an op applied to `input`; throws a UserError when the op cannot apply. */
export function outputShape(spec: OpSpec, input: Shape): Shape {
  const [n, c, h, w] = input;
  if (isSeed(spec)) return seedOutputShape(spec, input);
  switch (spec.kind) {
    case 'conv':
      if (c % spec.groups !== 0 || spec.cout % spec.groups !== 0)
        throw new UserError(`conv: groups ${spec.groups} must divide input channels ${c} and output channels ${spec.cout}`);
      if (spec.pad !== undefined) return [n, spec.cout, paddedOut(h, spec.k, spec.stride, spec.pad, spec.dilation, false), paddedOut(w, spec.k, spec.stride, spec.pad, spec.dilation, false)];
      return [n, spec.cout, convOut(h, spec.k, spec.stride, spec.dilation), convOut(w, spec.k, spec.stride, spec.dilation)];
    case 'dwconv':
      return [n, c, convOut(h, spec.k, spec.stride, spec.dilation), convOut(w, spec.k, spec.stride, spec.dilation)];
    case 'dwsep':
    case 'mbconv':
      if (spec.skip && (spec.stride !== 1 || c !== spec.cout))
        throw new UserError(
          `${spec.kind}: an identity skip needs stride 1 and equal channels, got stride ${spec.stride}, ${c} -> ${spec.cout} channels`,
        );
      return [n, spec.cout, convOut(h, spec.k, spec.stride), convOut(w, spec.k, spec.stride)];
    case 'pool':
      if (spec.pad !== undefined || spec.ceil)
        return [n, c, paddedOut(h, spec.k, spec.stride, spec.pad ?? 0, 1, spec.ceil ?? false), paddedOut(w, spec.k, spec.stride, spec.pad ?? 0, 1, spec.ceil ?? false)];
      return [n, c, convOut(h, spec.k, spec.stride), convOut(w, spec.k, spec.stride)];
    case 'gpool':
      return [n, c, 1, 1];
    case 'identity':
    case 'se':
      return [n, c, h, w];
    case 'zero':
      return [n, c, convOut(h, 1, spec.stride), convOut(w, 1, spec.stride)];
    case 'reluconv':
    case 'resblock':
      return [n, spec.cout, convOut(h, spec.kind === 'reluconv' ? spec.k : 3, spec.stride), convOut(w, spec.kind === 'reluconv' ? spec.k : 3, spec.stride)];
    case 'sum':
    case 'nb201cell':
      return [n, c, h, w];
    case 'concat':
      inputShapes(spec, input);
      return [n, spec.channels.reduce((a, b) => a + b, 0), h, w];
    case 'linear':
      if (h !== 1 || w !== 1) throw new UserError(`linear: input must be N x C x 1 x 1 (after global pooling), got ${input.join('x')}`);
      return [n, spec.cout, 1, 1];
  }
}

/**
 * The shapes of every input an instance reads: `input` itself for single-input kinds, `arity` copies
 * for a sum, one N×channels[i]×H×W per part for a concat (whose first part must be `input`).
 */
export function inputShapes(spec: OpSpec, input: Shape): Shape[] {
  const [n, c, h, w] = input;
  switch (spec.kind) {
    case 'sum':
      if (!Number.isInteger(spec.arity) || spec.arity < 1) throw new UserError(`sum: arity must be a positive integer, got ${spec.arity}`);
      return Array.from({ length: spec.arity }, () => input);
    case 'concat':
      if (!Array.isArray(spec.channels) || spec.channels.length < 1 || !spec.channels.every((k) => Number.isInteger(k) && k > 0))
        throw new UserError(`concat: channels must be a non-empty list of positive integers, got ${JSON.stringify(spec.channels)}`);
      if (spec.channels[0] !== c) throw new UserError(`concat: its first input has ${c} channels, the spec says ${spec.channels[0]}`);
      return spec.channels.map((k) => [n, k, h, w] as const);
    default:
      return [input];
  }
}

/** Multiply-accumulate count of one instance (inference, BatchNorm folded). Used by the mock device and reports. */
export function macs(inst: OpInstance): number {
  const { spec, input } = inst;
  const [n, c, h, w] = input;
  if (isSeed(spec)) return seedMacs(spec, input);
  const out = outputShape(spec, input);
  const hw = out[2] * out[3];
  switch (spec.kind) {
    case 'conv':
      return n * hw * spec.cout * (c / spec.groups) * spec.k * spec.k;
    case 'dwconv':
      return n * hw * c * spec.k * spec.k;
    case 'dwsep':
      return n * hw * c * (spec.k * spec.k + spec.cout) + seMacs(n, c, spec.se);
    case 'mbconv': {
      const mid = expandedChannels(c, spec.expand);
      const g = spec.pwGroups ?? 1;
      const expand = spec.expand === 1 ? 0 : (n * h * w * c * mid) / g;
      return expand + n * hw * mid * (spec.k * spec.k + spec.cout / g) + seMacs(n, mid, spec.se, c);
    }
    case 'pool':
      return n * hw * c * spec.k * spec.k;
    case 'gpool':
      return n * c * h * w;
    case 'identity':
    case 'zero':
      return 0;
    case 'linear':
      return n * c * spec.cout;
    case 'se':
      return n * c * h * w + seMacs(n, c, spec.ratio);
    case 'reluconv':
      return n * hw * spec.cout * c * spec.k * spec.k;
    case 'resblock':
      // conv3x3 stride s, conv3x3 stride 1, shortcut conv1x1 on the pooled input.
      return n * hw * spec.cout * (c * 9 + spec.cout * 9 + c);
    case 'sum':
      return n * c * h * w * (spec.arity - 1);
    case 'concat':
      return 0;
    case 'nb201cell':
      // Filled in by decompose.ts for latency; MACs counted from its edges there.
      return 0;
  }
}

function seMacs(n: number, channels: number, ratio: number, reference = channels): number {
  if (ratio <= 0) return 0;
  return n * 2 * channels * seChannels(reference, ratio);
}

/** Bytes moved (inputs + outputs), a rough memory-traffic figure for the mock device. */
export function activationBytes(inst: OpInstance): number {
  const out = outputShape(inst.spec, inst.input);
  const count = (s: Shape) => s[0] * s[1] * s[2] * s[3];
  return 4 * (count(inst.input) + count(out));
}

export function instance(spec: OpSpec, input: Shape, dtype: DType = 'f32'): OpInstance {
  return { spec, input, dtype };
}
