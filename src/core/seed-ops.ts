/**
 * Output shapes and MACs of the seed-network kinds (issue 11), in the conventions of the primitive graph's
 * metrics (BatchNorm after a conv folded, activations free, add/mul/pool/gpool per element). The lowerings
 * (src/core/lower) are what the blocks compute; test/core/seed-ops.test.ts checks these figures against
 * graphMetrics of every lowering, so the two cannot drift apart.
 */
import { UserError } from './errors.js';

/** N, C, H, W (ops.ts's Shape, written out so this file does not import ops.ts, which imports it). */
type Shape = readonly [number, number, number, number];

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

/** The kinds added for the seed networks (issue 11). */
export type SeedSpec = BasicSpec | BottleneckSpec | ShuffleV2Spec | FireSpec | InceptionSpec | FactConvSpec | DilConvSpec | SepConvSpec | NormSpec;


/** Same padding: ceil(size / stride) for odd kernels (dilation·(k−1)/2 each side). */
const out = (size: number, k: number, stride: number, dilation = 1): number => {
  const pad = Math.floor((dilation * (k - 1)) / 2);
  return Math.floor((size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
};

function check(ok: boolean, kind: string, why: string): void {
  if (!ok) throw new UserError(`${kind}: ${why}`);
}

export function seedOutputShape(spec: SeedSpec, input: Shape): Shape {
  const [n, c, h, w] = input;
  switch (spec.kind) {
    case 'basic':
    case 'bottleneck':
      if (spec.kind === 'bottleneck') check(spec.mid % spec.groups === 0 && spec.groups >= 1, 'bottleneck', `groups ${spec.groups} must divide the bottleneck width ${spec.mid}`);
      return [n, spec.cout, out(h, 3, spec.stride), out(w, 3, spec.stride)];
    case 'shufflev2':
      check(spec.side >= 1 && spec.side < spec.cout, 'shufflev2', `side ${spec.side} must leave channels for the main branch of ${spec.cout}`);
      if (spec.stride === 1) check(c % 2 === 0 && spec.side === c / 2, 'shufflev2', `at stride 1 the input (${c} channels) is split in halves, so side must be ${c / 2}, got ${spec.side}`);
      return [n, spec.cout, out(h, spec.k, spec.stride), out(w, spec.k, spec.stride)];
    case 'fire':
      return [n, spec.e1 + spec.e3, h, w];
    case 'inception':
      return [n, spec.c1 + spec.c3 + spec.c5 + spec.pp, h, w];
    case 'factconv':
    case 'sepconv':
      return [n, spec.cout, out(h, spec.k, spec.stride), out(w, spec.k, spec.stride)];
    case 'dilconv':
      return [n, spec.cout, out(h, spec.k, spec.stride, spec.dilation), out(w, spec.k, spec.stride, spec.dilation)];
    case 'norm':
      return [n, c, h, w];
  }
}

export function seedMacs(spec: SeedSpec, input: Shape): number {
  const [n, c, h, w] = input;
  const [, , ho, wo] = seedOutputShape(spec, input);
  const at = n * ho * wo; // positions of the output
  const full = n * h * w; // positions of the input
  switch (spec.kind) {
    case 'basic': {
      const proj = spec.stride !== 1 || c !== spec.cout ? at * spec.cout * c : 0;
      return at * spec.cout * 9 * (c + spec.cout) + proj + at * spec.cout;
    }
    case 'bottleneck': {
      const proj = spec.stride !== 1 || c !== spec.cout ? at * spec.cout * c : 0;
      const r = Math.max(1, Math.round(c * spec.se));
      const se = spec.se > 0 ? 2 * at * spec.mid + 2 * n * r * spec.mid : 0;
      return full * spec.mid * c + at * spec.mid * (spec.mid / spec.groups) * 9 + se + at * spec.cout * spec.mid + proj + at * spec.cout;
    }
    case 'shufflev2': {
      const o = spec.cout - spec.side;
      const cin = spec.stride === 1 ? c / 2 : c;
      const proj = spec.stride === 1 ? 0 : at * c * (spec.xception ? 9 : spec.k * spec.k) + at * spec.side * c;
      const main = spec.xception
        ? at * (cin * 9 + spec.mid * cin + spec.mid * 9 + spec.mid * spec.mid + spec.mid * 9 + o * spec.mid)
        : full * spec.mid * cin + at * spec.mid * spec.k * spec.k + at * o * spec.mid;
      return proj + main;
    }
    case 'fire':
      return full * spec.squeeze * (c + spec.e1 + 9 * spec.e3);
    case 'inception':
      return full * (spec.c1 * c + spec.c3r * c + spec.c3 * spec.c3r * 9 + spec.c5r * c + spec.c5 * spec.c5r * spec.k5 * spec.k5 + c * 9 + spec.pp * c);
    case 'factconv':
      return n * h * wo * spec.cout * c * spec.k + at * spec.cout * spec.cout * spec.k;
    case 'dilconv':
      return at * c * spec.k * spec.k + at * spec.cout * c;
    case 'sepconv':
      return at * c * spec.k * spec.k + at * c * c + at * c * spec.k * spec.k + at * spec.cout * c;
    case 'norm':
      return 2 * n * c * h * w;
  }
}
