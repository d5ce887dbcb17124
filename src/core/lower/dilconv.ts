/** dilconv: DARTS `dil_conv_kxk` (Liu et al. 2019): ReLU, depthwise k×k with dilation, pointwise 1×1, BN. */
import type { DilConvSpec } from '../ops.js';
import { reluDwPwBn } from './seed-helpers.js';
import type { Lowering } from './types.js';

export const dilconv: Lowering<DilConvSpec> = {
  lower: (b, s, [x], id) => reluDwPwBn(b, x, id, s.cout, s.k, s.stride, s.dilation),
};
