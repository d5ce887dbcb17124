/** DARTS `dil_conv_kxk` (Liu et al. 2019): ReLU, depthwise k×k with dilation, pointwise 1×1, BN. */
import type { GraphBuilder } from '../graph/builder.js';
import type { DilConvSpec } from '../ops.js';
import { reluDwPwBn } from './seed-helpers.js';

export function lowerDilConv(g: GraphBuilder, spec: DilConvSpec, [x]: readonly string[], id: string): string {
  return reluDwPwBn(g, x, id, spec.cout, spec.k, spec.stride, spec.dilation);
}
