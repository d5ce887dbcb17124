/**
 * NASNet / DARTS separable conv (Zoph et al. 2018; DARTS `sep_conv_kxk`): (ReLU, depthwise k×k, pointwise, BN)
 * twice; the first keeps the input width and carries the stride, the second maps to cout.
 */
import type { GraphBuilder } from '../graph/builder.js';
import type { SepConvSpec } from '../ops.js';
import { reluDwPwBn } from './seed-helpers.js';

export function lowerSepConv(g: GraphBuilder, spec: SepConvSpec, [x]: readonly string[], id: string): string {
  const cin = g.shape(x)[1];
  const a = reluDwPwBn(g, x, `${id}.1`, cin, spec.k, spec.stride);
  return reluDwPwBn(g, a, `${id}.2`, spec.cout, spec.k, 1);
}
