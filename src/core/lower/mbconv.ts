/**
 * mbconv (inverted residual): [pw expand + BN + act when expand ≠ 1] → dw k×k stride + BN + act →
 * [SE] → pw project + BN (linear) → [+ input when skip]. The SE bottleneck is seChannels(block input
 * C, se), as in MnasNet / EfficientNet, applied to the expanded channels.
 */
import { expandedChannels, seChannels } from '../channels.js';
import type { MBConvSpec } from '../specs.js';
import { convBn, convBnAct, squeezeExcite } from './common.js';
import { RESIDUAL_GAIN, SE_GAIN } from './gains.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const mbconv: Lowering<MBConvSpec> = {
  fields: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('expand', 'e', 'num'), f('se', 'se', 'num'), f('act', '', 'act'), f('skip', 'skip', 'bool')],
  lower(b, s, [x], id) {
    const cin = b.shape(x)[1];
    const mid = expandedChannels(cin, s.expand);
    let y = x;
    if (s.expand !== 1) y = convBnAct(b, y, `${id}.expand`, mid, { k: 1 }, s.act);
    y = convBnAct(b, y, `${id}.dw`, mid, { k: s.k, stride: s.stride, groups: mid }, s.act);
    if (s.se > 0) y = squeezeExcite(b, y, `${id}.se`, seChannels(cin, s.se), s.act);
    y = convBn(b, y, `${id}.project`, s.cout, { k: 1, gain: (s.se > 0 ? SE_GAIN : 1) * (s.skip ? RESIDUAL_GAIN : 1) });
    return s.skip ? b.add([x, y], `${id}.add`) : y;
  },
};
