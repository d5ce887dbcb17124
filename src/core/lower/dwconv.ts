/** dwconv: depthwise k×k convolution (one filter per channel) + BatchNorm + activation. */
import type { DwConvSpec } from '../specs.js';
import { convBnAct } from './common.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const dwconv: Lowering<DwConvSpec> = {
  fields: [f('k', 'k', 'int'), f('stride', 's', 'int'), f('dilation', 'd', 'int'), f('act', '', 'act')],
  lower(b, s, [x], id) {
    const c = b.shape(x)[1];
    return convBnAct(b, x, `${id}.dw`, c, { k: s.k, stride: s.stride, groups: c, dilation: s.dilation }, s.act);
  },
};
