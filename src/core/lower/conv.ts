/** conv: k×k convolution (groups, dilation, stride, same padding) + BatchNorm + activation. */
import type { ConvSpec } from '../ops.js';
import { convBnAct } from './common.js';
import type { Lowering } from './types.js';

export const conv: Lowering<ConvSpec> = {
  lower: (b, s, [x], id) =>
    convBnAct(b, x, `${id}.conv`, s.cout, { k: s.k, stride: s.stride, groups: s.groups, dilation: s.dilation, ...(s.pad !== undefined ? { pads: [s.pad, s.pad, s.pad, s.pad] } : {}) }, s.act),
};
