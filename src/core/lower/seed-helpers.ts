/** Pieces the seed-network lowerings share: the ResNet/RegNet shortcut and the ReLU-first separable conv of NASNet / DARTS. */
import type { GraphBuilder } from '../graph/index.js';
import { convBn } from './common.js';

/** Identity, or 1×1 stride s + BN `<id>.proj` when the stride or the width changes (ResNet option B). */
export function shortcut(b: GraphBuilder, x: string, id: string, cout: number, stride: number): string {
  const cin = b.shape(x)[1];
  return stride === 1 && cin === cout ? x : convBn(b, x, `${id}.proj`, cout, { k: 1, stride });
}

/** ReLU → depthwise k×k (stride, dilation) → pointwise 1×1 → BN: half of a NASNet/DARTS sep conv, and DARTS's dil_conv. */
export function reluDwPwBn(b: GraphBuilder, x: string, id: string, cout: number, k: number, stride: number, dilation = 1): string {
  const cin = b.shape(x)[1];
  const r = b.act(x, 'relu', `${id}.relu`);
  const dw = b.conv(r, `${id}.dw`, cin, { k, stride, groups: cin, dilation });
  return convBn(b, dw, `${id}.pw`, cout, { k: 1 });
}
