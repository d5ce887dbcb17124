/** conv: k×k convolution (groups, dilation, stride, same padding) + BatchNorm + activation. */
import type { ConvSpec } from '../specs.js';
import { convBnAct } from './common.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const conv: Lowering<ConvSpec> = {
  fields: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('groups', 'g', 'int'), f('dilation', 'd', 'int'), f('act', '', 'act')],
  lower: (b, s, [x], id) => convBnAct(b, x, `${id}.conv`, s.cout, { k: s.k, stride: s.stride, groups: s.groups, dilation: s.dilation }, s.act),
};
