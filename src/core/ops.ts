/**
 * The op catalog: its types (specs.ts) and the shape and MAC formulas of the kinds that have one. What
 * a block computes is its lowering (src/core/lower/<kind>.ts); a kind without a formula here gets its
 * output shape and MACs from its lowering, so a new block is one lowering file plus one table line.
 */
import { UserError } from './errors.js';
import { graphMetrics } from './graph/metrics.js';
import { blockInputShapes, loweredOutputShape, lowerInstance } from './lower/table.js';

export * from './specs.js';
import { SEED_KINDS, type DType, type OpInstance, type OpSpec, type SeedSpec, type Shape } from './specs.js';

export { convOut, expandedChannels, seChannels } from './channels.js';
import { convOut, expandedChannels, seChannels } from './channels.js';

/** Output shape of an op applied to `input`; throws a UserError when the op cannot apply. */
export function outputShape(spec: OpSpec, input: Shape): Shape {
  const [n, c, h, w] = input;
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
        return [n, spec.cout ?? c, paddedOut(h, spec.k, spec.stride, spec.pad ?? 0, 1, spec.ceil ?? false), paddedOut(w, spec.k, spec.stride, spec.pad ?? 0, 1, spec.ceil ?? false)];
      return [n, spec.cout ?? c, convOut(h, spec.k, spec.stride), convOut(w, spec.k, spec.stride)];
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
    default:
      // A kind with no formula here (a block added as one lowering file): the shape its lowering gives.
      return loweredOutputShape(spec, input);
  }
}

/**
 * The shapes of every input an instance reads (its lowering's `inputs`): `input` itself for single-input kinds, `arity` copies
 * for a sum, one N×channels[i]×H×W per part for a concat (whose first part must be `input`).
 */
export function inputShapes(spec: OpSpec, input: Shape): Shape[] {
  return blockInputShapes(spec, input);
}

/** Multiply-accumulate count of one instance (inference, BatchNorm folded). Used by the mock device and reports. */
export function macs(inst: OpInstance): number {
  const { spec, input } = inst;
  const [n, c, h, w] = input;
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
      return n * hw * c * (spec.k * spec.k + (spec.cout ?? 0));
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
    default:
      // A kind with no formula here: the MACs of its lowering (BatchNorm folded).
      return graphMetrics(lowerInstance(inst)).macs;
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

/** Output size with explicit symmetric padding; `ceil` as PyTorch's ceil_mode (the last window starts inside the input or left pad). */
export function paddedOut(size: number, k: number, stride: number, pad: number, dilation: number, ceil: boolean): number {
  const span = size + 2 * pad - dilation * (k - 1) - 1;
  if (span < 0) throw new UserError(`a ${k}x${k} window does not fit an input of ${size} with padding ${pad}`);
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out -= 1;
  return out;
}

export function isSeed(spec: OpSpec): spec is SeedSpec {
  return (SEED_KINDS as readonly string[]).includes(spec.kind);
}

/** A seed kind, or a field added with the seed networks (pad, ceil, gate, pwGroups), that a per-block backend (the NASWOT proxy) does not implement. */
export function legacyGap(spec: OpSpec): string | undefined {
  if (isSeed(spec)) return `block kind '${spec.kind}'`;
  const s = spec as unknown as Record<string, unknown>;
  for (const field of ['pad', 'ceil', 'gate', 'pwGroups']) if (s[field] !== undefined) return `${spec.kind} field '${field}'`;
  return undefined;
}

/** The error of a per-block backend asked for what only the primitive-graph lowerings define. */
export function seedKindError(kind: string, backend: string): UserError {
  return new UserError(`${backend} cannot run ${kind}: it is defined in the primitive-graph lowerings (src/core/lower) only`, {
    hint: 'the per-block backends lack it until they run the lowered graph (issue 10)',
  });
}
