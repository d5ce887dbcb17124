/** dilconv: DARTS `dil_conv_kxk` (Liu et al. 2019): ReLU, depthwise k×k with dilation, pointwise 1×1, BN. */
import type { DilConvSpec } from '../specs.js';
import { reluDwPwBn } from './seed-helpers.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const dilconv: Lowering<DilConvSpec> = {
  fields: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('dilation', 'd', 'int')],
  lower: (b, s, [x], id) => reluDwPwBn(b, x, id, s.cout, s.k, s.stride, s.dilation),
};
