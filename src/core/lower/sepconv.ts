/**
 * sepconv: NASNet / DARTS separable conv (Zoph et al. 2018; DARTS `sep_conv_kxk`): (ReLU, depthwise k×k,
 * pointwise 1×1, BN) twice; the first carries the stride, and both pointwise convs map to cout (TF slim's
 * _stacked_separable_conv: each separable conv outputs the cell's filters). DARTS's SepConv keeps the input
 * width in its first pointwise instead; its cells always have cin = cout, where the two agree. They differ only
 * on NASNet-A-Mobile's first stem cell, whose ops read the 32-channel stem directly (Cadene's BranchSeparablesStem).
 */
import type { SepConvSpec } from '../specs.js';
import { reluDwPwBn } from './seed-helpers.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const sepconv: Lowering<SepConvSpec> = {
  fields: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int')],
  lower(b, s, [x], id) {
    const a = reluDwPwBn(b, x, `${id}.sep1`, s.cout, s.k, s.stride);
    return reluDwPwBn(b, a, `${id}.sep2`, s.cout, s.k, 1);
  },
};
