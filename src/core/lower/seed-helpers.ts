/**
 * Small pieces the seed-network lowerings share: conv + BatchNorm + activation, and the ReLU-first
 * separable pieces of NASNet / DARTS. Weight gains follow export/weights.ts (He-style, the gain of the
 * activation after the layer): √2 before a ReLU, 1 before nothing.
 */
import type { GraphBuilder } from '../graph/builder.js';
import type { Pair, Pads } from '../graph/types.js';

export interface ConvBnOptions {
  k: number | Pair;
  stride?: number | Pair;
  groups?: number;
  dilation?: number;
  pads?: Pads;
  /** ReLU after the BatchNorm (default) or nothing. */
  relu?: boolean;
}

const RELU_GAIN = Math.SQRT2;

/** conv (no bias) → BN → optional ReLU; ids `<id>.conv`, `<id>.bn`, `<id>.relu`. */
export function convBn(g: GraphBuilder, x: string, id: string, cout: number, o: ConvBnOptions): string {
  const relu = o.relu ?? true;
  const y = g.conv(x, `${id}.conv`, cout, { k: o.k, stride: o.stride, groups: o.groups, dilation: o.dilation, pads: o.pads, gain: relu ? RELU_GAIN : 1 });
  const z = g.bn(y, `${id}.bn`);
  return relu ? g.act(z, 'relu', `${id}.relu`) : z;
}

/** The ResNet / RegNet shortcut: identity, or 1×1 stride s + BN when the stride or the width changes. */
export function shortcut(g: GraphBuilder, x: string, id: string, cout: number, stride: number): string {
  const cin = g.shape(x)[1];
  return stride === 1 && cin === cout ? x : convBn(g, x, `${id}.proj`, cout, { k: 1, stride, relu: false });
}

/** ReLU → depthwise k×k (stride, dilation) → pointwise 1×1 → BN: one half of a NASNet/DARTS separable conv, and DARTS's dil_conv. */
export function reluDwPwBn(g: GraphBuilder, x: string, id: string, cout: number, k: number, stride: number, dilation = 1): string {
  const cin = g.shape(x)[1];
  const r = g.act(x, 'relu', `${id}.relu`);
  const dw = g.conv(r, `${id}.dw`, cin, { k, stride, groups: cin, dilation });
  const pw = g.conv(dw, `${id}.pw`, cout, { k: 1 });
  return g.bn(pw, `${id}.bn`);
}
