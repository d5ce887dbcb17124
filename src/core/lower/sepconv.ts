/**
 * sepconv: NASNet / DARTS separable conv (Zoph et al. 2018; DARTS `sep_conv_kxk`): (ReLU, depthwise k×k,
 * pointwise 1×1, BN) twice; the first keeps the input width and carries the stride, the second maps to cout.
 */
import type { SepConvSpec } from '../specs.js';
import { reluDwPwBn } from './seed-helpers.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const sepconv: Lowering<SepConvSpec> = {
  fields: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int')],
  lower(b, s, [x], id) {
    const a = reluDwPwBn(b, x, `${id}.sep1`, b.shape(x)[1], s.k, s.stride);
    return reluDwPwBn(b, a, `${id}.sep2`, s.cout, s.k, 1);
  },
};
