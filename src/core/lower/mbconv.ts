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
import { f, opt } from '../key-fields.js';

export const mbconv: Lowering<MBConvSpec> = {
  fields: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('expand', 'e', 'num'), f('se', 'se', 'num'), f('act', '', 'act'), f('skip', 'skip', 'bool'), opt('gate', 'gate', 'gate'), opt('pwGroups', 'pg', 'int')],
  lower(b, s, [x], id) {
    const cin = b.shape(x)[1];
    const mid = expandedChannels(cin, s.expand);
    let y = x;
    // pwGroups: FBNet's grouped pointwise convs, with a channel shuffle after the expansion (mobile-vision's IRF block).
    const groups = s.pwGroups ?? 1;
    if (s.expand !== 1) y = convBnAct(b, y, `${id}.expand`, mid, { k: 1, groups }, s.act);
    if (s.expand !== 1 && groups > 1) y = b.node(`${id}.shuffle`, { op: 'shuffle', groups }, [y]);
    y = convBnAct(b, y, `${id}.dw`, mid, { k: s.k, stride: s.stride, groups: mid }, s.act);
    if (s.se > 0) y = squeezeExcite(b, y, `${id}.se`, seChannels(cin, s.se), s.act, s.gate);
    y = convBn(b, y, `${id}.project`, s.cout, { k: 1, groups, gain: (s.se > 0 ? SE_GAIN : 1) * (s.skip ? RESIDUAL_GAIN : 1) });
    return s.skip ? b.add([x, y], `${id}.add`) : y;
  },
};
