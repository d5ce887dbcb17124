/** dwconv: depthwise k×k convolution (one filter per channel) + BatchNorm + activation. */
import type { DwConvSpec } from '../ops.js';
import { convBnAct } from './common.js';
import type { Lowering } from './types.js';

export const dwconv: Lowering<DwConvSpec> = {
  lower(b, s, [x], id) {
    const c = b.shape(x)[1];
    return convBnAct(b, x, `${id}.dw`, c, { k: s.k, stride: s.stride, groups: c, dilation: s.dilation }, s.act);
  },
};
